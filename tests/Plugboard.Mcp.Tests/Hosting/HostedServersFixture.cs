using Plugboard.Mcp.Tests.Infrastructure;
using Plugboard.Runtime;

namespace Plugboard.Mcp.Tests.Hosting;

/// <summary>
/// One runtime shared by <see cref="HostedServerTests"/>: server-everything, server-filesystem (over a folder with a large
/// file) and the fixture server, all on the host.
/// </summary>
public sealed class HostedServersFixture : IAsyncLifetime
{
    /// <summary>A variable of the test process that hosted servers must not see (not in the environment allowlist).</summary>
    public const string WithheldVariable = "PLUGBOARD_MCP_TEST_WITHHELD";

    public McpRuntimeFixture Runtimes { get; } = new();

    public PlugboardRuntime Runtime { get; private set; } = null!;

    public string FilesDirectory => Path.Combine(Runtimes.Root, "files");

    /// <summary>A 4 MiB text file inside <see cref="FilesDirectory"/>.</summary>
    public string LargeFile => Path.Combine(FilesDirectory, "large.txt");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(FilesDirectory);
        var line = string.Concat(Enumerable.Repeat("0123456789abcdef", 4)) + "\n";
        await File.WriteAllTextAsync(LargeFile, string.Concat(Enumerable.Repeat(line, 4 * 1024 * 1024 / line.Length)));
        Environment.SetEnvironmentVariable(WithheldVariable, "secret");
        Runtime = await Runtimes.StartRuntimeAsync();
        await Task.WhenAll(
            McpRuntimeFixture.AddRunningAsync(Runtime, McpRuntimeFixture.Everything()),
            McpRuntimeFixture.AddRunningAsync(Runtime, McpRuntimeFixture.Filesystem(FilesDirectory)),
            McpRuntimeFixture.AddRunningAsync(Runtime, McpRuntimeFixture.FixtureServer(environment: new Dictionary<string, string> { ["FIXTURE_DEFINED"] = "1" })));
    }

    public async Task DisposeAsync() => await Runtimes.DisposeAsync();
}
