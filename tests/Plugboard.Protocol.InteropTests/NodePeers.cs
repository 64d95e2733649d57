using System.Diagnostics;
using System.Reflection;

namespace Plugboard.Protocol.InteropTests;

/// <summary>
/// Locates node and the vscode-jsonrpc peers in tests/interop/node. Anything missing fails the test that asked,
/// with the command that fixes it: these tests never skip.
/// </summary>
internal sealed class NodePeers
{
    private const string Fix = "Run `bash scripts/test.sh` from the repository root: it installs the npm packages and then runs the tests.";

    private static readonly Lazy<NodePeers> Instance = new(Locate);

    private NodePeers(string node, string directory, string testServer)
    {
        Node = node;
        Directory = directory;
        TestServerDll = testServer;
    }

    /// <summary>The node executable.</summary>
    public string Node { get; }

    /// <summary>tests/interop/node.</summary>
    public string Directory { get; }

    /// <summary>The built C# test server next to this assembly.</summary>
    public string TestServerDll { get; }

    public string ServerScript => Path.Combine(Directory, "server.js");

    public string ClientScript => Path.Combine(Directory, "client.js");

    /// <summary>Returns the peers or throws an exception explaining what is missing and how to fix it.</summary>
    public static NodePeers Require() => Instance.Value;

    /// <summary>The repository root: walks up from this assembly, then from where it was built (artifacts builds live elsewhere).</summary>
    public static string? FindRepositoryRoot()
    {
        var builtFrom = typeof(NodePeers).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "RepositoryRoot")?.Value;
        foreach (var start in new[] { AppContext.BaseDirectory, builtFrom })
        {
            for (var directory = string.IsNullOrEmpty(start) ? null : new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Runtime.sln")))
                {
                    return directory.FullName;
                }
            }
        }

        return null;
    }

    private static NodePeers Locate()
    {
        var root = FindRepositoryRoot()
            ?? throw new InvalidOperationException($"Cannot find the repository root (the folder with Runtime.sln) above {AppContext.BaseDirectory}. {Fix}");
        var directory = Path.Combine(root, "tests", "interop", "node");
        foreach (var script in new[] { "server.js", "client.js" })
        {
            if (!File.Exists(Path.Combine(directory, script)))
            {
                throw new InvalidOperationException($"The vscode-jsonrpc peer {Path.Combine(directory, script)} is missing from the repository.");
            }
        }

        var node = FindOnPath("node")
            ?? throw new InvalidOperationException($"`node` was not found on PATH; the vscode-jsonrpc interop tests need Node.js 20 or later. Install Node.js, then: {Fix}");
        if (!System.IO.Directory.Exists(Path.Combine(directory, "node_modules", "vscode-jsonrpc")))
        {
            throw new InvalidOperationException($"{Path.Combine(directory, "node_modules")} has no vscode-jsonrpc: the npm packages of the interop peers are not installed. {Fix}");
        }

        var testServer = Path.Combine(AppContext.BaseDirectory, "Plugboard.Protocol.TestServer.dll");
        if (!File.Exists(testServer))
        {
            throw new InvalidOperationException($"{testServer} is missing; rebuild the test project (it references Plugboard.Protocol.TestServer).");
        }

        return new NodePeers(node, directory, testServer);
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

    /// <summary>Where the `dotnet` host is, to start the C# test server from node.</summary>
    public static string DotnetHost()
    {
        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return current;
        }

        var root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (root is not null && File.Exists(Path.Combine(root, "dotnet")))
        {
            return Path.Combine(root, "dotnet");
        }

        return FindOnPath("dotnet") ?? "dotnet";
    }

    /// <summary>Starts a process with redirected stdio, collecting its stderr.</summary>
    public static (Process Process, StderrLog Stderr) Start(string fileName, string workingDirectory, params string[] arguments)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var stderr = new StderrLog();
        process.ErrorDataReceived += (_, e) => stderr.Add(e.Data);
        process.BeginErrorReadLine();
        return (process, stderr);
    }
}

/// <summary>A child's stderr lines, for failure messages.</summary>
internal sealed class StderrLog
{
    private readonly Lock _lock = new();
    private readonly List<string> _lines = [];

    public void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lock)
        {
            _lines.Add(line);
        }
    }

    public override string ToString()
    {
        lock (_lock)
        {
            return _lines.Count == 0 ? "(stderr empty)" : string.Join(Environment.NewLine, _lines.TakeLast(40));
        }
    }
}
