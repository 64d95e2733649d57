using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;

namespace Plugboard.Plugins.WeComBot.Tests.Infrastructure;

/// <summary>
/// Runs the Node scripts in the test project's <c>node/</c> folder, which use WeCom's own npm packages
/// (@wecom/crypto, @wecom/aibot-node-sdk). Their node_modules are installed by scripts/test.sh
/// (<c>npm ci</c> in tests/Plugboard.Plugins.WeComBot.Tests/node).
/// </summary>
internal static class NodeReference
{
    public static string Directory { get; } = Path.Combine(
        typeof(NodeReference).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!,
        "tests", "Plugboard.Plugins.WeComBot.Tests", "node");

    /// <summary>Fails with the set-up command when the packages are missing.</summary>
    public static void EnsureInstalled()
    {
        if (!System.IO.Directory.Exists(Path.Combine(Directory, "node_modules", "@wecom", "crypto")) || !System.IO.Directory.Exists(Path.Combine(Directory, "node_modules", "@wecom", "aibot-node-sdk")))
        {
            throw new InvalidOperationException($"WeCom's npm packages are not installed: run `npm ci` in {Directory} (scripts/test.sh does this).");
        }
    }

    /// <summary>Runs crypto-reference.js over a batch of operations.</summary>
    public static async Task<JsonArray> CryptoAsync(JsonArray operations)
    {
        var (exitCode, output, error) = await RunAsync("crypto-reference.js", [], operations.ToJsonString());
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"crypto-reference.js exited with {exitCode}: {error}");
        }

        return JsonNode.Parse(output)!.AsArray();
    }

    /// <summary>Starts a Node script and returns the process (stdout/stderr redirected).</summary>
    public static Process Start(string script, IEnumerable<string> args)
    {
        EnsureInstalled();
        var info = new ProcessStartInfo("node") { WorkingDirectory = Directory, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(script);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("node did not start");
    }

    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string script, IEnumerable<string> args, string? input = null)
    {
        using var process = Start(script, args);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
        }

        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"node {script} did not finish within 60 s.");
        }

        return (process.ExitCode, await output, await error);
    }
}
