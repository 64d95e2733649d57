using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Plugboard.Benchmarks;

/// <summary>Options of the <c>rpc</c> benchmark.</summary>
internal sealed record RpcBenchmarkOptions(int Rounds, TimeSpan Duration, TimeSpan Warmup, string? JsonPath, bool Quick, string? Filter)
{
    public const int InFlight = 64;

    /// <summary>Whether <c>--filter</c> selects a scenario, matched against "transport.size.mode" (e.g. "stdio.small").</summary>
    public bool Includes(string transport, PayloadSize? size, string? mode)
    {
        if (Filter is null)
        {
            return true;
        }

        var name = size is null ? transport : $"{transport}.{(size == PayloadSize.Small ? "small" : "large")}.{mode}";
        return name.Contains(Filter, StringComparison.OrdinalIgnoreCase) || Filter.Contains(name, StringComparison.OrdinalIgnoreCase);
    }

    public static RpcBenchmarkOptions Parse(string[] args)
    {
        int? rounds = null;
        double? seconds = null;
        string? json = null;
        string? filter = null;
        var quick = false;
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--rounds":
                    rounds = int.TryParse(Value(), CultureInfo.InvariantCulture, out var r) && r is > 0 and <= 100
                        ? r
                        : throw new UsageException("--rounds needs a whole number from 1 to 100.");
                    break;
                case "--seconds":
                    seconds = double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s is >= 0.05 and <= 60
                        ? s
                        : throw new UsageException("--seconds needs a number of seconds from 0.05 to 60.");
                    break;
                case "--json":
                    json = Value();
                    break;
                case "--filter":
                    filter = Value();
                    break;
                case "--quick":
                    quick = true;
                    break;
                default:
                    throw new UsageException($"unknown option '{args[i]}' for the rpc benchmark.");
            }
        }

        var duration = TimeSpan.FromSeconds(seconds ?? (quick ? 0.2 : 0.8));
        return new RpcBenchmarkOptions(rounds ?? (quick ? 3 : 5), duration, TimeSpan.FromSeconds(quick ? 0.3 : 0.6), json, quick, filter);
    }
}

/// <summary>
/// The <c>rpc</c> benchmark: Plugboard's JSON-RPC engine against a raw echo of equal-sized frames (stdio pipes and
/// WebSocket loopback, both to a second process) and against vscode-jsonrpc (Node client and server). Every round runs
/// each baseline/subject pair back to back, alternating which goes first; the report shows medians over the rounds.
/// </summary>
internal static class RpcBenchmark
{
    private static readonly PayloadSize[] Sizes = [PayloadSize.Small, PayloadSize.Large];

    public static async Task<int> RunAsync(RpcBenchmarkOptions options)
    {
        var total = Stopwatch.StartNew();
        var payloads = new Payloads();
        var node = NodeBaseline.Find(out var nodeSkip);
        if (node is not null && options.Filter is not null && !options.Includes(Scenario.Stdio, null, null))
        {
            node = null;
            nodeSkip = $"not selected by --filter {options.Filter}";
        }

        var environment = new Dictionary<string, string>
        {
            ["date_utc"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["runtime"] = RuntimeInformation.FrameworkDescription,
            ["os"] = RuntimeInformation.OSDescription,
            ["processors"] = Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture),
            ["rounds"] = options.Rounds.ToString(CultureInfo.InvariantCulture),
            ["seconds_per_measurement"] = options.Duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture),
            ["in_flight"] = RpcBenchmarkOptions.InFlight.ToString(CultureInfo.InvariantCulture),
            ["small_frame_bytes"] = payloads.SmallRequest.Length.ToString(CultureInfo.InvariantCulture),
            ["large_frame_bytes"] = payloads.LargeRequest.Length.ToString(CultureInfo.InvariantCulture),
            ["node"] = node is null ? "skipped: " + nodeSkip : await node.GetVersionAsync(),
        };

        Console.WriteLine($"Plugboard rpc benchmark: {options.Rounds} rounds x {options.Duration.TotalSeconds:0.##} s per measurement, {RpcBenchmarkOptions.InFlight} in flight when pipelined");
        Console.WriteLine($"  {environment["runtime"]}, {environment["processors"]} processors, {environment["os"]}; node: {environment["node"]}");
        Console.WriteLine($"  echo of a {Payloads.SmallChars}-character and a {Payloads.LargeChars / 1024} KiB string; JSON-RPC requests of {payloads.SmallRequest.Length} and {payloads.LargeRequest.Length} bytes; raw baselines echo frames of exactly those bytes");
        if (node is null)
        {
            Console.WriteLine($"  vscode-jsonrpc: skipped: {nodeSkip}");
        }

        var results = new BenchmarkResults(options.Rounds);
        if (node is null)
        {
            results.Skip(Scenario.VsCode, nodeSkip);
        }

        await using (var rawPipe = new RawPipeEchoClient(payloads))
        await using (var rpcPipe = RpcEchoClient.OverPipes(payloads))
        await using (var webSocketPeer = await WebSocketPeerProcess.StartAsync())
        await using (var rawSocket = await RawWebSocketEchoClient.ConnectAsync(payloads, webSocketPeer.Port))
        await using (var rpcSocket = await RpcEchoClient.OverWebSocketAsync(payloads, webSocketPeer.Port))
        {
            var pairs = new List<(string Transport, EchoClient Baseline, EchoClient Subject)>
            {
                (Scenario.Stdio, rawPipe, rpcPipe),
                (Scenario.WebSocket, rawSocket, rpcSocket),
            };

            Console.Error.WriteLine($"warming up ({options.Warmup.TotalSeconds:0.#} s per scenario)...");
            foreach (var (transport, baseline, subject) in pairs)
            {
                foreach (var client in new[] { baseline, subject })
                {
                    foreach (var size in Sizes)
                    {
                        if (options.Includes(transport, size, Scenario.Sequential))
                        {
                            await RunSequentialAsync(client, size, options.Warmup / 2);
                        }

                        if (options.Includes(transport, size, Scenario.Pipelined))
                        {
                            await RunPipelinedAsync(client, size, options.Warmup / 2);
                        }
                    }
                }
            }

            for (var round = 0; round < options.Rounds; round++)
            {
                var roundTime = Stopwatch.StartNew();
                var baselineFirst = round % 2 == 0;
                if (node is not null && baselineFirst)
                {
                    await RunNodeAsync(node, options, results, round);
                }

                foreach (var (transport, baseline, subject) in pairs)
                {
                    foreach (var mode in new[] { Scenario.Sequential, Scenario.Pipelined })
                    {
                        foreach (var size in Sizes)
                        {
                            if (!options.Includes(transport, size, mode))
                            {
                                continue;
                            }

                            var order = baselineFirst
                                ? new[] { (Scenario.Raw, baseline), (Scenario.Plugboard, subject) }
                                : new[] { (Scenario.Plugboard, subject), (Scenario.Raw, baseline) };
                            foreach (var (implementation, client) in order)
                            {
                                var sample = mode == Scenario.Sequential
                                    ? await RunSequentialAsync(client, size, options.Duration)
                                    : await RunPipelinedAsync(client, size, options.Duration);
                                results.Add(new Scenario(transport, size, implementation, mode), round, sample);
                            }
                        }
                    }
                }

                if (node is not null && !baselineFirst)
                {
                    await RunNodeAsync(node, options, results, round);
                }

                Console.Error.WriteLine($"round {round + 1}/{options.Rounds} done in {roundTime.Elapsed.TotalSeconds:0.0} s");
            }
        }

        var targets = Targets();
        Console.WriteLine();
        Console.WriteLine($"Medians over {options.Rounds} rounds (us/op: time per round trip, or per completed request when pipelined; alloc: bytes allocated in the client process per round trip):");
        Console.WriteLine();
        Console.Write(results.FormatTable(targets));
        if (options.JsonPath is { } path)
        {
            await using var file = File.Create(path);
            results.WriteJson(file, targets, environment);
            Console.WriteLine($"Figures written to {Path.GetFullPath(path)}");
        }

        Console.WriteLine($"Total time {total.Elapsed.TotalSeconds:0.0} s.");
        return 0;
    }

    /// <summary>The ratios the report shows: the issue's targets, and reference ratios for context.</summary>
    private static List<Target> Targets()
    {
        var targets = new List<Target>();
        foreach (var transport in new[] { Scenario.Stdio, Scenario.WebSocket })
        {
            foreach (var size in Sizes)
            {
                var label = $"{transport} {(size == PayloadSize.Small ? "small" : "64 KiB")}";
                targets.Add(new Target(
                    $"{label}: sequential JSON-RPC / raw echo (latency)",
                    new Scenario(transport, size, Scenario.Plugboard, Scenario.Sequential),
                    new Scenario(transport, size, Scenario.Raw, Scenario.Sequential),
                    Throughput: false,
                    Limit: 1.5,
                    IsGoal: transport == Scenario.Stdio));
            }
        }

        foreach (var size in Sizes)
        {
            var label = $"stdio {(size == PayloadSize.Small ? "small" : "64 KiB")}";
            targets.Add(new Target(
                $"{label}: pipelined JSON-RPC / vscode-jsonrpc (throughput)",
                new Scenario(Scenario.Stdio, size, Scenario.Plugboard, Scenario.Pipelined),
                new Scenario(Scenario.Stdio, size, Scenario.VsCode, Scenario.Pipelined),
                Throughput: true,
                Limit: 3,
                IsGoal: true));
        }

        foreach (var transport in new[] { Scenario.Stdio, Scenario.WebSocket })
        {
            foreach (var size in Sizes)
            {
                var label = $"{transport} {(size == PayloadSize.Small ? "small" : "64 KiB")}";
                targets.Add(new Target(
                    $"{label}: pipelined JSON-RPC / raw echo (throughput)",
                    new Scenario(transport, size, Scenario.Plugboard, Scenario.Pipelined),
                    new Scenario(transport, size, Scenario.Raw, Scenario.Pipelined),
                    Throughput: true,
                    Limit: 0,
                    IsGoal: false));
            }
        }

        foreach (var size in Sizes)
        {
            targets.Add(new Target(
                $"stdio {(size == PayloadSize.Small ? "small" : "64 KiB")}: sequential JSON-RPC / vscode-jsonrpc (latency)",
                new Scenario(Scenario.Stdio, size, Scenario.Plugboard, Scenario.Sequential),
                new Scenario(Scenario.Stdio, size, Scenario.VsCode, Scenario.Sequential),
                Throughput: false,
                Limit: 0,
                IsGoal: false));
        }

        return targets;
    }

    private static async Task<Sample> RunSequentialAsync(EchoClient client, PayloadSize size, TimeSpan duration)
        => await Sample.MeasureAsync(async () =>
        {
            var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            long operations = 0;
            do
            {
                await client.RoundTripAsync(size);
                operations++;
            }
            while (Stopwatch.GetTimestamp() < deadline);
            return operations;
        });

    private static async Task<Sample> RunPipelinedAsync(EchoClient client, PayloadSize size, TimeSpan duration)
        => await Sample.MeasureAsync(() =>
        {
            var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            return client.PipelineAsync(size, RpcBenchmarkOptions.InFlight, deadline);
        });

    private static async Task RunNodeAsync(NodeBaseline node, RpcBenchmarkOptions options, BenchmarkResults results, int round)
    {
        var figures = await node.RunAsync(options.Duration.TotalSeconds, RpcBenchmarkOptions.InFlight, options.Quick ? 300 : 1000);
        results.Add(new Scenario(Scenario.Stdio, PayloadSize.Small, Scenario.VsCode, Scenario.Sequential), round, FromLatency(figures.SequentialSmallUs));
        results.Add(new Scenario(Scenario.Stdio, PayloadSize.Large, Scenario.VsCode, Scenario.Sequential), round, FromLatency(figures.SequentialLargeUs));
        results.Add(new Scenario(Scenario.Stdio, PayloadSize.Small, Scenario.VsCode, Scenario.Pipelined), round, FromThroughput(figures.PipelinedSmallRps));
        results.Add(new Scenario(Scenario.Stdio, PayloadSize.Large, Scenario.VsCode, Scenario.Pipelined), round, FromThroughput(figures.PipelinedLargeRps));

        static Sample FromLatency(double us) => new(us, 1e6 / us, null, 0);

        static Sample FromThroughput(double rps) => new(1e6 / rps, rps, null, 0);
    }
}

/// <summary>The <c>peer-ws</c> process: started once, serving both WebSocket endpoints.</summary>
internal sealed class WebSocketPeerProcess : IAsyncDisposable
{
    private readonly PeerProcess _process;

    private WebSocketPeerProcess(PeerProcess process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public static async Task<WebSocketPeerProcess> StartAsync()
    {
        var process = PeerProcess.StartSelf(EchoPeers.WebSocketMode);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var line = await process.OutputText.ReadLineAsync(timeout.Token);
        if (line is null || !line.StartsWith("READY ", StringComparison.Ordinal)
            || !int.TryParse(line.AsSpan(6), CultureInfo.InvariantCulture, out var port))
        {
            await process.DisposeAsync();
            throw new InvalidOperationException($"The WebSocket peer did not report its port (got '{line}'); see its log above.");
        }

        return new WebSocketPeerProcess(process, port);
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
