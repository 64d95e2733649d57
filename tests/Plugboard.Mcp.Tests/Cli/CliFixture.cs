using System.Text.Json.Nodes;
using Plugboard.Mcp.Tests.Infrastructure;

namespace Plugboard.Mcp.Tests.Cli;

/// <summary>One <c>plugboard run</c> process whose config file hosts the fixture server (<c>mcp.fixture.*</c>) on the host.</summary>
public sealed class CliFixture : IAsyncLifetime
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "plugboard-mcp-cli-" + Guid.NewGuid().ToString("N")[..12]);

    internal RuntimeProcess Runtime { get; private set; } = null!;

    public string ConfigFile => Path.Combine(Root, "plugboard.json");

    /// <summary>A config file with the fixture server (and <paramref name="extraServers"/>) under <c>mcp:servers</c>.</summary>
    public static JsonObject Config(JsonObject? extraServers = null)
    {
        var servers = new JsonObject
        {
            ["fixture"] = new JsonObject
            {
                ["command"] = NodeServers.Node,
                ["args"] = new JsonArray(NodeServers.Fixture),
                ["location"] = "host",
            },
        };
        foreach (var (name, value) in extraServers ?? [])
        {
            servers[name] = value?.DeepClone();
        }

        return new JsonObject { ["mcp"] = new JsonObject { ["servers"] = servers, ["serve"] = new JsonObject { ["excludeTools"] = new JsonArray("mcp.fixture.crash") } } };
    }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Root);
        await File.WriteAllTextAsync(ConfigFile, Config().ToJsonString());
        Runtime = await RuntimeProcess.StartAsync(Path.Combine(Root, "data"), ConfigFile);
    }

    public async Task DisposeAsync()
    {
        await Runtime.DisposeAsync();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
