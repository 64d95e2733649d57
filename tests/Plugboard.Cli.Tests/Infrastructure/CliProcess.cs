using System.Diagnostics;
using System.Text;

namespace Plugboard.Cli.Tests.Infrastructure;

/// <summary>The outcome of one <c>plugboard</c> invocation.</summary>
internal sealed record CliResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}{Environment.NewLine}stdout:{Environment.NewLine}{Output}{Environment.NewLine}stderr:{Environment.NewLine}{Error}";
}

/// <summary>Runs the real <c>plugboard</c> process (and other programs) and captures their output.</summary>
internal static class CliProcess
{
    /// <summary>Runs <c>plugboard args</c> to completion.</summary>
    public static Task<CliResult> RunAsync(IEnumerable<string> args, IDictionary<string, string?>? environment = null, string? workingDirectory = null, TimeSpan? timeout = null)
        => RunProgramAsync("dotnet", [CliPaths.CliDll, .. args], environment, workingDirectory, timeout);

    /// <summary>Runs any program to completion.</summary>
    public static async Task<CliResult> RunProgramAsync(string program, IEnumerable<string> args, IDictionary<string, string?>? environment = null, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        using var process = Start(program, args, environment, workingDirectory);
        var output = new StringBuilder();
        var error = new StringBuilder();
        var pumpOut = Pump(process.StandardOutput, output);
        var pumpErr = Pump(process.StandardError, error);
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            await Task.WhenAll(pumpOut, pumpErr);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish within {timeout ?? TimeSpan.FromMinutes(3)}.{Environment.NewLine}stdout: {output}{Environment.NewLine}stderr: {error}");
        }

        await Task.WhenAll(pumpOut, pumpErr);
        return new CliResult(process.ExitCode, output.ToString(), error.ToString());
    }

    /// <summary>Starts a process with redirected streams, stdin closed, and the given environment changes.</summary>
    public static Process Start(string program, IEnumerable<string> args, IDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Directory.GetCurrentDirectory(),
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // Keep the tests independent of the machine's own Plugboard configuration and build folder.
        start.Environment.Remove("PLUGBOARD_CONFIG");
        start.Environment.Remove("PLUGBOARD_ARTIFACTS");
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("PLUGBOARD__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["NO_COLOR"] = "1";
        start.Environment["CI"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        process.StandardInput.Close();
        return process;
    }

    /// <summary>Sends SIGTERM (a graceful stop, like Ctrl+C).</summary>
    public static void Terminate(Process process)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false });
        kill?.WaitForExit();
    }

    private static async Task Pump(StreamReader reader, StringBuilder into)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (into)
            {
                into.AppendLine(line);
            }
        }
    }
}
