using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Plugboard.Benchmarks;

/// <summary>The vscode-jsonrpc figures of one run of tests/interop/node/bench.js (Node client and Node server).</summary>
internal sealed record NodeFigures(double SequentialSmallUs, double SequentialLargeUs, double PipelinedSmallRps, double PipelinedLargeRps);

/// <summary>Runs the vscode-jsonrpc baseline, <c>node tests/interop/node/bench.js</c>.</summary>
internal sealed class NodeBaseline
{
    private readonly string _node;
    private readonly string _directory;

    private NodeBaseline(string node, string directory)
    {
        _node = node;
        _directory = directory;
    }

    public string Description => $"{_node} {Path.Combine(_directory, "bench.js")}";

    /// <summary>Finds node and the installed peers, or says why the baseline is skipped.</summary>
    public static NodeBaseline? Find(out string skipReason)
    {
        var node = FindOnPath("node");
        if (node is null)
        {
            skipReason = "node not found";
            return null;
        }

        var root = RepositoryRoot.Find();
        if (root is null)
        {
            skipReason = "repository root (Runtime.sln) not found; run the benchmark from inside the repository";
            return null;
        }

        var directory = Path.Combine(root, "tests", "interop", "node");
        if (!File.Exists(Path.Combine(directory, "bench.js")))
        {
            skipReason = $"{Path.Combine(directory, "bench.js")} not found";
            return null;
        }

        if (!Directory.Exists(Path.Combine(directory, "node_modules", "vscode-jsonrpc")))
        {
            skipReason = "tests/interop/node/node_modules missing; run `bash scripts/test.sh` (or `npm ci` in tests/interop/node) first";
            return null;
        }

        skipReason = string.Empty;
        return new NodeBaseline(node, directory);
    }

    /// <summary>
    /// Runs the four phases for <paramref name="secondsPerPhase"/> each, after <paramref name="warmup"/> requests per
    /// phase (V8 needs a few thousand calls to optimise the hot paths; too short a warm-up flatters Plugboard).
    /// </summary>
    public async Task<NodeFigures> RunAsync(double secondsPerPhase, int inFlight, int warmup)
    {
        var info = new ProcessStartInfo(_node)
        {
            WorkingDirectory = _directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "bench.js",
            "--seconds", secondsPerPhase.ToString("0.###", CultureInfo.InvariantCulture),
            "--warmup", warmup.ToString(CultureInfo.InvariantCulture),
            "--in-flight", inFlight.ToString(CultureInfo.InvariantCulture),
        })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {_node}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds((4 * secondsPerPhase) + 60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Description} did not finish within {(4 * secondsPerPhase) + 60:0} s.");
        }

        var output = await stdout;
        var errors = await stderr;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Description} exited with code {process.ExitCode}:{Environment.NewLine}{errors}");
        }

        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault()
            ?? throw new InvalidDataException($"{Description} printed nothing on stdout.");
        using var document = JsonDocument.Parse(line);
        var sequential = document.RootElement.GetProperty("sequential");
        var pipelined = document.RootElement.GetProperty("pipelined");
        return new NodeFigures(
            sequential.GetProperty("small_us").GetDouble(),
            sequential.GetProperty("large_us").GetDouble(),
            pipelined.GetProperty("small_rps").GetDouble(),
            pipelined.GetProperty("large_rps").GetDouble());
    }

    /// <summary>Asks node for its version (for the report).</summary>
    public async Task<string> GetVersionAsync()
    {
        var info = new ProcessStartInfo(_node, "--version") { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = Process.Start(info)!;
        var version = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return version.Trim();
    }

    private static string? FindOnPath(string program)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
