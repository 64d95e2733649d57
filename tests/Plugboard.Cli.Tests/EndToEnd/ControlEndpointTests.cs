using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using Plugboard.Cli.Tests.Infrastructure;
using Plugboard.Protocol.JsonRpc;
using Xunit.Abstractions;

namespace Plugboard.Cli.Tests.EndToEnd;

[Collection(EndToEndCollection.Name)]
public sealed class ControlEndpointTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TempDirectory _temp = new("plugboard-control");
    private RuntimeProcess _runtime = null!;

    public async Task InitializeAsync() => _runtime = await RuntimeProcess.StartAsync(_temp.Combine("data"));

    public async Task DisposeAsync()
    {
        await _runtime.DisposeAsync();
        output.WriteLine(_runtime.Output);
        _temp.Dispose();
    }

    [Fact]
    public async Task Control_WithoutToken_IsRefusedWith401AndAHint()
    {
        var (status, error) = await ConnectRawAsync(null);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("control token is required", error, StringComparison.Ordinal);
        Assert.Contains("control.token", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Control_WithWrongToken_IsRefusedWith401()
    {
        var (status, error) = await ConnectRawAsync("not-the-token");

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("wrong", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Control_WithToken_AnswersRuntimeInfoAndPluginList()
    {
        await using var connection = await _runtime.ConnectAsync();

        var info = await connection.InvokeAsync<JsonElement>("runtime/info");
        var plugins = await connection.InvokeAsync<JsonElement>("plugin/list");

        Assert.Equal(_runtime.ProcessId, info.GetProperty("processId").GetInt32());
        Assert.Equal(_runtime.ControlUrl, info.GetProperty("controlUrl").GetString());
        Assert.Equal(JsonValueKind.Array, plugins.ValueKind);
    }

    [Fact]
    public async Task Control_UnknownPlugin_ReturnsPluginNotFoundWithData()
    {
        await using var connection = await _runtime.ConnectAsync();

        var ex = await Assert.ThrowsAsync<JsonRpcException>(() => connection.InvokeAsync<JsonElement>("plugin/get", new { pluginId = "no.such" }));

        Assert.Equal(1000, ex.Code);
        Assert.Equal("no.such", ex.Data!.Value.GetProperty("plugin").GetString());
    }

    [Fact]
    public async Task Control_RelativeInstallPath_IsInvalidParams()
    {
        await using var connection = await _runtime.ConnectAsync();

        var ex = await Assert.ThrowsAsync<JsonRpcException>(() => connection.InvokeAsync<JsonElement>("plugin/install", new { path = "relative/plugin" }));

        Assert.Equal(JsonRpcErrorCodes.InvalidParams, ex.Code);
    }

    [Fact]
    public async Task Healthz_WithoutToken_ReportsOk()
    {
        using var http = new HttpClient();

        var body = await http.GetStringAsync(_runtime.HealthUrl);

        using var document = JsonDocument.Parse(body);
        Assert.Equal("ok", document.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Subscribe_PluginStateChanges_ArriveAsNotifications()
    {
        var plugin = PluginFolders.CopyPythonPlugin(_temp.Path);
        var states = Channel.CreateUnbounded<JsonElement>();
        await using var connection = await _runtime.ConnectAsync(c => c.AddNotification<JsonElement>("plugin/stateChanged", (p, _) =>
        {
            states.Writer.TryWrite(p);
            return ValueTask.CompletedTask;
        }));

        var subscription = await connection.InvokeAsync<JsonElement>("runtime/subscribe", new { events = new[] { "plugin/stateChanged" } });
        await connection.InvokeAsync<JsonElement>("plugin/install", new { path = plugin });

        Assert.Equal("1", subscription.GetProperty("subscription").GetString());
        var seen = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!seen.Contains("Running"))
        {
            var change = await states.Reader.ReadAsync(timeout.Token);
            Assert.Equal("test.py-hello", change.GetProperty("pluginId").GetString());
            seen.Add(change.GetProperty("current").GetString()!);
        }

        Assert.Contains("Starting", seen);
    }

    [Fact]
    public async Task Subscribe_UnknownEvent_IsInvalidParams()
    {
        await using var connection = await _runtime.ConnectAsync();

        var ex = await Assert.ThrowsAsync<JsonRpcException>(() => connection.InvokeAsync<JsonElement>("runtime/subscribe", new { events = new[] { "plugin/exploded" } }));

        Assert.Equal(JsonRpcErrorCodes.InvalidParams, ex.Code);
        Assert.Contains("plugin/stateChanged", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ToolInvoke_WithProgressToken_ForwardsProgressBeforeTheResult()
    {
        var plugin = PluginFolders.CopyPythonPlugin(_temp.Path);
        await using var connection = await _runtime.ConnectAsync();
        await connection.InvokeAsync<JsonElement>("plugin/install", new { path = plugin });
        await connection.InvokeAsync<JsonElement>("plugin/waitUntilRunning", new { pluginId = "test.py-hello" });
        var reports = new List<JsonElement>();
        using var registration = connection.RegisterProgress(new SyncProgress<JsonElement>(reports.Add));

        var result = await connection.InvokeAsync<JsonElement>("tool/invoke", new { name = "test.py-hello/echo", arguments = new { text = "hi" }, progressToken = registration.Token });

        Assert.Equal("hi", result.GetProperty("text").GetString());
        Assert.Equal(1, Assert.Single(reports).GetProperty("step").GetInt32());
    }

    [Fact]
    public async Task ToolInvoke_BadArguments_ReturnsToolArgumentsInvalid()
    {
        var plugin = PluginFolders.CopyPythonPlugin(_temp.Path);
        await using var connection = await _runtime.ConnectAsync();
        await connection.InvokeAsync<JsonElement>("plugin/install", new { path = plugin });
        await connection.InvokeAsync<JsonElement>("plugin/waitUntilRunning", new { pluginId = "test.py-hello" });

        var ex = await Assert.ThrowsAsync<JsonRpcException>(() => connection.InvokeAsync<JsonElement>("tool/invoke", new { name = "test.py-hello/echo", arguments = new { text = 42 } }));

        Assert.Equal(2001, ex.Code);
    }

    [Fact]
    public async Task EventDispatch_ReachesTheListener()
    {
        var plugin = PluginFolders.CopyPythonPlugin(_temp.Path);
        await using var connection = await _runtime.ConnectAsync();
        await connection.InvokeAsync<JsonElement>("plugin/install", new { path = plugin });
        await connection.InvokeAsync<JsonElement>("plugin/waitUntilRunning", new { pluginId = "test.py-hello" });

        var outcome = await connection.InvokeAsync<JsonElement>("event/dispatch", new { type = "test.ping", data = new { n = 1 } });

        var listener = Assert.Single(outcome.GetProperty("listeners").EnumerateArray());
        Assert.Equal("Handled", listener.GetProperty("status").GetString());
        Assert.Equal("test.ping", listener.GetProperty("result").GetProperty("seen").GetString());
    }

    private async Task<(HttpStatusCode Status, string Error)> ConnectRawAsync(string? token)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (token is not null)
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        }

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(new Uri(_runtime.ControlUrl), CancellationToken.None));
        return (socket.HttpStatusCode, socket.HttpResponseHeaders!["X-Plugboard-Error"].Single());
    }

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
