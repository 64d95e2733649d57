using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Runtime.Bots;
using Plugboard.Runtime.Tests.Supervision;

namespace Plugboard.Runtime.Tests.Bots;

/// <summary>Bots and routing against a real adapter process (the Python test plugin acting as a "testchat" adapter).</summary>
public sealed class BotRoutingTests : IAsyncLifetime
{
    private const string Adapter = "test.adapter";
    private readonly PluginFixture _fixture = new();
    private readonly CapturingLoggerFactory _loggers = new();
    private PlugboardRuntime _runtime = null!;

    public async Task InitializeAsync()
    {
        _fixture.AddPythonPlugin(Adapter, adapter: true);
        _runtime = await _fixture.StartRuntimeAsync(loggers: _loggers);
        await _runtime.WaitUntilRunningAsync(Adapter).WaitAsync(TimeSpan.FromSeconds(30));
    }

    public async Task DisposeAsync() => await _fixture.DisposeAsync();

    [Fact]
    public async Task AddBotAsync_InvalidDefinition_ListsEveryProblem()
    {
        var bot = new BotDefinition("Bad Id!", "x", Adapter, "nochat", PluginFixture.Json("{}"), Routes: [new RouteRule("not a pattern", RouteHandlerKind.Webhook)]);

        var error = await Assert.ThrowsAsync<JsonRpcException>(() => _runtime.AddBotAsync(bot));

        Assert.Equal(PlugboardErrorCodes.BotInvalid, error.Code);
        Assert.Contains("id:", error.Message, StringComparison.Ordinal);
        Assert.Contains("platform:", error.Message, StringComparison.Ordinal);
        Assert.Contains("routes[0].event", error.Message, StringComparison.Ordinal);
        Assert.Contains("routes[0].webhook.url", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddBotAsync_MissingRequiredSecret_RejectedNamingTheField()
    {
        var error = await Assert.ThrowsAsync<JsonRpcException>(() => _runtime.AddBotAsync(new BotDefinition("b1", "Bot", Adapter, "", PluginFixture.Json("{}"))));

        Assert.Equal(PlugboardErrorCodes.BotInvalid, error.Code);
        Assert.Contains("token", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddBotAsync_Valid_StartsOnAdapterWithConfigAndRedactsSecrets()
    {
        var status = await _runtime.AddBotAsync(new BotDefinition("b1", "Bot", Adapter, "", PluginFixture.Json("""{"token":"s3cret"}""")));

        Assert.Equal("Running", status.State);
        Assert.Equal("testchat", status.Platform);
        Assert.Equal("***", status.Config.GetProperty("token").GetString());
        var bots = await _runtime.InvokeToolAsync("bots", PluginFixture.Json("{}"));
        Assert.Equal("s3cret", bots.GetProperty("b1").GetProperty("token").GetString());
        Assert.Equal("hi", bots.GetProperty("b1").GetProperty("greeting").GetString());
    }

    [Fact]
    public async Task RouteEventAsync_DefaultRule_ListenerActionsReplyThroughAdapter()
    {
        await AddBotAsync("b1");

        var record = await Inject("b1", "act now");

        Assert.True(record.GetProperty("rule").GetString() == "default", Warnings());
        var outbox = await Outbox();
        var reply = Assert.Single(outbox, o => o.GetProperty("api").GetString() == "reply");
        Assert.Equal("b1", reply.GetProperty("params").GetProperty("botId").GetString());
        Assert.Equal("in-1", reply.GetProperty("params").GetProperty("messageId").GetString());
        Assert.Equal("acted: act now", reply.GetProperty("params").GetProperty("chain")[0].GetProperty("text").GetString());
        Assert.Single(_runtime.GetRecentEvents("b1"));
    }

    [Fact]
    public async Task RouteEventAsync_RulesByPriorityAndWildcard_FirstMatchWins()
    {
        await AddBotAsync("b1", [
            new RouteRule("*", RouteHandlerKind.Ignore, Priority: -100, Description: "catch-all"),
            new RouteRule("message.*", RouteHandlerKind.Ignore, Priority: 5, Description: "mute messages"),
            new RouteRule("message.received", RouteHandlerKind.Plugins, Priority: 10, Plugins: [$"{Adapter}/first"], Description: "first only"),
            new RouteRule("message.received", RouteHandlerKind.Ignore, Priority: 50, Enabled: false, Description: "disabled"),
        ]);

        var received = await Inject("b1", "hello");
        var edited = await Inject("b1", "hello", type: "message.edited");
        var joined = await Inject("b1", "hello", type: "group.member_joined");

        Assert.Equal("first only", received.GetProperty("rule").GetString());
        Assert.Equal("1/1 listener(s) handled it", received.GetProperty("outcome").GetString());
        Assert.Equal("mute messages", edited.GetProperty("rule").GetString());
        Assert.Equal("catch-all", joined.GetProperty("rule").GetString());
        Assert.Equal(["message.received", "message.edited", "group.member_joined"], _runtime.GetRecentEvents("b1").Select(r => r.Type));
    }

    [Fact]
    public async Task RouteEventAsync_Webhook_SignedRetriedAndResponseActionsExecuted()
    {
        using var server = new WebhookServer(failFirst: 2, responseBody: """{"actions":[{"api":"send","params":{"target":{"type":"group","id":"g9"},"chain":[{"type":"plain","text":"from webhook"}]}}]}""");
        await AddBotAsync("b1", [new RouteRule("message.received", RouteHandlerKind.Webhook, Webhook: new WebhookSettings(server.Url, "hook-secret", TimeoutSeconds: 5, Retries: 3))]);

        var record = await Inject("b1", "to the hook");

        Assert.Equal("delivered; 1 action(s)", record.GetProperty("outcome").GetString());
        Assert.Equal(3, server.Requests.Count);
        var last = server.Requests.Last();
        Assert.Equal(WebhookSender.Sign("hook-secret", last.Timestamp, last.Body), last.Signature);
        using var body = JsonDocument.Parse(last.Body);
        Assert.Equal("to the hook", body.RootElement.GetProperty("event").GetProperty("data").GetProperty("chain")[0].GetProperty("text").GetString());
        var send = (await Outbox()).Single(o => o.GetProperty("api").GetString() == "send");
        Assert.Equal("g9", send.GetProperty("params").GetProperty("target").GetProperty("id").GetString());
    }

    [Fact]
    public async Task RouteEventAsync_WebhookKeepsFailing_RecordsFailureAfterRetries()
    {
        using var server = new WebhookServer(failFirst: 100, responseBody: "{}");
        await AddBotAsync("b1", [new RouteRule("*", RouteHandlerKind.Webhook, Webhook: new WebhookSettings(server.Url, Retries: 2))]);

        var record = await Inject("b1", "x");

        Assert.Equal("failed", record.GetProperty("outcome").GetString());
        Assert.Contains("3 attempt(s)", record.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task CallBotAsync_UnsupportedApi_ThrowsNotSupportedListingSupported()
    {
        await AddBotAsync("b1");

        var error = await Assert.ThrowsAsync<JsonRpcException>(() => _runtime.CallBotAsync("b1", AdapterApis.Mute, PluginFixture.Json("{}")));

        Assert.Equal(PlugboardErrorCodes.AdapterNotSupported, error.Code);
        Assert.Contains("replyStream", error.Message, StringComparison.Ordinal);
        Assert.Equal(["send", "reply", "replyStream"], _runtime.GetBotCapabilities("b1").Apis);
    }

    [Fact]
    public async Task AdapterKilled_PluginRestarts_BotRestartsAndNextMessageIsAnswered()
    {
        await AddBotAsync("b1");
        await Assert.ThrowsAsync<JsonRpcException>(() => _runtime.InvokeToolAsync("crash", PluginFixture.Json("{}")));

        await PluginFixture.WaitForAsync(() => _runtime.GetPlugin(Adapter).RestartCount == 1 && _runtime.GetBot("b1").State == "Running", "the bot to run again");
        await Inject("b1", "act again");

        Assert.Contains(await Outbox(), o => o.GetProperty("params").GetProperty("chain")[0].GetProperty("text").GetString() == "acted: act again");
    }

    [Fact]
    public async Task Bots_PersistAcrossRuntimeRestart()
    {
        await AddBotAsync("b1");
        await _runtime.DisableBotAsync("b1");
        await _runtime.StopAsync();

        var second = await _fixture.StartRuntimeAsync();
        await second.WaitUntilRunningAsync(Adapter).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("Disabled", second.GetBot("b1").State);
        await second.EnableBotAsync("b1");
        Assert.Equal("Running", second.GetBot("b1").State);
    }

    private string Warnings() => string.Join(Environment.NewLine, _loggers.Entries.Where(e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Warning).Select(e => e.Message));

    private async Task AddBotAsync(string id, IReadOnlyList<RouteRule>? routes = null)
        => await _runtime.AddBotAsync(new BotDefinition(id, "Bot " + id, Adapter, "testchat", PluginFixture.Json("""{"token":"t"}"""), Routes: routes));

    private async Task<JsonElement> Inject(string botId, string text, string type = "message.received")
        => await _runtime.InvokeToolAsync("inject", JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["botId"] = botId, ["text"] = text, ["type"] = type }));

    private async Task<List<JsonElement>> Outbox() => [.. (await _runtime.InvokeToolAsync("outbox", PluginFixture.Json("{}"))).EnumerateArray()];

    /// <summary>A real HTTP server on loopback that fails the first N deliveries with 500 and records every request.</summary>
    private sealed class WebhookServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly int _failFirst;
        private readonly string _responseBody;

        public WebhookServer(int failFirst, string responseBody)
        {
            _failFirst = failFirst;
            _responseBody = responseBody;
            var port = FreePort();
            Url = $"http://127.0.0.1:{port}/hook/";
            _listener.Prefixes.Add(Url);
            _listener.Start();
            _ = ServeAsync();
        }

        public string Url { get; }

        public ConcurrentQueue<(string Timestamp, string? Signature, byte[] Body)> Requests { get; } = new();

        public void Dispose() => _listener.Close();

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                using var buffer = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(buffer);
                Requests.Enqueue((context.Request.Headers[WebhookSender.TimestampHeader]!, context.Request.Headers[WebhookSender.SignatureHeader], buffer.ToArray()));
                var fail = Requests.Count <= _failFirst;
                context.Response.StatusCode = fail ? 500 : 200;
                var bytes = Encoding.UTF8.GetBytes(fail ? "boom" : _responseBody);
                await context.Response.OutputStream.WriteAsync(bytes);
                context.Response.Close();
            }
        }

        private static int FreePort()
        {
            using var socket = new TcpListener(IPAddress.Loopback, 0);
            socket.Start();
            return ((IPEndPoint)socket.LocalEndpoint).Port;
        }
    }
}
