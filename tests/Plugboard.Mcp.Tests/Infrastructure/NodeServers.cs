using System.Diagnostics;
using System.Reflection;

namespace Plugboard.Mcp.Tests.Infrastructure;

/// <summary>
/// Where the real MCP servers of the tests live: Node.js and the npm packages of <c>tests/Plugboard.Mcp.Tests/node</c>.
/// A missing Node.js or a missing package fails the test with what to run, never skips it.
/// </summary>
internal static class NodeServers
{
    private static readonly Lazy<string> NodePath = new(FindNode);

    /// <summary>The repository root.</summary>
    public static string RepositoryRoot { get; } = typeof(NodeServers).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!;

    /// <summary>The npm project with the servers.</summary>
    public static string NodeDirectory => Path.Combine(RepositoryRoot, "tests", "Plugboard.Mcp.Tests", "node");

    /// <summary>The node executable (fails the test when Node.js is missing).</summary>
    public static string Node => NodePath.Value;

    /// <summary>server-everything's entry point.</summary>
    public static string Everything => Package("@modelcontextprotocol/server-everything", "dist", "index.js");

    /// <summary>server-filesystem's entry point.</summary>
    public static string Filesystem => Package("@modelcontextprotocol/server-filesystem", "dist", "index.js");

    /// <summary>The conformance suite's command-line entry point.</summary>
    public static string Conformance => Package("@modelcontextprotocol/conformance", "dist", "index.js");

    /// <summary>The fixture server (tools added at run time, crash, cancellable call, large results).</summary>
    public static string Fixture
    {
        get
        {
            _ = Package("@modelcontextprotocol/sdk", "package.json");
            return Path.Combine(NodeDirectory, "fixture-server.mjs");
        }
    }

    /// <summary>A file inside an installed package (fails the test when the package is missing).</summary>
    public static string Package(string name, params string[] path)
    {
        var file = Path.Combine([NodeDirectory, "node_modules", .. name.Split('/'), .. path]);
        if (!File.Exists(file))
        {
            throw new InvalidOperationException(
                $"The npm package {name} is not installed ({file} is missing). Run scripts/test.sh (it installs them), or by hand: cd {NodeDirectory} && npm ci");
        }

        return file;
    }

    private static string FindNode()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, "node");
            if (File.Exists(candidate))
            {
                using var version = Process.Start(new ProcessStartInfo(candidate, "--version") { RedirectStandardOutput = true, UseShellExecute = false })!;
                var text = version.StandardOutput.ReadToEnd().Trim();
                version.WaitForExit();
                if (version.ExitCode == 0 && text.StartsWith('v') && int.TryParse(text[1..].Split('.')[0], out var major) && major >= 20)
                {
                    return candidate;
                }

                throw new InvalidOperationException($"{candidate} is Node.js {text}; the MCP tests need Node.js 20 or later.");
            }
        }

        throw new InvalidOperationException("Node.js is not on PATH; the MCP tests run real MCP servers on Node.js 20 or later. Install it (Debian: apt-get install nodejs npm) and run scripts/test.sh.");
    }
}
