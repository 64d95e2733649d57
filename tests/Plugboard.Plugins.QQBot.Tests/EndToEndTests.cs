using System.Text.Json;
using System.Text.Json.Nodes;
using Plugboard.Plugins.QQBot.Tests.Infrastructure;
using Plugboard.Plugins.QQBot.Tests.Simulator;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Runtime;
using Plugboard.Runtime.Bots;
using Plugboard.Runtime.Storage;

namespace Plugboard.Plugins.QQBot.Tests;

/// <summary>
/// simulator → QQBot plugin process → runtime → Echo plugin process → runtime → QQBot plugin → simulator, with a
/// real runtime and real plugin processes. The QQ platform is the simulator (the real one is unreachable here).
/// </summary>
public sealed class EndToEndTests : IAsyncLifetime
{
    private readonly RuntimeFixture _fixture = new();
    private QQSimulator _simulator = null!;
    private PlugboardRuntime _runtime = null!;

    private SimApp App => _simulator.App(AdapterHarness.AppId);

    public async Task InitializeAsync()
    {
        _simulator = await QQSimulator.StartAsync(AdapterHarness.Fast());
        _simulator.AddApp(AdapterHarness.AppId, AdapterHarness.Secret);
        _runtime = await _fixture.StartRuntimeAsync();
    }

    public async Task DisposeAsync()
    {
        await _fixture.DisposeAsync();
        await _simulator.DisposeAsync();
    }

    [Fact]
    public async Task C2CMessage_RoundTripsThroughRuntimeAndEcho_PassiveReplyObservedBySimulator()
    {
        var status = await AddBotAsync();
        Assert.Equal("Running", status.State);
        Assert.Equal("***", status.Config.GetProperty("clientSecret").GetString());

        await App.PushAsync("C2C_MESSAGE_CREATE", Frames.C2C("hello", id: "ROBOT1.0_e2e-1"));
        var reply = await WaitOrExplainAsync(r => r.Path == $"/v2/users/{Frames.UserOpenId}/messages", "the echo reply");

        Assert.Equal("""{"content":"echo: hello","msg_type":0,"msg_id":"ROBOT1.0_e2e-1","msg_seq":1}""", reply.Body!.ToJsonString());
        Assert.Equal(200, reply.Status);
        Assert.Equal("QQBot " + App.CurrentTokenForTests(), reply.Authorization);
        await QQSimulator.WaitUntilAsync(() => _runtime.GetRecentEvents("qq").Count == 1, "the routing record");
        var record = Assert.Single(_runtime.GetRecentEvents("qq"));
        Assert.Equal(EventTypes.MessageReceived, record.Type);
        Assert.Equal("1/1 listener(s) handled it", record.Outcome);
    }

    [Fact]
    public async Task GroupMessage_TwoMessages_EachRepliedWithItsOwnMsgId()
    {
        await AddBotAsync();

        await App.PushAsync("GROUP_AT_MESSAGE_CREATE", Frames.Group(" first", id: "ROBOT1.0_g-1"));
        await App.PushAsync("GROUP_AT_MESSAGE_CREATE", Frames.Group(" second", id: "ROBOT1.0_g-2"));
        await _simulator.WaitForRequestAsync(r => r.Path == $"/v2/groups/{Frames.GroupOpenId}/messages", "both replies", count: 2);

        var bodies = _simulator.Requests.Where(r => r.Path == $"/v2/groups/{Frames.GroupOpenId}/messages").Select(r => r.Body!.ToJsonString()).Order().ToList();
        Assert.Equal(
            [
                """{"content":"echo: first","msg_type":0,"msg_id":"ROBOT1.0_g-1","msg_seq":1}""",
                """{"content":"echo: second","msg_type":0,"msg_id":"ROBOT1.0_g-2","msg_seq":1}""",
            ],
            bodies);
    }

    [Fact]
    public async Task BotDisabledAndEnabled_SessionFromPluginStorageResumedAndMissedMessageAnswered()
    {
        await AddBotAsync();
        await App.PushAsync("C2C_MESSAGE_CREATE", Frames.C2C("one", id: "ROBOT1.0_p-1"));
        await _simulator.WaitForRequestAsync(r => r.Path.EndsWith("/messages", StringComparison.Ordinal), "the first reply");
        var session = App.SessionId;

        await _runtime.DisableBotAsync("qq");
        var stored = await _fixture.Storage.GetAsync(StorageScope.ForPlugin(RuntimeFixture.QQBotPluginId), "qqbot.session.qq");
        await App.PushAsync("C2C_MESSAGE_CREATE", Frames.C2C("two", id: "ROBOT1.0_p-2"));
        await _runtime.EnableBotAsync("qq");
        var reply = await WaitOrExplainAsync(r => r.Path.EndsWith("/messages", StringComparison.Ordinal), "the reply to the missed message", count: 2);

        Assert.NotNull(stored);
        Assert.Equal(session, JsonDocument.Parse(stored.Value).RootElement.GetProperty("sessionId").GetString());
        Assert.Equal(1, App.Identifies);
        Assert.Equal(1, App.Resumes);
        Assert.Equal("""{"content":"echo: two","msg_type":0,"msg_id":"ROBOT1.0_p-2","msg_seq":1}""", reply.Body!.ToJsonString());
        Assert.Equal(2, _simulator.Requests.Count(r => r.Path.EndsWith("/messages", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task AddBot_FatalCloseOnIdentify_BotFailedWithClearError()
    {
        App.Banned = true;

        var status = await AddBotAsync();

        Assert.Equal("Failed", status.State);
        Assert.Contains("4915 (bot is banned)", status.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CallBot_PlatformActionThroughRuntime_GetStatusWithoutSecrets()
    {
        await AddBotAsync();

        var result = await _runtime.CallBotAsync("qq", AdapterApis.CallPlatformApi, JsonSerializer.SerializeToElement(new JsonObject { ["action"] = "getStatus", ["params"] = new JsonObject() }));

        Assert.Equal("Ready", result.GetProperty("state").GetString());
        Assert.Equal(App.SessionId, result.GetProperty("sessionId").GetString());
        Assert.DoesNotContain(AdapterHarness.Secret, result.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain(App.CurrentTokenForTests()!, result.GetRawText(), StringComparison.Ordinal);
        var error = await Assert.ThrowsAsync<JsonRpcException>(() => _runtime.CallBotAsync("qq", AdapterApis.Send, JsonSerializer.SerializeToElement(new JsonObject
        {
            ["target"] = new JsonObject { ["type"] = "person", ["id"] = "U-nobody" },
            ["chain"] = new JsonArray(new JsonObject { ["type"] = "plain", ["text"] = "proactive" }),
        })));
        Assert.Equal(PlugboardErrorCodes.PlatformError, error.Code);
        Assert.Equal(40034102, error.Data!.Value.GetProperty("code").GetInt64());
        Assert.Equal("quotaExceeded", error.Data!.Value.GetProperty("kind").GetString());
    }

    [Fact]
    public async Task UploadAndDelete_OptionalApisThroughRuntime_ReachThePlatform()
    {
        await AddBotAsync();
        var chat = new JsonObject { ["type"] = "group", ["id"] = Frames.GroupOpenId };

        var uploaded = await _runtime.CallBotAsync("qq", AdapterApis.UploadFile, JsonSerializer.SerializeToElement(new JsonObject
        {
            ["chat"] = chat.DeepClone(),
            ["file"] = new JsonObject { ["type"] = "file", ["name"] = "report.pdf", ["url"] = "https://example.com/report.pdf" },
        }));
        await App.PushAsync("GROUP_AT_MESSAGE_CREATE", Frames.Group(" hi", id: "ROBOT1.0_d-1"));
        var reply = await WaitOrExplainAsync(r => r.Path.EndsWith("/messages", StringComparison.Ordinal), "the echo reply");
        var sentId = App.SentMessagesForTests().Single();
        await _runtime.CallBotAsync("qq", AdapterApis.Delete, JsonSerializer.SerializeToElement(new JsonObject { ["chat"] = chat.DeepClone(), ["messageId"] = sentId }));

        var upload = Assert.Single(_simulator.Requests, r => r.Path == $"/v2/groups/{Frames.GroupOpenId}/files");
        Assert.Equal("""{"file_type":4,"srv_send_msg":false,"file_name":"report.pdf","url":"https://example.com/report.pdf"}""", upload.Body!.ToJsonString());
        Assert.StartsWith("FI-group-", uploaded.GetProperty("fileId").GetString(), StringComparison.Ordinal);
        Assert.Equal(200, reply.Status);
        Assert.Single(_simulator.Requests, r => r.Method == "DELETE" && r.Path == $"/v2/groups/{Frames.GroupOpenId}/messages/{sentId}" && r.Status == 200);
    }

    /// <summary>Waits for a request; on timeout the message carries the frames and both plugins' logs.</summary>
    private async Task<RecordedRequest> WaitOrExplainAsync(Func<RecordedRequest, bool> match, string what, int count = 1)
    {
        try
        {
            return await _simulator.WaitForRequestAsync(match, what, count);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException(
                ex.Message
                + "\nGateway frames:\n" + string.Join("\n", App.Frames.Where(f => f.Op != 1 && f.Op != 11).Select(f => $"{f.Connection} {(f.FromClient ? ">" : "<")} {f.Frame.ToJsonString()}"))
                + "\nQQBot plugin log:\n" + string.Join("\n", _runtime.GetPluginLogs(RuntimeFixture.QQBotPluginId, 60))
                + "\nEcho plugin log:\n" + string.Join("\n", _runtime.GetPluginLogs(RuntimeFixture.EchoPluginId, 20)),
                ex);
        }
    }

    private Task<BotStatus> AddBotAsync()
    {
        var config = new JsonObject
        {
            ["appId"] = AdapterHarness.AppId,
            ["clientSecret"] = AdapterHarness.Secret,
            ["tokenUrl"] = _simulator.TokenUrl,
            ["apiBaseUrl"] = _simulator.BaseUrl,
            ["reconnectBaseDelayMs"] = 50,
            ["reconnectMaxDelayMs"] = 200,
            ["invalidSessionDelayMs"] = 100,
            ["sessionStartWindowMs"] = 50,
        };
        return _runtime.AddBotAsync(new BotDefinition("qq", "QQ test bot", RuntimeFixture.QQBotPluginId, "qqbot", JsonSerializer.SerializeToElement(config)));
    }
}
