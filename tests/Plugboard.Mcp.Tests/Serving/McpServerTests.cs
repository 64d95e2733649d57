#pragma warning disable MCP9005 // The tests exercise sampling relays for the 2025 protocol revisions.
using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using Plugboard.Runtime.Mcp.Serving;
using static Plugboard.Mcp.Tests.Infrastructure.McpRuntimeFixture;

namespace Plugboard.Mcp.Tests.Serving;

/// <summary>Plugboard's tool registry served over MCP to the official client: names, calls, progress, cancellation, list_changed.</summary>
public sealed class McpServerTests(ServingFixture fixture) : IClassFixture<ServingFixture>
{
    private readonly ServingFixture _fixture = fixture;

    [Fact]
    public async Task ListTools_Registry_ExposedWithMcpNamesAndFilters()
    {
        var client = await _fixture.ConnectAsync();

        var tools = await client.ListToolsAsync();

        var names = tools.Select(t => t.Name).ToList();
        Assert.Contains("mcp.everything.echo", names);
        Assert.Contains("mcp.fixture.slow", names);
        Assert.Contains("acme.weather.forecast", names);
        Assert.DoesNotContain("mcp.everything.get-env", names);
        Assert.All(tools, t => Assert.False(string.IsNullOrEmpty(t.Description)));
        var forecast = tools.Single(t => t.Name == "acme.weather.forecast");
        Assert.Equal("string", forecast.JsonSchema.GetProperty("properties").GetProperty("city").GetProperty("type").GetString());
        Assert.Equal("plugboard", client.ServerInfo?.Name);
    }

    [Fact]
    public async Task CallTool_HostedMcpTool_ResultPassesThrough()
    {
        var client = await _fixture.ConnectAsync();

        var result = await client.CallToolAsync("mcp.everything.get-tiny-image", new Dictionary<string, object?>());

        Assert.NotEqual(true, result.IsError);
        Assert.Contains(result.Content, c => c is ImageContentBlock { MimeType: "image/png" });
    }

    [Fact]
    public async Task CallTool_PluginStyleTool_JsonResultBecomesTextAndStructuredContent()
    {
        var client = await _fixture.ConnectAsync();

        var (result, progress) = await _fixture.CallWithProgressAsync(client, "acme.weather.forecast", new Dictionary<string, object?> { ["city"] = "Oslo" });

        var text = Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;
        Assert.Equal("Oslo", JsonDocument.Parse(text).RootElement.GetProperty("city").GetString());
        Assert.Equal("clear", result.StructuredContent!.Value.GetProperty("sky").GetString());
        Assert.Equal(["looking up", "done"], progress.Select(p => p.GetProperty("message").GetString()));
        Assert.True(progress[1].GetProperty("progress").GetDouble() > progress[0].GetProperty("progress").GetDouble());
    }

    [Fact]
    public async Task CallTool_BareNameUniqueAmongExposed_Resolves()
    {
        var client = await _fixture.ConnectAsync();

        var result = await client.CallToolAsync("forecast", new Dictionary<string, object?> { ["city"] = "Rome" });

        Assert.Equal("Rome", result.StructuredContent!.Value.GetProperty("city").GetString());
    }

    [Fact]
    public async Task CallTool_HostedToolProgress_ForwardedInOrderBeforeTheResult()
    {
        var client = await _fixture.ConnectAsync();

        var (result, progress) = await _fixture.CallWithProgressAsync(client, "mcp.fixture.progress", new Dictionary<string, object?> { ["steps"] = 4 });

        Assert.Equal("done in 4 steps", Assert.IsType<TextContentBlock>(result.Content[0]).Text);
        Assert.Equal(["step 1 of 4", "step 2 of 4", "step 3 of 4", "step 4 of 4"], progress.Select(p => p.GetProperty("message").GetString()));
        Assert.Equal([1.0, 2.0, 3.0, 4.0], progress.Select(p => p.GetProperty("progress").GetDouble()));
    }

    [Fact]
    public async Task CallTool_ClientSendsCancelled_HostedServerIsCancelledToo()
    {
        var client = await _fixture.ConnectAsync();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var progress = client.RegisterNotificationHandler(NotificationMethods.ProgressNotification, (_, _) =>
        {
            started.TrySetResult();
            return ValueTask.CompletedTask;
        });
        var before = CancelledLines();
        var requestId = new RequestId("cancel-me");
        using var stop = new CancellationTokenSource();
        var parameters = new CallToolRequestParams { Name = "mcp.fixture.slow", Arguments = new Dictionary<string, JsonElement>(), Meta = new System.Text.Json.Nodes.JsonObject { ["progressToken"] = "t1" } };
        var call = client.SendRequestAsync<CallToolRequestParams, CallToolResult>(RequestMethods.ToolsCall, parameters, McpJsonUtilities.DefaultOptions, requestId, stop.Token).AsTask();
        await started.Task.WaitAsync(TimeSpan.FromSeconds(60));

        await client.SendNotificationAsync(NotificationMethods.CancelledNotification, new CancelledNotificationParams { RequestId = requestId, Reason = "test" }, McpJsonUtilities.DefaultOptions);

        await WaitForAsync(() => CancelledLines() > before, "the hosted fixture server to log that its call was cancelled");
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
    }

    [Fact]
    public async Task CallTool_UnknownTool_ProtocolError()
    {
        var client = await _fixture.ConnectAsync();

        var error = await Assert.ThrowsAsync<McpProtocolException>(async () => await client.CallToolAsync("no.such.tool"));

        Assert.Equal(McpErrorCode.InvalidParams, error.ErrorCode);
    }

    [Fact]
    public async Task CallTool_InvalidArguments_ToolErrorResult()
    {
        var client = await _fixture.ConnectAsync();

        var result = await client.CallToolAsync("acme.weather.forecast", new Dictionary<string, object?> { ["city"] = 3 });

        Assert.True(result.IsError);
        Assert.Contains("city", Assert.IsType<TextContentBlock>(result.Content[0]).Text, StringComparison.Ordinal);
        Assert.Equal(2001, result.StructuredContent!.Value.GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task ToolsChanged_HostedServerAddsTool_SessionGetsListChanged()
    {
        var client = await _fixture.ConnectAsync();
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var handler = client.RegisterNotificationHandler(NotificationMethods.ToolListChangedNotification, (_, _) =>
        {
            changed.TrySetResult();
            return ValueTask.CompletedTask;
        });
        var name = "served_" + Guid.NewGuid().ToString("N")[..8];

        await client.CallToolAsync("mcp.fixture.add_tool", new Dictionary<string, object?> { ["name"] = name });

        await changed.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Contains(await client.ListToolsAsync(), t => t.Name == $"mcp.fixture.{name}");
    }

    [Fact]
    public async Task Resources_HostedServers_ListedAndRead()
    {
        var client = await _fixture.ConnectAsync();

        var resources = await client.ListResourcesAsync();
        var templates = await client.ListResourceTemplatesAsync();
        var read = await client.ReadResourceAsync(resources[0].Uri);

        Assert.NotEmpty(resources);
        Assert.Contains(templates, t => t.UriTemplate.Contains("dynamic/text", StringComparison.Ordinal));
        Assert.NotEmpty(read.Contents);
    }

    [Fact]
    public async Task Prompts_HostedServers_ListedQualifiedAndGotByEitherName()
    {
        var client = await _fixture.ConnectAsync();

        var prompts = await client.ListPromptsAsync();
        var qualified = await client.GetPromptAsync("mcp.everything.simple-prompt");
        var bare = await client.GetPromptAsync("args-prompt", new Dictionary<string, object?> { ["city"] = "Kyoto" });

        Assert.Contains(prompts, p => p.Name == "mcp.everything.args-prompt");
        Assert.NotEmpty(qualified.Messages);
        Assert.Contains("Kyoto", JsonSerializer.Serialize(bare.Messages, McpJsonUtilities.DefaultOptions), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CallTool_HostedServerAsksForSampling_RelayedToTheCallingClient()
    {
        var asked = new TaskCompletionSource<CreateMessageRequestParams>(TaskCreationOptions.RunContinuationsAsynchronously);
        var client = await _fixture.ConnectAsync(new ModelContextProtocol.Client.McpClientOptions
        {
            Capabilities = new ClientCapabilities { Sampling = new SamplingCapability() },
            Handlers = new ModelContextProtocol.Client.McpClientHandlers
            {
                SamplingHandler = (request, _, _) =>
                {
                    asked.TrySetResult(request!);
                    return ValueTask.FromResult(new CreateMessageResult { Content = [new TextContentBlock { Text = "sampled by the test client" }], Model = "test-model", Role = Role.Assistant });
                },
            },
        });

        var result = await client.CallToolAsync("mcp.everything.trigger-sampling-request", new Dictionary<string, object?> { ["prompt"] = "relay me" });

        Assert.Contains("relay me", JsonSerializer.Serialize((await asked.Task).Messages, McpJsonUtilities.DefaultOptions), StringComparison.Ordinal);
        Assert.Contains("sampled by the test client", JsonSerializer.Serialize(result.Content, McpJsonUtilities.DefaultOptions), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeToolAsync_HostedServerAsksForSamplingWithoutAnMcpCaller_RefusedWithTheReason()
    {
        string outcome;
        try
        {
            outcome = (await _fixture.Runtime.InvokeToolAsync("mcp.everything.trigger-sampling-request", Json("""{"prompt":"nobody to ask"}"""))).GetRawText();
        }
        catch (Plugboard.Protocol.JsonRpc.JsonRpcException ex)
        {
            outcome = ex.Message;
        }

        Assert.Contains("cannot relay sampling/createMessage", outcome, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("acme.weather/forecast", "acme.weather.forecast")]
    [InlineData("mcp.files.read_file", "mcp.files.read_file")]
    [InlineData("box.exec", "box.exec")]
    [InlineData("odd tool/na:me", "odd_tool.na_me")]
    public void ExposedName_RegistryNames_MapToValidMcpNames(string qualified, string exposed)
        => Assert.Equal(exposed, PlugboardMcpServer.ExposedName(qualified));

    private int CancelledLines() => _fixture.Runtime.GetMcpServerLogs("fixture", 1000).Count(l => l.Contains("slow cancelled", StringComparison.Ordinal));
}
