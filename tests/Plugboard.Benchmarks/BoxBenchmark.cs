using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Plugboard.Box.Contracts;
using Plugboard.Box.Docker;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Protocol.Transports;

namespace Plugboard.Benchmarks;

/// <summary>
/// <c>box</c>: the Box against baselines measured in the same run, alternating baseline and subject over rounds and
/// reporting medians. Warm-session exec round trip (<c>session/exec</c> through <c>plugboard-box</c> over stdio)
/// against a raw Engine API exec (create, attach, read to end, inspect) into an equivalent container and against the
/// <c>docker exec</c> CLI; a cold session (container create + start + first exec) against <c>docker run --rm</c>;
/// bubblewrap exec latency against spawning the same bwrap jail directly; and 8 sessions executing in parallel
/// against 8 parallel raw Engine API execs.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class BoxBenchmark
{
    private const string Command = "echo hi";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Contains("--help"))
        {
            Console.Error.WriteLine("""
                Usage: Plugboard.Benchmarks box [--quick] [--rounds N] [--ops N] [--image IMAGE] [--json FILE]
                  Needs a running Docker engine with IMAGE present (default: $PLUGBOARD_TEST_DOCKER_IMAGE or
                  plugboard/busybox:test, built by scripts/test.sh) and the docker CLI; bwrap for the bubblewrap figure.
                """);
            return 0;
        }

        var quick = args.Contains("--quick");
        var rounds = ReadInt(args, "--rounds") ?? (quick ? 3 : 5);
        var ops = ReadInt(args, "--ops") ?? (quick ? 5 : 15);
        var image = ReadString(args, "--image") ?? (Environment.GetEnvironmentVariable("PLUGBOARD_TEST_DOCKER_IMAGE") is { Length: > 0 } e ? e : "plugboard/busybox:test");
        var json = ReadString(args, "--json");
        var figures = new List<Figure>();
        var data = Path.Combine(Path.GetTempPath(), "plugboard-bench-box-" + Guid.NewGuid().ToString("N")[..8]);
        Console.WriteLine($"box benchmark: {rounds} rounds, {ops} operations per measurement, image {image}");

        using var docker = new DockerEngineClient("/var/run/docker.sock");
        await using (var box = await BoxPeer.StartAsync(Path.Combine(data, "docker"), BoxBackendNames.Docker, image))
        {
            var warm = "bench-warm";
            await box.Client.ExecAsync(warm, "true");
            var rawContainer = await CreateRawContainerAsync(docker, image);
            try
            {
                var (raw, subject) = await AlternateAsync(rounds, () => PerOpAsync(ops, () => RawExecAsync(docker, rawContainer)), () => PerOpAsync(ops, () => BoxExecAsync(box.Client, warm)));
                figures.Add(Figure.Of("warm exec", "raw Engine API exec (ms)", raw, "Box session/exec (ms)", subject, 1.15));

                var (cli, subject2) = await AlternateAsync(rounds, () => PerOpAsync(ops, () => RunAsync("docker", "exec", rawContainer, "sh", "-c", Command)), () => PerOpAsync(ops, () => BoxExecAsync(box.Client, warm)));
                figures.Add(Figure.Of("warm exec", "docker exec CLI (ms)", cli, "Box session/exec (ms)", subject2, 1.0));

                var coldOps = Math.Max(2, ops / 3);
                var (run, cold) = await AlternateAsync(
                    rounds,
                    () => PerOpAsync(coldOps, () => RunAsync("docker", "run", "--rm", "--network", "none", "--user", "1000:1000", "--init", image, "sh", "-c", Command)),
                    () => PerOpAsync(coldOps, async () =>
                    {
                        var session = "bench-cold-" + Guid.NewGuid().ToString("N")[..8];
                        await BoxExecAsync(box.Client, session);
                        return session;
                    }, cleanup: session => box.Client.DeleteSessionAsync(session)));
                figures.Add(Figure.Of("cold session + first exec", "docker run --rm (ms)", run, "Box create + exec (ms)", cold, 1.1));

                var sessions = Enumerable.Range(0, 8).Select(i => $"bench-par-{i}").ToArray();
                await Task.WhenAll(sessions.Select(s => box.Client.ExecAsync(s, "true")));
                var rawContainers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => CreateRawContainerAsync(docker, image)));
                try
                {
                    var (rawParallel, parallel) = await AlternateAsync(
                        rounds,
                        () => ParallelPerOpAsync(ops, rawContainers, c => RawExecAsync(docker, c)),
                        () => ParallelPerOpAsync(ops, sessions, s => BoxExecAsync(box.Client, s)));
                    figures.Add(Figure.Of("8 sessions in parallel", "8 parallel raw execs (ms/exec)", rawParallel, "8 Box sessions (ms/exec)", parallel, 1.15));
                }
                finally
                {
                    await Task.WhenAll(rawContainers.Select(c => docker.RemoveContainerAsync(c, CancellationToken.None)));
                }
            }
            finally
            {
                await docker.RemoveContainerAsync(rawContainer, CancellationToken.None);
            }
        }

        if (File.Exists("/usr/bin/bwrap"))
        {
            await using var box = await BoxPeer.StartAsync(Path.Combine(data, "bwrap"), BoxBackendNames.Bubblewrap, image);
            await box.Client.ExecAsync("bench-bwrap", "true");
            var jail = Path.Combine(data, "jail");
            Directory.CreateDirectory(jail);
            var (raw, subject) = await AlternateAsync(
                rounds,
                () => PerOpAsync(ops, () => RunAsync("bwrap", "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--proc", "/proc", "--dev", "/dev", "--bind", jail, "/workspace", "--chdir", "/workspace", "--", "/bin/sh", "-c", Command)),
                () => PerOpAsync(ops, () => BoxExecAsync(box.Client, "bench-bwrap")));
            figures.Add(Figure.Of("bubblewrap exec", "bwrap spawned directly (ms)", raw, "Box session/exec (ms)", subject, null));
        }
        else
        {
            Console.WriteLine("bubblewrap exec: skipped (bwrap is not installed)");
        }

        Console.WriteLine();
        Console.WriteLine($"{"scenario",-28} {"baseline",-34} {"median",9} {"subject",-26} {"median",9} {"ratio",7}  target");
        foreach (var figure in figures)
        {
            Console.WriteLine($"{figure.Scenario,-28} {figure.Baseline,-34} {figure.BaselineMs,9:0.0} {figure.Subject,-26} {figure.SubjectMs,9:0.0} {figure.Ratio,6:0.00}x  {figure.Verdict}");
        }

        if (json is not null)
        {
            await File.WriteAllTextAsync(json, JsonSerializer.Serialize(figures.Select(f => new Dictionary<string, object?>
            {
                ["scenario"] = f.Scenario,
                ["baseline"] = f.Baseline,
                ["baselineMs"] = f.BaselineMs,
                ["subject"] = f.Subject,
                ["subjectMs"] = f.SubjectMs,
                ["ratio"] = f.Ratio,
                ["target"] = f.Target,
            }).ToList()));
        }

        try
        {
            Directory.Delete(data, recursive: true);
        }
        catch (IOException)
        {
        }

        return 0;
    }

    private static async Task<string> BoxExecAsync(BoxClient client, string session)
    {
        var result = await client.ExecAsync(session, Command);
        if (result.Stdout != "hi\n")
        {
            throw new InvalidOperationException($"Box exec returned {result.Status} {result.ExitCode}: {result.Stdout}{result.Stderr}");
        }

        return session;
    }

    /// <summary>The baseline: what any Engine API client must do for one exec with its output and exit code.</summary>
    private static async Task<string> RawExecAsync(DockerEngineClient docker, string container)
    {
        var exec = await docker.CreateExecAsync(container, new ExecCreateRequest { Cmd = ["/bin/sh", "-c", Command], User = "1000:1000" }, CancellationToken.None);
        var output = new StringBuilder();
        using (var stream = await docker.StartExecAsync(exec, CancellationToken.None))
        {
            await DockerStreamDemultiplexer.RunAsync(stream, (_, data) =>
            {
                output.Append(Encoding.UTF8.GetString(data.Span));
                return ValueTask.CompletedTask;
            }, CancellationToken.None);
        }

        while ((await docker.InspectExecAsync(exec, CancellationToken.None))?.Running == true)
        {
            await Task.Delay(1);
        }

        return output.ToString() == "hi\n" ? container : throw new InvalidOperationException("raw exec output: " + output);
    }

    private static async Task<string> CreateRawContainerAsync(DockerEngineClient docker, string image)
    {
        var id = await docker.CreateContainerAsync(null, new ContainerCreateRequest
        {
            Image = image,
            Entrypoint = ["sleep"],
            Cmd = ["2147483647"],
            User = "1000:1000",
            NetworkDisabled = true,
            Labels = new Dictionary<string, string> { ["io.plugboard.bench"] = "1" },
            HostConfig = new HostConfig { NetworkMode = "none", Init = true, CapDrop = ["ALL"], ReadonlyRootfs = true, PidsLimit = 256 },
        }, CancellationToken.None);
        await docker.StartContainerAsync(id, CancellationToken.None);
        return id;
    }

    private static async Task<string> RunAsync(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 && output == "hi\n" ? output : throw new InvalidOperationException($"{file} failed ({process.ExitCode}): {output}{error}");
    }

    /// <summary>Milliseconds per operation over <paramref name="count"/> sequential operations.</summary>
    private static async Task<double> PerOpAsync<T>(int count, Func<Task<T>> operation, Func<T, Task>? cleanup = null)
    {
        var elapsed = TimeSpan.Zero;
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var result = await operation();
            elapsed += Stopwatch.GetElapsedTime(start);
            if (cleanup is not null)
            {
                await cleanup(result);
            }
        }

        return elapsed.TotalMilliseconds / count;
    }

    /// <summary>Wall milliseconds per operation with one sequential stream of operations per target, all targets at once.</summary>
    private static async Task<double> ParallelPerOpAsync<T>(int countPerTarget, IReadOnlyList<T> targets, Func<T, Task<T>> operation)
    {
        var start = Stopwatch.GetTimestamp();
        await Task.WhenAll(targets.Select(async target =>
        {
            for (var i = 0; i < countPerTarget; i++)
            {
                await operation(target);
            }
        }));
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds / (countPerTarget * targets.Count);
    }

    private static async Task<(List<double> Baseline, List<double> Subject)> AlternateAsync(int rounds, Func<Task<double>> baseline, Func<Task<double>> subject)
    {
        // One untimed warm-up of each, then alternate so drift on a shared machine hits both alike.
        await baseline();
        await subject();
        var b = new List<double>();
        var s = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            b.Add(await baseline());
            s.Add(await subject());
        }

        return (b, s);
    }

    private static int? ReadInt(string[] args, string name) => ReadString(args, name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : null;

    private static string? ReadString(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }

    private sealed record Figure(string Scenario, string Baseline, double BaselineMs, string Subject, double SubjectMs, double Ratio, double? Target)
    {
        public string Verdict => Target is null ? "(reported)" : Ratio <= Target ? $"<= {Target:0.##}x met" : $"<= {Target:0.##}x NOT met";

        public static Figure Of(string scenario, string baseline, List<double> baselineRounds, string subject, List<double> subjectRounds, double? target)
        {
            var ratios = baselineRounds.Zip(subjectRounds, (b, s) => s / b).ToList();
            return new Figure(scenario, baseline, Median(baselineRounds), subject, Median(subjectRounds), Median(ratios), target);
        }

        private static double Median(List<double> values)
        {
            var sorted = values.Order().ToList();
            return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
        }
    }

    /// <summary>A <c>plugboard-box</c> process over stdio.</summary>
    private sealed class BoxPeer : IAsyncDisposable
    {
        private readonly Process _process;

        private BoxPeer(Process process, JsonRpcConnection connection)
        {
            _process = process;
            Connection = connection;
            Client = new BoxClient(connection);
        }

        public JsonRpcConnection Connection { get; }

        public BoxClient Client { get; }

        public static async Task<BoxPeer> StartAsync(string dataDirectory, string backend, string image)
        {
            var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "plugboard-box.dll"));
            start.ArgumentList.Add("--stdio");
            start.Environment["PLUGBOARD_BOX_TOKEN"] = token;
            start.Environment["PLUGBOARD_BOX_DataDirectory"] = dataDirectory;
            start.Environment["PLUGBOARD_BOX_Backend"] = backend;
            start.Environment["PLUGBOARD_BOX_Docker__DefaultImage"] = image;
            start.Environment["PLUGBOARD_BOX_LogLevel"] = "Warning";
            var process = Process.Start(start)!;
            _ = process.StandardError.ReadToEndAsync();
            var connection = new JsonRpcConnection(new HeaderDelimitedTransport(process.StandardOutput.BaseStream, process.StandardInput.BaseStream), BoxJsonContext.CreateConnectionOptions());
            connection.Start();
            var peer = new BoxPeer(process, connection);
            var hello = await peer.Client.HelloAsync(token, "benchmark");
            if (hello.Backend != backend)
            {
                throw new InvalidOperationException($"The Box selected backend {hello.Backend ?? "none"} instead of {backend}.");
            }

            return peer;
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await Client.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(60));
            }
            catch (Exception ex) when (ex is JsonRpcException or JsonRpcConnectionLostException or TimeoutException)
            {
            }

            await Connection.DisposeAsync();
            if (!_process.WaitForExit(10_000))
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
        }
    }
}
