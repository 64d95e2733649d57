using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Protocol.Transports;
using Plugboard.Runtime;
using Plugboard.Runtime.Hosting;
using Plugboard.Runtime.Storage;

using static Plugboard.Benchmarks.BenchmarkSupport;

namespace Plugboard.Benchmarks;

/// <summary>
/// <c>plugin</c>: the plugin host against baselines measured in the same run — cold start of the C# Echo sample to
/// Running vs a trivial <c>dotnet</c> process, tool invocation through the runtime vs a raw JSON-RPC round trip,
/// event dispatch throughput to 1 and 10 listener plugins, and resident memory of a runtime with 10 idle plugins.
/// Baseline and subject alternate over rounds; medians are reported.
/// </summary>
internal static class PluginBenchmark
{
    public const string HelloMode = "peer-hello";

    public static async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var rounds = ReadInt(args, "--rounds") ?? (quick ? 3 : 5);
        var seconds = quick ? 0.3 : 1.0;
        var json = ReadString(args, "--json");
        var echoAssembly = typeof(PluginBenchmark).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "EchoSampleAssembly").Value!;
        if (!File.Exists(echoAssembly))
        {
            Console.Error.WriteLine($"The Echo sample is not built at {echoAssembly}; build tests/Plugboard.Benchmarks first.");
            return 1;
        }

        var root = Path.Combine(Path.GetTempPath(), "plugboard-bench-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var oneDir = PreparePlugins(Path.Combine(root, "one"), Path.GetDirectoryName(echoAssembly)!, 1);
            var tenDir = PreparePlugins(Path.Combine(root, "ten"), Path.GetDirectoryName(echoAssembly)!, 10);
            var figures = new Dictionary<string, double>(StringComparer.Ordinal);
            Console.WriteLine($"plugin benchmark: {rounds} rounds, {seconds:0.0} s per measurement");

            var (hello, cold) = await AlternateAsync(rounds, () => TimeHelloAsync(), () => TimeColdStartAsync(oneDir, Path.Combine(root, "data-cold")));
            Report(figures, "cold start", "dotnet hello-world process (ms)", hello, "C# plugin to Running (ms)", cold, lowerIsBetter: true, target: 2.0);

            await using (var runtime = await StartRuntimeAsync(oneDir, Path.Combine(root, "data-rtt")))
            await using (var raw = await RawPeer.StartAsync())
            {
                var arguments = JsonDocument.Parse("""{"text":"hello from the benchmark"}""").RootElement.Clone();
                var (rawRtt, toolRtt) = await AlternateAsync(
                    rounds,
                    () => PerOpAsync(seconds, () => raw.Connection.InvokeAsync<JsonElement>("echo", new JsonObject { ["value"] = "hello from the benchmark" })),
                    () => PerOpAsync(seconds, () => runtime.Runtime.InvokeToolAsync("bench.echo0/echo", arguments)));
                Report(figures, "tool round trip", "raw JSON-RPC round trip (µs)", rawRtt, "tool/invoke via runtime (µs)", toolRtt, lowerIsBetter: true, target: 1.3);
                var data = JsonDocument.Parse("{}").RootElement.Clone();
                var (_, dispatchRtt) = await AlternateAsync(
                    rounds,
                    () => Task.FromResult(0.0),
                    () => PerOpAsync(seconds, () => runtime.Runtime.DispatchEventAsync(new PluginEvent("bench", "bench.tick", DateTimeOffset.UtcNow, data))));
                Console.WriteLine($"  event dispatch       one event to 1 listener plugin, sequential: {dispatchRtt:0.0} µs");
                figures["dispatch.1.sequential_us"] = dispatchRtt;
            }

            await using (var one = await StartRuntimeAsync(oneDir, Path.Combine(root, "data-d1")))
            await using (var ten = await StartRuntimeAsync(tenDir, Path.Combine(root, "data-d10")))
            {
                var (d1, d10) = await AlternateAsync(rounds, () => DispatchRateAsync(one.Runtime, seconds), () => DispatchRateAsync(ten.Runtime, seconds));
                Console.WriteLine($"  event dispatch       1 listener plugin: {d1:0} events/s   10 listener plugins: {d10:0} events/s   (16 in flight)");
                figures["dispatch.1.events_per_s"] = d1;
                figures["dispatch.10.events_per_s"] = d10;
            }

            var (runtimeRss, pluginRss) = await MeasureMemoryAsync(tenDir, Path.Combine(root, "data-mem"));
            Console.WriteLine($"  resident memory      runtime host with 10 idle plugins: {runtimeRss / 1048576.0:0.0} MiB   one idle C# plugin: {pluginRss / 1048576.0:0.0} MiB");
            figures["memory.runtime_10_plugins_mib"] = runtimeRss / 1048576.0;
            figures["memory.idle_csharp_plugin_mib"] = pluginRss / 1048576.0;

            if (json is not null)
            {
                var document = new JsonObject();
                foreach (var (key, value) in figures)
                {
                    document[key] = value;
                }

                await File.WriteAllTextAsync(json, document.ToJsonString());
                Console.WriteLine($"figures written to {json}");
            }

            return 0;
        }
        finally
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>The hello-world baseline process: start, print, exit.</summary>
    public static int RunHello()
    {
        Console.WriteLine("hello");
        return 0;
    }

    private static string PreparePlugins(string directory, string echoOutput, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var target = Path.Combine(directory, $"echo{i}");
            CopyDirectory(echoOutput, target);
            var manifestPath = Path.Combine(target, "plugin.json");
            var manifest = JsonNode.Parse(File.ReadAllText(manifestPath))!.AsObject();
            manifest["id"] = $"bench.echo{i}";
            File.WriteAllText(manifestPath, manifest.ToJsonString());
        }

        return directory;
    }

    private static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
        }

        foreach (var sub in Directory.EnumerateDirectories(source))
        {
            CopyDirectory(sub, Path.Combine(target, Path.GetFileName(sub)));
        }
    }

    private static async Task<double> TimeHelloAsync()
    {
        var start = Stopwatch.GetTimestamp();
        using var process = Process.Start(SelfStart(HelloMode))!;
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    private static async Task<double> TimeColdStartAsync(string plugins, string data)
    {
        if (Directory.Exists(data))
        {
            Directory.Delete(data, recursive: true);
        }

        var storage = new SqliteStorage(Options.Create(new SqliteStorageOptions { DataDirectory = data }));
        var runtime = new PlugboardRuntime(Options.Create(CreateOptions(plugins, data)), storage, NullLoggerFactory.Instance);
        await storage.GetAsync(StorageScope.Shared, "warm");
        var start = Stopwatch.GetTimestamp();
        await runtime.StartAsync();
        await runtime.WaitUntilRunningAsync("bench.echo0").WaitAsync(TimeSpan.FromSeconds(60));
        var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        await runtime.StopAsync();
        await storage.DisposeAsync();
        return elapsed;
    }

    private static async Task<double> DispatchRateAsync(IPlugboardRuntime runtime, double seconds)
    {
        var data = JsonDocument.Parse("{}").RootElement.Clone();
        var count = 0;
        var start = Stopwatch.GetTimestamp();
        var workers = Enumerable.Range(0, 16).Select(async _ =>
        {
            while (Stopwatch.GetElapsedTime(start).TotalSeconds < seconds)
            {
                var outcome = await runtime.DispatchEventAsync(new PluginEvent(Guid.NewGuid().ToString("N"), "bench.tick", DateTimeOffset.UtcNow, data));
                if (outcome.Listeners.Count == 0)
                {
                    throw new InvalidOperationException("No listener received the benchmark event.");
                }

                Interlocked.Increment(ref count);
            }
        });
        await Task.WhenAll(workers);
        return count / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static async Task<(long Runtime, long Plugin)> MeasureMemoryAsync(string plugins, string data)
    {
        var host = Path.Combine(AppContext.BaseDirectory, "Plugboard.Runtime.TestHost.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(host);
        start.ArgumentList.Add(plugins);
        start.ArgumentList.Add(data);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            string? line;
            while ((line = await process.StandardOutput.ReadLineAsync()) is not null && !line.StartsWith("READY ", StringComparison.Ordinal))
            {
            }

            if (line is null)
            {
                await process.WaitForExitAsync();
                throw new InvalidOperationException($"The runtime host exited before its plugins ran: {await stderr}");
            }

            var pids = line!["READY ".Length..].Split(',').Select(int.Parse).ToList();
            await Task.Delay(TimeSpan.FromSeconds(3));
            var pluginRss = pids.Select(Rss).OrderBy(x => x).ElementAt(pids.Count / 2);
            return (Rss(process.Id), pluginRss);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private static long Rss(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }

    private static async Task<(double Baseline, double Subject)> AlternateAsync(int rounds, Func<Task<double>> baseline, Func<Task<double>> subject)
    {
        await baseline();
        await subject();
        var b = new List<double>();
        var s = new List<double>();
        for (var i = 0; i < rounds; i++)
        {
            b.Add(await baseline());
            s.Add(await subject());
        }

        return (Median(b), Median(s));
    }

    private static void Report(Dictionary<string, double> figures, string name, string baselineLabel, double baseline, string subjectLabel, double subject, bool lowerIsBetter, double target)
    {
        var ratio = subject / baseline;
        var met = lowerIsBetter ? ratio <= target : ratio >= target;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-20} {baselineLabel}: {baseline:0.0}   {subjectLabel}: {subject:0.0}   ratio {ratio:0.00}x (target <= {target:0.0}x: {(met ? "met" : "MISSED")})"));
        var key = name.Replace(' ', '_');
        figures[key + ".baseline"] = baseline;
        figures[key + ".subject"] = subject;
        figures[key + ".ratio"] = ratio;
    }

    private static async Task<RunningRuntime> StartRuntimeAsync(string plugins, string data)
    {
        var storage = new SqliteStorage(Options.Create(new SqliteStorageOptions { DataDirectory = data }));
        var runtime = new PlugboardRuntime(Options.Create(CreateOptions(plugins, data)), storage, NullLoggerFactory.Instance);
        await runtime.StartAsync();
        foreach (var plugin in runtime.GetPlugins())
        {
            await runtime.WaitUntilRunningAsync(plugin.Id).WaitAsync(TimeSpan.FromSeconds(120));
        }

        return new RunningRuntime(runtime, storage);
    }

    private static PlugboardOptions CreateOptions(string plugins, string data)
    {
        var options = new PlugboardOptions { DataDirectory = data };
        options.PluginDirectories.Add(plugins);
        return options;
    }

    private static ProcessStartInfo SelfStart(string mode)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(PluginBenchmark).Assembly.Location);
        start.ArgumentList.Add(mode);
        return start;
    }

    private sealed class RunningRuntime(PlugboardRuntime runtime, SqliteStorage storage) : IAsyncDisposable
    {
        public PlugboardRuntime Runtime { get; } = runtime;

        public async ValueTask DisposeAsync()
        {
            await Runtime.StopAsync();
            await storage.DisposeAsync();
        }
    }

    /// <summary>The raw baseline: this program's <c>peer-rpc</c> echo over stdio pipes.</summary>
    private sealed class RawPeer : IAsyncDisposable
    {
        private readonly Process _process;

        private RawPeer(Process process, JsonRpcConnection connection)
        {
            _process = process;
            Connection = connection;
        }

        public JsonRpcConnection Connection { get; }

        public static Task<RawPeer> StartAsync()
        {
            var process = Process.Start(SelfStart(EchoPeers.RpcMode))!;
            var connection = new JsonRpcConnection(new HeaderDelimitedTransport(process.StandardOutput.BaseStream, process.StandardInput.BaseStream), BenchJsonContext.CreateConnectionOptions());
            connection.Start();
            return Task.FromResult(new RawPeer(process, connection));
        }

        public async ValueTask DisposeAsync()
        {
            await Connection.DisposeAsync();
            _process.Kill();
            await _process.WaitForExitAsync();
            _process.Dispose();
        }
    }
}
