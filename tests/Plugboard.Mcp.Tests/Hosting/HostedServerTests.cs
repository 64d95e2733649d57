using System.Collections.Concurrent;
using System.Text.Json;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Runtime.Supervision;
using static Plugboard.Mcp.Tests.Infrastructure.McpRuntimeFixture;

namespace Plugboard.Mcp.Tests.Hosting;

/// <summary>Real MCP servers on the host, their tools called through the runtime's registry.</summary>
public sealed class HostedServerTests(HostedServersFixture fixture) : IClassFixture<HostedServersFixture>
{
    private readonly HostedServersFixture _fixture = fixture;

    private Runtime.PlugboardRuntime Runtime => _fixture.Runtime;

    [Fact]
    public void GetTools_HostedServers_RegisteredAsMcpServerTool()
    {
        var tools = Runtime.GetTools();

        var echo = Assert.Single(tools, t => t.Name == "mcp.everything.echo");
        Assert.Equal("mcp.everything", echo.PluginId);
        Assert.NotNull(echo.Parameters);
        Assert.Contains(tools, t => t.Name == "mcp.everything.get-sum");
        Assert.Contains(tools, t => t.Name == "mcp.files.read_text_file" && t.PluginId == "mcp.files");
        Assert.Contains(tools, t => t.Name == "mcp.fixture.slow" && t.PluginId == "mcp.fixture");
        var status = Runtime.GetMcpServer("everything");
        Assert.Equal(PluginState.Running, status.State);
        Assert.Contains("mcp.everything.echo", status.Tools);
        Assert.NotNull(status.ProcessId);
        Assert.NotNull(status.ProtocolVersion);
    }

    [Fact]
    public async Task InvokeToolAsync_EverythingEcho_ReturnsCallToolResult()
    {
        var result = await Runtime.InvokeToolAsync("mcp.everything.echo", Json("""{"message":"hello through plugboard"}"""));

        Assert.Contains("hello through plugboard", Text(result), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeToolAsync_UniqueBareName_ResolvesToTheMcpTool()
    {
        var result = await Runtime.InvokeToolAsync("get-sum", Json("""{"a":2,"b":40}"""));

        Assert.Contains("42", Text(result), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeToolAsync_ArgumentsAgainstSchema_RejectedBeforeTheServer()
    {
        var error = await Assert.ThrowsAsync<JsonRpcException>(() => Runtime.InvokeToolAsync("mcp.fixture.echo", Json("""{"text":42}""")));

        Assert.Equal(PlugboardErrorCodes.ToolArgumentsInvalid, error.Code);
    }

    [Fact]
    public async Task InvokeToolAsync_LongRunningOperation_ForwardsProgress()
    {
        var reports = new ConcurrentQueue<JsonElement>();

        var result = await Runtime.InvokeToolAsync(
            "mcp.everything.trigger-long-running-operation",
            Json("""{"duration":0.3,"steps":3}"""),
            new SyncProgress(reports.Enqueue));

        Assert.Contains("Long running operation completed", Text(result), StringComparison.Ordinal);
        Assert.Equal([1.0, 2.0, 3.0], reports.Select(r => r.GetProperty("progress").GetDouble()));
        Assert.All(reports, r => Assert.Equal(3.0, r.GetProperty("total").GetDouble()));
    }

    [Fact]
    public async Task InvokeToolAsync_ProgressWithMessages_ForwardedInOrder()
    {
        var reports = new ConcurrentQueue<JsonElement>();

        await Runtime.InvokeToolAsync("mcp.fixture.progress", Json("""{"steps":5}"""), new SyncProgress(reports.Enqueue));

        Assert.Equal(["step 1 of 5", "step 2 of 5", "step 3 of 5", "step 4 of 5", "step 5 of 5"], reports.Select(r => r.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task InvokeToolAsync_CallerCancels_ServerReceivesNotificationsCancelled()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cancel = new CancellationTokenSource();
        var before = CancelledLines();

        var call = Runtime.InvokeToolAsync("mcp.fixture.slow", Json("{}"), new SyncProgress(_ => started.TrySetResult()), cancellationToken: cancel.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await WaitForAsync(() => CancelledLines() > before, "the fixture server to log that its call was cancelled");
    }

    [Fact]
    public async Task InvokeToolAsync_Timeout_ThrowsToolTimeoutAndCancelsOnServer()
    {
        var before = CancelledLines();

        var error = await Assert.ThrowsAsync<JsonRpcException>(() => Runtime.InvokeToolAsync("mcp.fixture.slow", Json("{}"), timeout: TimeSpan.FromSeconds(1)));

        Assert.Equal(PlugboardErrorCodes.ToolTimeout, error.Code);
        await WaitForAsync(() => CancelledLines() > before, "the fixture server to log that its call was cancelled");
    }

    [Fact]
    public async Task InvokeToolAsync_LargeFile_ReadThroughFilesystemServer()
    {
        var expected = await File.ReadAllTextAsync(_fixture.LargeFile);

        var result = await Runtime.InvokeToolAsync("mcp.files.read_text_file", JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["path"] = _fixture.LargeFile }));

        var text = Text(result);
        Assert.Equal(expected.Length, text.Length);
        Assert.Equal(expected, text);
    }

    [Fact]
    public async Task InvokeToolAsync_LargeResult_ArrivesWhole()
    {
        const int bytes = 12 * 1024 * 1024;

        var result = await Runtime.InvokeToolAsync("mcp.fixture.big", Json($$"""{"bytes":{{bytes}}}"""));

        var text = Text(result);
        Assert.Equal(bytes, text.Length);
        Assert.True(text.All(c => c == 'x'));
    }

    [Fact]
    public async Task ToolsListChanged_ServerAddsTool_RegistryRefreshed()
    {
        var name = "extra_" + Guid.NewGuid().ToString("N")[..8];

        await Runtime.InvokeToolAsync("mcp.fixture.add_tool", JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["name"] = name }));

        await WaitForAsync(() => Runtime.GetTools().Any(t => t.Name == $"mcp.fixture.{name}"), $"mcp.fixture.{name} in the registry");
        Assert.Equal($"called {name}", Text(await Runtime.InvokeToolAsync($"mcp.fixture.{name}", Json("{}"))));
        await Runtime.InvokeToolAsync("mcp.fixture.remove_tool", JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["name"] = name }));
        await WaitForAsync(() => Runtime.GetTools().All(t => t.Name != $"mcp.fixture.{name}"), $"mcp.fixture.{name} to leave the registry");
    }

    [Fact]
    public async Task Environment_HostedServer_SeesAllowlistAndDefinitionOnly()
    {
        var names = Text(await Runtime.InvokeToolAsync("mcp.fixture.env", Json("{}"))).Split('\n');

        Assert.Contains("FIXTURE_DEFINED", names);
        Assert.Contains("PATH", names);
        Assert.DoesNotContain(HostedServersFixture.WithheldVariable, names);
    }

    [Fact]
    public async Task ListMcpResourcesAsync_Everything_ListsResourcesAndTemplates()
    {
        var resources = await Runtime.ListMcpResourcesAsync("everything");

        Assert.Contains(resources, r => r.Server == "everything" && !r.IsTemplate);
        var template = Assert.Single(resources, r => r.IsTemplate && r.Uri.Contains("dynamic/text", StringComparison.Ordinal));
        var read = await Runtime.ReadMcpResourceAsync("everything", System.Text.RegularExpressions.Regex.Replace(template.Uri, "\\{[^}]+\\}", "1"));
        Assert.NotEmpty(read.GetProperty("contents").EnumerateArray());
        Assert.Empty(await Runtime.ListMcpResourcesAsync("fixture"));
    }

    [Fact]
    public async Task GetMcpPromptAsync_EverythingArgsPrompt_ReturnsMessages()
    {
        var prompts = await Runtime.ListMcpPromptsAsync();
        var prompt = Assert.Single(prompts, p => p.Server == "everything" && p.Name == "args-prompt");
        Assert.Contains(prompt.Arguments, a => a.Name == "city" && a.Required);

        var result = await Runtime.GetMcpPromptAsync("everything", "args-prompt", new Dictionary<string, JsonElement> { ["city"] = JsonSerializer.SerializeToElement("Lyon") });

        Assert.Contains("Lyon", result.GetProperty("messages").GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadMcpResourceAsync_UnknownServer_McpServerNotFound()
    {
        var error = await Assert.ThrowsAsync<JsonRpcException>(() => Runtime.ReadMcpResourceAsync("nope", "demo://x"));

        Assert.Equal(PlugboardErrorCodes.McpServerNotFound, error.Code);
    }

    private int CancelledLines() => Runtime.GetMcpServerLogs("fixture", 1000).Count(l => l.Contains("slow cancelled", StringComparison.Ordinal));

    /// <summary>Reports synchronously, so order is what the runtime delivered.</summary>
    private sealed class SyncProgress(Action<JsonElement> onReport) : IProgress<JsonElement>
    {
        public void Report(JsonElement value) => onReport(value);
    }
}
