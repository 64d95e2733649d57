using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Client;
using Plugboard.Box.Contracts;
using Plugboard.Runtime;
using Plugboard.Runtime.Hosting;
using Plugboard.Runtime.Mcp;
using Plugboard.Runtime.Storage;

using static Plugboard.Benchmarks.BenchmarkSupport;

namespace Plugboard.Benchmarks;

/// <summary>
/// <c>mcp</c>: hosted MCP servers against baselines measured in the same run, alternating over rounds, medians reported.
/// Tool round trip: <c>echo</c> of <c>@modelcontextprotocol/server-everything</c> called through the runtime's registry
/// (<c>mcp.everything.echo</c>) vs the official C# client calling the same server directly (target ≤ 1.2×). Cold start:
/// server-everything from <c>AddMcpServerAsync</c> to Running on the host vs inside a Box session (bubblewrap).
/// </summary>
internal static class McpBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var rounds = ReadInt(args, "--rounds") ?? (quick ? 3 : 5);
        var seconds = quick ? 0.3 : 1.0;
        var json = ReadString(args, "--json");
        var nodeDirectory = RepositoryRoot.Find() is { } repository ? Path.Combine(repository, "tests", "Plugboard.Mcp.Tests", "node") : null;
        var everything = nodeDirectory is null ? null : Path.Combine(nodeDirectory, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");
        if (everything is null || !File.Exists(everything))
        {
            Console.Error.WriteLine($"server-everything is not installed ({everything ?? "repository not found"}); run `npm ci` in tests/Plugboard.Mcp.Tests/node (scripts/test.sh does).");
            return 1;
        }

        var node = FindOnPath("node");
        if (node is null)
        {
            Console.Error.WriteLine("node is not on PATH; the MCP benchmark runs @modelcontextprotocol/server-everything on Node.js.");
            return 1;
        }

        var root = Path.Combine(Path.GetTempPath(), "plugboard-bench-mcp-" + Guid.NewGuid().ToString("N")[..8]);
        var figures = new Dictionary<string, double>(StringComparer.Ordinal);
        Console.WriteLine($"mcp benchmark: {rounds} rounds, {seconds:0.0} s per measurement; server-everything on node {NodeVersion(node)}");
        try
        {
            var definition = new McpServerDefinition { Name = "everything", Command = node, Arguments = [everything, "stdio"], Location = McpServerLocation.Host };
            var arguments = JsonDocument.Parse("""{"message":"hello from the benchmark"}""").RootElement.Clone();
            await using (var direct = await McpClient.CreateAsync(new StdioClientTransport(new StdioClientTransportOptions { Command = node, Arguments = [everything, "stdio"], Name = "direct" }, NullLoggerFactory.Instance)))
            await using (var hosted = await StartRuntimeAsync(Path.Combine(root, "rtt"), box: false))
            {
                await hosted.Runtime.AddMcpServerAsync(definition);
                await hosted.Runtime.WaitUntilMcpServerRunningAsync("everything").WaitAsync(TimeSpan.FromMinutes(2));
                var directArguments = new Dictionary<string, object?> { ["message"] = "hello from the benchmark" };
                var (directRtt, runtimeRtt) = await AlternateAsync(
                    rounds,
                    () => PerOpAsync(seconds, async () => await direct.CallToolAsync("echo", directArguments)),
                    () => PerOpAsync(seconds, async () => await hosted.Runtime.InvokeToolAsync("mcp.everything.echo", arguments)));
                Report(figures, "tool round trip", "official client, direct (µs)", directRtt, "via the runtime's registry (µs)", runtimeRtt, target: 1.2);
            }

            var boxAvailable = FindOnPath("bwrap") is not null && File.Exists(Path.Combine(AppContext.BaseDirectory, "plugboard-box.dll"));
            if (!boxAvailable)
            {
                Console.WriteLine("  cold start           skipped inside the Box: bubblewrap (bwrap) or plugboard-box.dll is missing");
                var (hostOnly, _) = await AlternateAsync(rounds, () => ColdStartAsync(Path.Combine(root, "cold-host"), definition, box: false), () => Task.FromResult(0.0));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  cold start           server-everything to Running on the host: {hostOnly:0} ms"));
                figures["cold_start.host_ms"] = hostOnly;
            }
            else
            {
                var inBox = definition with { Location = McpServerLocation.Box, BoxMounts = [nodeDirectory!] };
                await using var boxed = await StartRuntimeAsync(Path.Combine(root, "cold-box"), box: true, mountRoot: nodeDirectory);
                var attempt = 0;
                var (host, box) = await AlternateAsync(
                    rounds,
                    () => ColdStartAsync(Path.Combine(root, "cold-host"), definition, box: false),
                    () => BoxColdStartAsync(boxed.Runtime, inBox with { Name = "everything" + (++attempt).ToString(CultureInfo.InvariantCulture) }));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  cold start           server-everything to Running on the host: {host:0} ms   inside a Box session (bubblewrap): {box:0} ms   ratio {box / host:0.00}x"));
                figures["cold_start.host_ms"] = host;
                figures["cold_start.box_ms"] = box;
                figures["cold_start.ratio"] = box / host;
            }

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
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>A fresh runtime (its own data folder) from adding server-everything until it is Running, in ms.</summary>
    private static async Task<double> ColdStartAsync(string data, McpServerDefinition definition, bool box)
    {
        await using var runtime = await StartRuntimeAsync(data + "-" + Guid.NewGuid().ToString("N")[..6], box);
        var start = Stopwatch.GetTimestamp();
        await runtime.Runtime.AddMcpServerAsync(definition);
        await runtime.Runtime.WaitUntilMcpServerRunningAsync(definition.Name).WaitAsync(TimeSpan.FromMinutes(2));
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    /// <summary>In a runtime whose Box is already connected (the Box's own start is not the server's), a new server's start, in ms.</summary>
    private static async Task<double> BoxColdStartAsync(PlugboardRuntime runtime, McpServerDefinition definition)
    {
        var start = Stopwatch.GetTimestamp();
        await runtime.AddMcpServerAsync(definition);
        await runtime.WaitUntilMcpServerRunningAsync(definition.Name).WaitAsync(TimeSpan.FromMinutes(2));
        var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        await runtime.RemoveMcpServerAsync(definition.Name);
        return elapsed;
    }

    private static async Task<RunningRuntime> StartRuntimeAsync(string data, bool box, string? mountRoot = null)
    {
        var options = new PlugboardOptions { DataDirectory = data };
        options.Supervisor.ReadyTimeout = TimeSpan.FromSeconds(60);
        options.Supervisor.PingInterval = TimeSpan.FromMinutes(5);
        if (box)
        {
            options.Box.Enabled = true;
            options.Box.Executable = Path.Combine(AppContext.BaseDirectory, "plugboard-box.dll");
            options.Box.Backend = BoxBackendNames.Bubblewrap;
            if (mountRoot is not null)
            {
                options.Box.Settings["AllowedMountRoots__0"] = mountRoot;
            }
        }

        var storage = new SqliteStorage(Options.Create(new SqliteStorageOptions { DataDirectory = data }));
        var runtime = new PlugboardRuntime(Options.Create(options), storage, NullLoggerFactory.Instance);
        await runtime.StartAsync();
        if (box)
        {
            var deadline = Stopwatch.GetTimestamp();
            while (runtime.BoxClient is null && Stopwatch.GetElapsedTime(deadline) < TimeSpan.FromMinutes(1))
            {
                await Task.Delay(50);
            }
        }

        return new RunningRuntime(runtime, storage);
    }

    private static async Task<(double Baseline, double Subject)> AlternateAsync(int rounds, Func<Task<double>> baseline, Func<Task<double>> subject)
    {
        var baselines = new List<double>();
        var subjects = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            baselines.Add(await baseline());
            subjects.Add(await subject());
        }

        return (Median(baselines), Median(subjects));
    }

    private static void Report(Dictionary<string, double> figures, string name, string baselineLabel, double baseline, string subjectLabel, double subject, double target)
    {
        var ratio = subject / baseline;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-20} {baselineLabel}: {baseline:0.0}   {subjectLabel}: {subject:0.0}   ratio {ratio:0.00}x (target <= {target:0.0}x: {(ratio <= target ? "met" : "MISSED")})"));
        var key = name.Replace(' ', '_');
        figures[key + ".baseline"] = baseline;
        figures[key + ".subject"] = subject;
        figures[key + ".ratio"] = ratio;
    }

    private static string? FindOnPath(string program)
        => (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);

    private static string NodeVersion(string node)
    {
        using var process = Process.Start(new ProcessStartInfo(node, "--version") { RedirectStandardOutput = true, UseShellExecute = false })!;
        var version = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return version;
    }

    private static int? ReadInt(string[] args, string name) => ReadString(args, name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : null;

    private static string? ReadString(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }

    /// <summary>A runtime and its storage, disposed together.</summary>
    private sealed record RunningRuntime(PlugboardRuntime Runtime, SqliteStorage Storage) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Runtime.DisposeAsync();
            await Storage.DisposeAsync();
        }
    }
}
