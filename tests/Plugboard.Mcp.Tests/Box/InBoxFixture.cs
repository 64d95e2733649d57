using Plugboard.Box.Contracts;
using Plugboard.Mcp.Tests.Infrastructure;
using Plugboard.Runtime;
using Plugboard.Runtime.Mcp;

namespace Plugboard.Mcp.Tests.Box;

/// <summary>
/// A runtime with a real Box (spawned <c>plugboard-box</c>, bubblewrap backend: the jail sees the host's read-only system
/// folders, so <c>/usr/bin/node</c> runs there) and server-everything, server-filesystem and the fixture server located
/// in the Box, each a managed process in its own session, reached over the Box's relay. The npm packages and a folder
/// with a large file are mounted read-only into the sessions.
/// </summary>
public sealed class InBoxFixture : IAsyncLifetime
{
    public McpRuntimeFixture Runtimes { get; } = new();

    public PlugboardRuntime Runtime { get; private set; } = null!;

    public string FilesDirectory => Path.Combine(Runtimes.Root, "files");

    public string LargeFile => Path.Combine(FilesDirectory, "large.txt");

    /// <summary>A definition located in the Box, seeing the npm packages (and <paramref name="extraMounts"/>) read-only.</summary>
    public static McpServerDefinition InBox(McpServerDefinition hostDefinition, params string[] extraMounts) => hostDefinition with
    {
        Location = McpServerLocation.Box,
        BoxMounts = [NodeServers.NodeDirectory, .. extraMounts],
    };

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(FilesDirectory);
        var line = string.Concat(Enumerable.Repeat("fedcba9876543210", 4)) + "\n";
        await File.WriteAllTextAsync(LargeFile, string.Concat(Enumerable.Repeat(line, 4 * 1024 * 1024 / line.Length)));
        Runtime = await Runtimes.StartRuntimeAsync(o =>
        {
            o.Box.Enabled = true;
            o.Box.Executable = Processes.BoxDll;
            o.Box.Backend = BoxBackendNames.Bubblewrap;
            o.Box.Settings["AllowedMountRoots__0"] = NodeServers.NodeDirectory;
            o.Box.Settings["AllowedMountRoots__1"] = FilesDirectory;
        });
        await Task.WhenAll(
            McpRuntimeFixture.AddRunningAsync(Runtime, InBox(McpRuntimeFixture.Everything())),
            McpRuntimeFixture.AddRunningAsync(Runtime, InBox(McpRuntimeFixture.Filesystem(FilesDirectory), FilesDirectory)),
            McpRuntimeFixture.AddRunningAsync(Runtime, InBox(McpRuntimeFixture.FixtureServer())));
    }

    public async Task DisposeAsync() => await Runtimes.DisposeAsync();
}
