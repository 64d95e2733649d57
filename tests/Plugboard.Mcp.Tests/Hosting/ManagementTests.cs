using Plugboard.Mcp.Tests.Infrastructure;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Runtime.Mcp;
using Plugboard.Runtime.Supervision;
using static Plugboard.Mcp.Tests.Infrastructure.McpRuntimeFixture;

namespace Plugboard.Mcp.Tests.Hosting;

/// <summary>MCP server definitions through the runtime API and configuration: validation, persistence, enable/disable, filters.</summary>
public sealed class ManagementTests : IAsyncLifetime
{
    private readonly McpRuntimeFixture _runtimes = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _runtimes.DisposeAsync();

    [Fact]
    public async Task AddMcpServerAsync_InvalidDefinition_ListsEveryProblem()
    {
        var runtime = await _runtimes.StartRuntimeAsync();

        var error = await Assert.ThrowsAsync<JsonRpcException>(() => runtime.AddMcpServerAsync(new McpServerDefinition { Name = "Bad.Name", Transport = McpTransportKind.Stdio, Url = "http://x" }));

        Assert.Equal(PlugboardErrorCodes.McpServerInvalid, error.Code);
        Assert.Contains("not a valid MCP server name", error.Message, StringComparison.Ordinal);
        Assert.Contains("command is required", error.Message, StringComparison.Ordinal);
        Assert.Contains("url is only for http servers", error.Message, StringComparison.Ordinal);
        Assert.Empty(runtime.GetMcpServers());
    }

    [Fact]
    public async Task AddMcpServerAsync_Duplicate_RequiresReplace()
    {
        var runtime = await _runtimes.StartRuntimeAsync(o => o.StartPlugins = false);
        await runtime.AddMcpServerAsync(FixtureServer());

        var error = await Assert.ThrowsAsync<JsonRpcException>(() => runtime.AddMcpServerAsync(FixtureServer()));
        var replaced = await runtime.AddMcpServerAsync(FixtureServer() with { DeniedTools = ["crash"] }, replace: true);

        Assert.Equal(PlugboardErrorCodes.McpServerInvalid, error.Code);
        Assert.Contains("--replace", error.Message, StringComparison.Ordinal);
        Assert.Equal(["crash"], replaced.Definition.DeniedTools);
    }

    [Fact]
    public async Task AddMcpServerAsync_Persisted_NextRuntimeLoadsItWithItsState()
    {
        var first = await _runtimes.StartRuntimeAsync(o => o.StartPlugins = false);
        await first.AddMcpServerAsync(FixtureServer());
        await first.AddMcpServerAsync(Everything());
        await first.DisableMcpServerAsync("everything");
        await first.StopAsync();

        var second = await _runtimes.StartRuntimeAsync(o => o.StartPlugins = false);

        var servers = second.GetMcpServers();
        Assert.Equal(["everything", "fixture"], servers.Select(s => s.Name));
        Assert.All(servers, s => Assert.Equal(McpServerSource.Storage, s.Source));
        Assert.False(servers[0].Enabled);
        Assert.Equal(PluginState.Disabled, servers[0].State);
        Assert.True(servers[1].Enabled);
        Assert.Equal("***", servers[1].Definition.Environment["FIXTURE_MODE"]);
        Assert.Equal(NodeServers.Fixture, servers[1].Definition.Arguments[0]);
    }

    [Fact]
    public async Task RemoveMcpServerAsync_StoredServer_GoneForGood()
    {
        var first = await _runtimes.StartRuntimeAsync();
        await AddRunningAsync(first, FixtureServer());

        await first.RemoveMcpServerAsync("fixture");

        Assert.Empty(first.GetMcpServers());
        Assert.DoesNotContain(first.GetTools(), t => t.PluginId == "mcp.fixture");
        await first.StopAsync();
        var second = await _runtimes.StartRuntimeAsync(o => o.StartPlugins = false);
        Assert.Empty(second.GetMcpServers());
        var error = await Assert.ThrowsAsync<JsonRpcException>(() => second.RemoveMcpServerAsync("fixture"));
        Assert.Equal(PlugboardErrorCodes.McpServerNotFound, error.Code);
    }

    [Fact]
    public async Task ConfigServer_CannotBeRemovedButDisablingPersists()
    {
        var first = await _runtimes.StartRuntimeAsync(o => o.Mcp.Servers.Add(FixtureServer()));
        await WaitRunningAsync(first, "fixture");
        Assert.Equal(McpServerSource.Config, first.GetMcpServer("fixture").Source);

        var remove = await Assert.ThrowsAsync<JsonRpcException>(() => first.RemoveMcpServerAsync("fixture"));
        var replace = await Assert.ThrowsAsync<JsonRpcException>(() => first.AddMcpServerAsync(FixtureServer(), replace: true));
        await first.DisableMcpServerAsync("fixture");
        await first.StopAsync();
        var second = await _runtimes.StartRuntimeAsync(o => o.Mcp.Servers.Add(FixtureServer()));

        Assert.Contains("configuration", remove.Message, StringComparison.Ordinal);
        Assert.Equal(PlugboardErrorCodes.McpServerInvalid, replace.Code);
        Assert.Equal(PluginState.Disabled, second.GetMcpServer("fixture").State);
    }

    [Fact]
    public async Task DisableThenEnable_ToolsLeaveAndReturn()
    {
        var runtime = await _runtimes.StartRuntimeAsync();
        await AddRunningAsync(runtime, FixtureServer());

        await runtime.DisableMcpServerAsync("fixture");
        var disabled = runtime.GetMcpServer("fixture");
        var toolsWhileDisabled = runtime.GetTools().Count(t => t.PluginId == "mcp.fixture");
        var call = await Assert.ThrowsAsync<JsonRpcException>(() => runtime.InvokeToolAsync("mcp.fixture.echo", Json("""{"text":"x"}""")));
        var restart = await Assert.ThrowsAsync<JsonRpcException>(() => runtime.RestartMcpServerAsync("fixture"));
        await runtime.EnableMcpServerAsync("fixture");
        await WaitRunningAsync(runtime, "fixture");

        Assert.Equal(PluginState.Disabled, disabled.State);
        Assert.Equal(0, toolsWhileDisabled);
        Assert.Equal(PlugboardErrorCodes.ToolNotFound, call.Code);
        Assert.Equal(PlugboardErrorCodes.McpServerNotRunning, restart.Code);
        Assert.Contains(runtime.GetTools(), t => t.Name == "mcp.fixture.echo");
    }

    [Fact]
    public async Task AllowedAndDeniedTools_FilterWhatIsRegistered()
    {
        var runtime = await _runtimes.StartRuntimeAsync();

        await AddRunningAsync(runtime, Everything() with { AllowedTools = ["get-*", "echo"], DeniedTools = ["get-env"] });

        var names = runtime.GetTools().Where(t => t.PluginId == "mcp.everything").Select(t => t.Name).ToList();
        Assert.Contains("mcp.everything.echo", names);
        Assert.Contains("mcp.everything.get-sum", names);
        Assert.DoesNotContain("mcp.everything.get-env", names);
        Assert.DoesNotContain("mcp.everything.trigger-long-running-operation", names);
        Assert.Equal(names.Order(StringComparer.Ordinal), runtime.GetMcpServer("everything").Tools);
    }

    [Fact]
    public async Task McpOptions_InvalidConfiguration_RuntimeRefusesToStart()
    {
        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => _runtimes.StartRuntimeAsync(o =>
        {
            o.Mcp.Servers.Add(FixtureServer());
            o.Mcp.Servers.Add(FixtureServer());
            o.Mcp.Servers.Add(new McpServerDefinition { Name = "web", Transport = McpTransportKind.Http, Url = "ftp://nope" });
        }));

        Assert.Contains(error.Failures, f => f.Contains("used twice", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("Mcp:Servers[2] (web)", StringComparison.Ordinal) && f.Contains("http://", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("*", "anything", true)]
    [InlineData("get-*", "get-sum", true)]
    [InlineData("get-*", "echo", false)]
    [InlineData("mcp.files.*", "mcp.files.read_file", true)]
    [InlineData("acme.weather/*", "acme.weather/forecast", true)]
    [InlineData("read_?ile", "read_file", true)]
    [InlineData("read_?ile", "read_files", false)]
    [InlineData("*_file", "read_text_file", true)]
    public void GlobMatches_Patterns_MatchAsDocumented(string pattern, string name, bool expected)
        => Assert.Equal(expected, McpNames.GlobMatches(pattern, name));
}
