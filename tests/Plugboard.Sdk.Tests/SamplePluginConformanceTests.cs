using System.Text.Json;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Sdk.Tests.Infrastructure;

namespace Plugboard.Sdk.Tests;

/// <summary>
/// The behaviour every plugin shows, whatever its language: run against the C# sample (on the SDK), the Node sample
/// (vscode-jsonrpc) and the plain-Python sample, each a real process over stdio.
/// </summary>
public abstract class SamplePluginConformanceTests
{
    protected abstract SamplePlugin Plugin { get; }

    [Fact]
    public async Task Initialize_RuntimeOffersCurrentVersion_PicksItAndEchoesIdentityAndCapabilities()
    {
        await using var plugin = await PluginProcess.StartInitializedAsync(Plugin);
        var handshake = plugin.Handshake!;

        Assert.Equal(ProtocolVersions.Current, handshake.ProtocolVersion);
        Assert.Equal(Plugin.PluginId, handshake.PluginId);
        var listener = Assert.Single(handshake.Capabilities.Listeners!, l => l.Name == "reply");
        Assert.Equal(["message.*"], listener.Events);
        Assert.Equal(10, listener.Priority);
        var echo = Assert.Single(handshake.Capabilities.Tools!, t => t.Name == "echo");
        Assert.Equal("string", echo.Parameters!.Value.GetProperty("properties").GetProperty("text").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Initialize_RuntimeOffersOnlyAnUnknownVersion_FailsWithMismatchNamingBothSides()
    {
        await using var plugin = PluginProcess.Start(Plugin);

        var error = await Assert.ThrowsAsync<JsonRpcException>(() => plugin.InitializeAsync(["0.7"]));

        Assert.Equal(PlugboardErrorCodes.ProtocolVersionMismatch, error.Code);
        Assert.Contains("0.7", error.Message, StringComparison.Ordinal);
        Assert.Contains(ProtocolVersions.Current, error.Message, StringComparison.Ordinal);
        Assert.Equal("0.7", error.Data!.Value.GetProperty("runtimeVersions")[0].GetString());
        Assert.Equal(ProtocolVersions.Current, error.Data!.Value.GetProperty("pluginVersions")[0].GetString());
    }

    [Fact]
    public async Task Initialize_PluginSpeaksOnlyAnUnknownVersion_FailsWithMismatchNamingBothSides()
    {
        await using var plugin = PluginProcess.Start(Plugin, new Dictionary<string, string?> { ["SAMPLE_MODE"] = "version-mismatch" });

        var error = await Assert.ThrowsAsync<JsonRpcException>(() => plugin.InitializeAsync());

        Assert.Equal(PlugboardErrorCodes.ProtocolVersionMismatch, error.Code);
        Assert.Contains("9.9", error.Message, StringComparison.Ordinal);
        Assert.Contains(ProtocolVersions.Current, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EventDispatch_MessageEvent_ListenerRepliesWithTheTextAndLetsItPropagate()
    {
        await using var plugin = await PluginProcess.StartInitializedAsync(Plugin);

        var result = await plugin.DispatchAsync("reply", "message.received", new { text = "hello there" });

        Assert.False(result.StopPropagation);
        Assert.Equal("hello there", result.Result!.Value.GetProperty("text").GetString());
    }

    [Fact]
    public async Task EventDispatch_TextStartingWithStop_StopsPropagation()
    {
        await using var plugin = await PluginProcess.StartInitializedAsync(Plugin);

        var result = await plugin.DispatchAsync("reply", "message.received", new { text = "stop right there" });

        Assert.True(result.StopPropagation);
        Assert.Equal("stop right there", result.Result!.Value.GetProperty("text").GetString());
    }

    [Fact]
    public async Task ToolInvoke_Echo_ReturnsTheText()
    {
        await using var plugin = await PluginProcess.StartInitializedAsync(Plugin);

        var result = await plugin.InvokeToolAsync("echo", new { text = "ünïcödé ✓" });

        Assert.Equal("ünïcödé ✓", result.GetProperty("text").GetString());
    }

    [Fact]
    public async Task ToolInvoke_UnknownTool_FailsWithToolNotFound()
    {
        await using var plugin = await PluginProcess.StartInitializedAsync(Plugin);

        var error = await Assert.ThrowsAsync<JsonRpcException>(() => plugin.InvokeToolAsync("no_such_tool", new { }));

        Assert.Equal(PlugboardErrorCodes.ToolNotFound, error.Code);
        Assert.Contains("no_such_tool", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ping_AfterHandshake_AnswersWithAnEmptyObject()
    {
        await using var plugin = await PluginProcess.StartInitializedAsync(Plugin);

        var result = await plugin.InvokeAsync<JsonElement>(PluginMethods.Ping, Empty.Instance);

        Assert.Equal(JsonValueKind.Object, result.ValueKind);
        Assert.Empty(result.EnumerateObject());
    }

    [Fact]
    public async Task ShutdownThenExit_AfterWork_ExitsWithCodeZero()
    {
        await using var plugin = await PluginProcess.StartInitializedAsync(Plugin);
        await plugin.InvokeToolAsync("echo", new { text = "work" });

        await plugin.InvokeAsync<JsonElement>(PluginMethods.Shutdown, Empty.Instance);
        await plugin.Connection.NotifyAsync(PluginMethods.Exit, Empty.Instance);

        Assert.True(await plugin.WaitForExitAsync(PluginProcess.Generous), "the plugin did not exit after shutdown and exit");
        Assert.Equal(0, plugin.Process.ExitCode);
    }

    [Fact]
    public async Task Stderr_AfterHandshake_CarriesStructuredJsonLogLines()
    {
        await using var plugin = await PluginProcess.StartInitializedAsync(Plugin);

        var line = await plugin.WaitForStderrAsync(l => l.StartsWith('{') && l.Contains("andshake", StringComparison.Ordinal));

        using var entry = JsonDocument.Parse(line);
        Assert.Equal("Information", entry.RootElement.GetProperty("level").GetString());
        Assert.False(string.IsNullOrEmpty(entry.RootElement.GetProperty("category").GetString()));
        Assert.True(DateTimeOffset.TryParse(entry.RootElement.GetProperty("timestamp").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));
        Assert.Equal(JsonValueKind.Null, entry.RootElement.GetProperty("exception").ValueKind);
    }
}

public sealed class EchoSampleConformanceTests : SamplePluginConformanceTests
{
    protected override SamplePlugin Plugin => SamplePlugin.Echo;
}

public sealed class NodeSampleConformanceTests : SamplePluginConformanceTests
{
    public NodeSampleConformanceTests()
    {
        Assert.True(Directory.Exists(Path.Combine(SamplePlugin.NodeModules, "vscode-jsonrpc")),
            $"vscode-jsonrpc is not installed in {SamplePlugin.NodeModules}; run scripts/test.sh (it runs npm ci there).");
    }

    protected override SamplePlugin Plugin => SamplePlugin.Node;
}

public sealed class PythonSampleConformanceTests : SamplePluginConformanceTests
{
    protected override SamplePlugin Plugin => SamplePlugin.Python;
}
