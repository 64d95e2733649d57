using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Plugboard.Mcp.Tests.Infrastructure;

namespace Plugboard.Mcp.Tests.Cli;

/// <summary><c>plugboard mcp ...</c>, the control methods behind it, <c>/mcp</c> on <c>plugboard run</c> and <c>plugboard mcp serve</c>.</summary>
public sealed class McpCliTests(CliFixture fixture) : IClassFixture<CliFixture>
{
    private readonly CliFixture _fixture = fixture;

    private RuntimeProcess Runtime => _fixture.Runtime;

    [Fact]
    public async Task McpList_ConfigServer_RunningWithTools()
    {
        await WaitRunningAsync("fixture");

        var result = await Runtime.CliAsync("mcp", "list", "--json");

        Assert.Equal(0, result.ExitCode);
        var fixtureServer = JsonDocument.Parse(result.Output).RootElement.EnumerateArray().Single(s => s.GetProperty("name").GetString() == "fixture");
        Assert.Equal("Running", fixtureServer.GetProperty("state").GetString());
        Assert.Equal("Config", fixtureServer.GetProperty("source").GetString());
        Assert.Contains(fixtureServer.GetProperty("tools").EnumerateArray(), t => t.GetString() == "mcp.fixture.echo");
    }

    [Fact]
    public async Task McpAddDisableEnableRemove_HostStdioServer_RoundTrip()
    {
        var add = await Runtime.CliAsync("mcp", "add", "everything", "--host", "--exclude-tools", "get-env", "--", NodeServers.Node, NodeServers.Everything, "stdio");
        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.Contains("everything is Running with", add.Error, StringComparison.Ordinal);

        var table = await Runtime.CliAsync("mcp", "list");
        Assert.Contains("everything", table.Output, StringComparison.Ordinal);
        Assert.Contains("added", table.Output, StringComparison.Ordinal);
        var call = await Runtime.CliAsync("tool", "invoke", "mcp.everything.echo", """{"message":"from the cli"}""");
        Assert.True(call.ExitCode == 0, call.ToString());
        Assert.Contains("from the cli", call.Output, StringComparison.Ordinal);

        Assert.Equal(0, (await Runtime.CliAsync("mcp", "disable", "everything")).ExitCode);
        Assert.Contains("Disabled", (await Runtime.CliAsync("mcp", "list")).Output, StringComparison.Ordinal);
        var enable = await Runtime.CliAsync("mcp", "enable", "everything");
        Assert.True(enable.ExitCode == 0, enable.ToString());
        var remove = await Runtime.CliAsync("mcp", "remove", "everything");
        Assert.True(remove.ExitCode == 0, remove.ToString());
        Assert.DoesNotContain("everything", (await Runtime.CliAsync("mcp", "list")).Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task McpAdd_NeitherCommandNorUrl_UsageErrorWithExample()
    {
        var result = await Runtime.CliAsync("mcp", "add", "nothing", "--host");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--url", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task McpAdd_InvalidName_RefusedWithTheRule()
    {
        var result = await Runtime.CliAsync("mcp", "add", "Bad.Name", "--host", "--", "node");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("lowercase letters", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task McpRemove_ConfigServer_RefusedWithWhatToDo()
    {
        var result = await Runtime.CliAsync("mcp", "remove", "fixture");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("configuration", result.Error, StringComparison.Ordinal);
        Assert.Contains("plugboard mcp disable fixture", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task McpEndpoint_OfficialClientWithToken_ListsAndCallsRegistryTools()
    {
        await WaitRunningAsync("fixture");
        await using var client = await ConnectAsync();

        var tools = await client.ListToolsAsync();
        var result = await client.CallToolAsync("mcp.fixture.echo", new Dictionary<string, object?> { ["text"] = "over /mcp" });

        Assert.Contains(tools, t => t.Name == "mcp.fixture.echo");
        Assert.DoesNotContain(tools, t => t.Name == "mcp.fixture.crash");
        Assert.Equal("over /mcp", Assert.IsType<TextContentBlock>(result.Content[0]).Text);
        Assert.False(string.IsNullOrEmpty(client.SessionId));
    }

    [Fact]
    public async Task McpEndpoint_RegistryChanges_SessionGetsToolsListChanged()
    {
        await WaitRunningAsync("fixture");
        await using var client = await ConnectAsync();
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var handler = client.RegisterNotificationHandler(NotificationMethods.ToolListChangedNotification, (_, _) =>
        {
            changed.TrySetResult();
            return ValueTask.CompletedTask;
        });
        var name = "http_" + Guid.NewGuid().ToString("N")[..8];

        await client.CallToolAsync("mcp.fixture.add_tool", new Dictionary<string, object?> { ["name"] = name });

        await changed.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Contains(await client.ListToolsAsync(), t => t.Name == $"mcp.fixture.{name}");
    }

    [Fact]
    public async Task McpEndpoint_NoToken_401WithWhereTheTokenIs()
    {
        using var http = new HttpClient();

        using var response = await http.SendAsync(Initialize(Runtime.McpUrl));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Contains("control.token", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task McpEndpoint_ForeignHostHeader_403()
    {
        using var http = new HttpClient();
        using var request = Initialize(Runtime.McpUrl + "?access_token=" + Runtime.ControlToken);
        request.Headers.Host = "evil.example.com";

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task McpEndpoint_UnknownSession_404AndMissingSessionOnGet_400()
    {
        using var http = new HttpClient();
        using var post = Initialize(Runtime.McpUrl);
        post.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Runtime.ControlToken);
        post.Headers.Add("Mcp-Session-Id", "no-such-session");
        using var get = new HttpRequestMessage(HttpMethod.Get, Runtime.McpUrl);
        get.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Runtime.ControlToken);
        get.Headers.Accept.ParseAdd("text/event-stream");

        using var unknown = await http.SendAsync(post);
        using var missing = await http.SendAsync(get);

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
    }

    [Fact]
    public async Task Run_InvalidMcpSection_FailsWithTheSettingPath()
    {
        var root = Path.Combine(_fixture.Root, "bad-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(root);
        var config = Path.Combine(root, "plugboard.json");
        await File.WriteAllTextAsync(config, """{"mcp":{"servers":{"bad":{"command":"node","location":"moon"}},"serve":{"toolz":["*"]}}}""");

        var result = await Processes.PlugboardAsync(["run", "--data-dir", Path.Combine(root, "data"), "--port", "0", "--config", config]);

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("mcp:servers:bad:location", result.Error, StringComparison.Ordinal);
        Assert.Contains("mcp:serve:toolz", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_Stdio_OfficialClientCallsHostedTool()
    {
        var data = Path.Combine(_fixture.Root, "serve-" + Guid.NewGuid().ToString("N")[..6]);
        var transport = new StdioClientTransport(new StdioClientTransportOptions
        {
            Command = "dotnet",
            Arguments = [Processes.CliDll, "mcp", "serve", "--data-dir", data, "--config", _fixture.ConfigFile],
            EnvironmentVariables = new Dictionary<string, string?>(RuntimeProcess.FastSettings()) { ["XDG_CONFIG_HOME"] = Path.Combine(data, "no-config") },
            ShutdownTimeout = TimeSpan.FromSeconds(20),
        }, NullLoggerFactory.Instance);
        await using var client = await McpClient.CreateAsync(transport, new McpClientOptions { InitializationTimeout = TimeSpan.FromSeconds(120) });

        IList<McpClientTool> tools = [];
        await McpRuntimeFixture.WaitForAsync(() => (tools = client.ListToolsAsync().AsTask().GetAwaiter().GetResult()).Any(t => t.Name == "mcp.fixture.echo"), "the hosted fixture's tools over stdio", 120);
        var result = await client.CallToolAsync("mcp.fixture.echo", new Dictionary<string, object?> { ["text"] = "over stdio" });

        Assert.Equal("plugboard", client.ServerInfo?.Name);
        Assert.Equal("over stdio", Assert.IsType<TextContentBlock>(result.Content[0]).Text);
    }

    [Fact]
    public async Task Serve_DataFolderInUse_FailsWithTheHttpEndpoint()
    {
        var result = await Processes.PlugboardAsync(["mcp", "serve", "--data-dir", Runtime.DataDirectory]);

        Assert.Equal(7, result.ExitCode);
        Assert.Contains("/mcp", result.Error, StringComparison.Ordinal);
        Assert.Contains("--data-dir", result.Error, StringComparison.Ordinal);
    }

    private async Task<McpClient> ConnectAsync() => await McpClient.CreateAsync(
        new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(Runtime.McpUrl),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + Runtime.ControlToken },
        }, NullLoggerFactory.Instance),
        new McpClientOptions { ProtocolVersion = "2025-11-25" });

    private async Task WaitRunningAsync(string name)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            var result = await Runtime.CliAsync("mcp", "list", "--json");
            if (result.ExitCode == 0 && JsonNode.Parse(result.Output)!.AsArray().Any(s => s!["name"]!.GetValue<string>() == name && s["state"]!.GetValue<string>() == "Running"))
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"MCP server {name} is not Running: {result}{Environment.NewLine}{Runtime.Output}");
            }

            await Task.Delay(250);
        }
    }

    private static HttpRequestMessage Initialize(string url)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        return request;
    }
}
