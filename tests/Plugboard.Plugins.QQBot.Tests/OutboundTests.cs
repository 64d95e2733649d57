using System.Text.Json;
using System.Text.Json.Nodes;
using Plugboard.Plugins.QQBot.Tests.Infrastructure;
using Plugboard.Plugins.QQBot.Tests.Simulator;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Plugins.QQBot.Tests;

/// <summary>Outbound messages: the exact request bodies the adapter sends to the simulated OpenAPI v2.</summary>
public sealed class OutboundTests : IAsyncLifetime
{
    private AdapterHarness _harness = null!;

    private QQSimulator Sim => _harness.Simulator;

    private SimApp App => Sim.App(AdapterHarness.AppId);

    public async Task InitializeAsync()
    {
        _harness = await AdapterHarness.StartAsync();
        await _harness.StartBotAsync();
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task Reply_C2CTwice_PassiveBodiesWithMsgIdAndIncreasingSeq()
    {
        var message = await ReceiveAsync("C2C_MESSAGE_CREATE", Frames.C2C("hi", id: "ROBOT1.0_m1"));

        var first = await ReplyAsync(message, new PlainComponent("one"));
        await ReplyAsync(message, new PlainComponent("two"));

        var sends = Sent($"/v2/users/{Frames.UserOpenId}/messages");
        Assert.Equal("""{"content":"one","msg_type":0,"msg_id":"ROBOT1.0_m1","msg_seq":1}""", sends[0].Body!.ToJsonString());
        Assert.Equal("""{"content":"two","msg_type":0,"msg_id":"ROBOT1.0_m1","msg_seq":2}""", sends[1].Body!.ToJsonString());
        Assert.StartsWith("ROBOT1.0_", first.MessageId, StringComparison.Ordinal);
        Assert.All(sends, s => Assert.Equal("QQBot " + App.CurrentTokenForTests(), s.Authorization));
    }

    [Fact]
    public async Task Reply_GroupTextAndImageUrl_TextThenUploadThenMediaMessage()
    {
        var message = await ReceiveAsync("GROUP_AT_MESSAGE_CREATE", Frames.Group(" pic please", id: "ROBOT1.0_g1"));

        await ReplyAsync(message, new PlainComponent("here"), new ImageComponent("https://example.com/a.png"));

        var upload = Assert.Single(Sim.Requests, r => r.Path == $"/v2/groups/{Frames.GroupOpenId}/files");
        Assert.Equal("""{"file_type":1,"srv_send_msg":false,"url":"https://example.com/a.png"}""", upload.Body!.ToJsonString());
        var fileInfo = App.Uploads.Keys.Single();
        var sends = Sent($"/v2/groups/{Frames.GroupOpenId}/messages");
        Assert.Equal("""{"content":"here","msg_type":0,"msg_id":"ROBOT1.0_g1","msg_seq":1}""", sends[0].Body!.ToJsonString());
        Assert.Equal($$"""{"content":" ","msg_type":7,"media":{"file_info":"{{fileInfo}}"},"msg_id":"ROBOT1.0_g1","msg_seq":2}""", sends[1].Body!.ToJsonString());
    }

    [Fact]
    public async Task Reply_AfterTheWindow_ReplyWindowExpiredWithoutCallingThePlatform()
    {
        var message = await ReceiveAsync("GROUP_AT_MESSAGE_CREATE", Frames.Group(" late"));
        _harness.Time.Advance(TimeSpan.FromMinutes(6));

        var error = await Assert.ThrowsAsync<JsonRpcException>(() => ReplyAsync(message, new PlainComponent("too late")));

        Assert.Equal(PlugboardErrorCodes.PlatformError, error.Code);
        Assert.Equal("replyWindowExpired", Kind(error));
        Assert.Contains("passive-reply window is 300 s", error.Message, StringComparison.Ordinal);
        Assert.Empty(Sent($"/v2/groups/{Frames.GroupOpenId}/messages"));
    }

    [Fact]
    public async Task Reply_PlatformSaysExpired_TypedErrorWithPlatformCodeAndTrace()
    {
        var message = await ReceiveAsync("C2C_MESSAGE_CREATE", Frames.C2C("expire me"));
        App.ExpireReplyKey(message.MessageId);

        var error = await Assert.ThrowsAsync<JsonRpcException>(() => ReplyAsync(message, new PlainComponent("x")));

        var data = error.Data!.Value;
        Assert.Equal("replyWindowExpired", data.GetProperty("kind").GetString());
        Assert.Equal(304027, data.GetProperty("code").GetInt64());
        Assert.Equal(400, data.GetProperty("httpStatus").GetInt32());
        Assert.Equal("回复消息msg_id已过期", data.GetProperty("message").GetString());
        Assert.Equal(32, data.GetProperty("traceId").GetString()!.Length);
        Assert.Contains("HTTP 400, code 304027", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reply_SixthReply_ReplyLimitReached()
    {
        var message = await ReceiveAsync("C2C_MESSAGE_CREATE", Frames.C2C("chatty"));
        for (var i = 0; i < 5; i++)
        {
            await ReplyAsync(message, new PlainComponent("r" + i));
        }

        var error = await Assert.ThrowsAsync<JsonRpcException>(() => ReplyAsync(message, new PlainComponent("r5")));

        Assert.Equal("replyLimitReached", Kind(error));
        Assert.Equal(5, Sent($"/v2/users/{Frames.UserOpenId}/messages").Count);
    }

    [Fact]
    public async Task Send_ProactiveWithoutEvent_PlatformNoPermissionSurfaced()
    {
        var error = await Assert.ThrowsAsync<JsonRpcException>(() => _harness.Adapter.SendAsync(new SendParams("qq1", new ChatTarget(ChatType.Person, "U-someone"), [new PlainComponent("hello?")]), CancellationToken.None));

        Assert.Equal("quotaExceeded", Kind(error));
        Assert.Equal(40034102, error.Data!.Value.GetProperty("code").GetInt64());
        var request = Assert.Single(Sent("/v2/users/U-someone/messages"));
        Assert.Equal("""{"content":"hello?","msg_type":0}""", request.Body!.ToJsonString());
    }

    [Fact]
    public async Task Send_AfterFriendAdd_PassiveWithTheEventId()
    {
        await App.PushAsync("FRIEND_ADD", new JsonObject { ["timestamp"] = 1700000000, ["openid"] = "U-new" }, eventId: "FRIEND_ADD:f1");
        await _harness.Sink.WaitForOneAsync(e => e.Type == EventTypes.FriendAdded, "friend.added");

        await _harness.Adapter.SendAsync(new SendParams("qq1", new ChatTarget(ChatType.Person, "U-new"), [new PlainComponent("welcome")]), CancellationToken.None);

        var request = Assert.Single(Sent("/v2/users/U-new/messages"));
        Assert.Equal("""{"content":"welcome","msg_type":0,"event_id":"FRIEND_ADD:f1","msg_seq":1}""", request.Body!.ToJsonString());
        Assert.Equal(200, request.Status);
    }

    [Fact]
    public async Task Interaction_AcknowledgedAndReplyUsesEventIdWithKeyboard()
    {
        await App.PushAsync("INTERACTION_CREATE", Frames.Interaction(), eventId: "INTERACTION_CREATE:evt-1");
        var clicked = await _harness.Sink.WaitForOneAsync(e => e.Type == "platform.qqbot.interaction", "the interaction");
        var ack = await Sim.WaitForRequestAsync(r => r.Path == "/interactions/30540ff7-9d8f-4737-83f1-e116ce6afa8b", "the ack");
        var chat = clicked.Data.GetProperty("chat").Deserialize(ContractsJsonContext.Default.ChatTarget)!;
        var keyboard = JsonSerializer.SerializeToElement(new JsonObject { ["rows"] = new JsonArray(new JsonObject { ["buttons"] = new JsonArray(new JsonObject { ["id"] = "1" }) }) });

        await _harness.Adapter.ReplyAsync(new ReplyParams("qq1", chat, clicked.Data.GetProperty("messageId").GetString()!, [new PlainComponent("clicked!"), new PlatformComponent("qqbot", "keyboard", keyboard)]), CancellationToken.None);

        Assert.Equal("PUT", ack.Method);
        Assert.Equal("""{"code":0}""", ack.Body!.ToJsonString());
        var reply = Assert.Single(Sent($"/v2/users/{Frames.UserOpenId}/messages"));
        Assert.Equal("""{"msg_type":2,"markdown":{"content":"clicked!"},"keyboard":{"content":{"rows":[{"buttons":[{"id":"1"}]}]}},"event_id":"INTERACTION_CREATE:evt-1","msg_seq":1}""", reply.Body!.ToJsonString());
    }

    [Fact]
    public async Task Reply_MarkdownConfigured_SendsMarkdownMessage()
    {
        await _harness.StartBotAsync(extra: new JsonObject { ["markdown"] = true });
        var message = await ReceiveAsync("C2C_MESSAGE_CREATE", Frames.C2C("md"));

        await ReplyAsync(message, new PlainComponent("**bold**"));

        Assert.Equal($$"""{"msg_type":2,"markdown":{"content":"**bold**"},"msg_id":"{{message.MessageId}}","msg_seq":1}""", Sent($"/v2/users/{Frames.UserOpenId}/messages").Single().Body!.ToJsonString());
    }

    [Fact]
    public async Task Reply_GuildChannel_NoMsgSeqImageByUrlAndQuote()
    {
        var message = await ReceiveAsync("AT_MESSAGE_CREATE", Frames.Guild("<@!" + App.BotUserId + "> hi", id: "08aa"));

        await _harness.Adapter.ReplyAsync(new ReplyParams("qq1", message.Chat, message.MessageId, [new PlainComponent("pong"), new ImageComponent("https://example.com/b.png")], Quote: true), CancellationToken.None);

        var sends = Sent("/channels/100010/messages");
        Assert.Equal("""{"content":"pong","message_reference":{"message_id":"08aa","ignore_get_message_error":true},"msg_id":"08aa"}""", sends[0].Body!.ToJsonString());
        Assert.Equal("""{"image":"https://example.com/b.png","msg_id":"08aa"}""", sends[1].Body!.ToJsonString());
        Assert.Equal("hi", message.PlainText);
    }

    [Fact]
    public async Task Reply_GuildDirectBase64Image_MultipartFileImage()
    {
        var message = await ReceiveAsync("DIRECT_MESSAGE_CREATE", Frames.Direct("pic", id: "08dm"));

        await _harness.Adapter.ReplyAsync(new ReplyParams("qq1", message.Chat, message.MessageId, [new ImageComponent(Base64: Convert.ToBase64String(new byte[] { 1, 2, 3 }), MimeType: "image/png")]), CancellationToken.None);

        var send = Assert.Single(Sent("/dms/18700000000001/messages"));
        Assert.StartsWith("multipart/form-data", send.ContentType, StringComparison.Ordinal);
        Assert.Equal("08dm", send.Field("msg_id"));
        Assert.Equal("<3 bytes: image.png>", send.Field("file_image"));
    }

    [Fact]
    public async Task Reply_GuildFile_UnsupportedTypedError()
    {
        var message = await ReceiveAsync("AT_MESSAGE_CREATE", Frames.Guild("file?"));

        var error = await Assert.ThrowsAsync<JsonRpcException>(() => ReplyAsync(message, new FileComponent("a.zip", "https://example.com/a.zip")));

        Assert.Equal("unsupported", Kind(error));
    }

    [Fact]
    public async Task Reply_RateLimitedTwice_RetriedWithBackoffThenSent()
    {
        var message = await ReceiveAsync("C2C_MESSAGE_CREATE", Frames.C2C("busy"));
        Sim.FailNext(r => r.Path.EndsWith("/messages", StringComparison.Ordinal), 429, 22009, "msg limit exceed", times: 2);

        await ReplyAsync(message, new PlainComponent("eventually"));

        var sends = Sent($"/v2/users/{Frames.UserOpenId}/messages");
        Assert.Equal([429, 429, 200], sends.Select(s => s.Status));
        Assert.Equal(2, _harness.Loggers.Entries.Count(e => e.Message.Contains("is rate limited", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Reply_RateLimitedWithRetryAfter_WaitsWhatTheServerSays()
    {
        var message = await ReceiveAsync("C2C_MESSAGE_CREATE", Frames.C2C("busy"));
        Sim.FailNext(r => r.Path.EndsWith("/messages", StringComparison.Ordinal), 429, 20028, "channel write rate limit", retryAfter: TimeSpan.FromSeconds(1));

        await ReplyAsync(message, new PlainComponent("after a second"));

        Assert.Contains(_harness.Loggers.Entries, e => e.Message.Contains("retry 1 of 3 in 00:00:01.", StringComparison.Ordinal));
        Assert.Equal([429, 200], Sent($"/v2/users/{Frames.UserOpenId}/messages").Select(s => s.Status));
    }

    [Fact]
    public async Task Reply_RateLimitedBeyondRetries_RateLimitedError()
    {
        var message = await ReceiveAsync("C2C_MESSAGE_CREATE", Frames.C2C("busy"));
        Sim.FailNext(r => r.Path.EndsWith("/messages", StringComparison.Ordinal), 429, 620006, "rate limited", times: 10);

        var error = await Assert.ThrowsAsync<JsonRpcException>(() => ReplyAsync(message, new PlainComponent("never")));

        Assert.Equal("rateLimited", Kind(error));
        Assert.Equal(4, Sent($"/v2/users/{Frames.UserOpenId}/messages").Count);
    }

    [Fact]
    public async Task Reply_DuplicateSeqFromEarlierRun_RetriedWithNextSeq()
    {
        var message = await ReceiveAsync("C2C_MESSAGE_CREATE", Frames.C2C("dup"));
        Sim.FailNext(r => r.Path.EndsWith("/messages", StringComparison.Ordinal), 400, 40054005, "消息被去重，请检查请求msgseq");

        await ReplyAsync(message, new PlainComponent("again"));

        var sends = Sent($"/v2/users/{Frames.UserOpenId}/messages");
        Assert.Equal([1, 2], sends.Select(s => s.Body!["msg_seq"]!.GetValue<int>()));
        Assert.Equal(200, sends[1].Status);
    }

    [Fact]
    public async Task Delete_SentMessage_RecalledWithDelete()
    {
        var message = await ReceiveAsync("GROUP_AT_MESSAGE_CREATE", Frames.Group(" recall"));
        var sent = await ReplyAsync(message, new PlainComponent("oops"));

        await _harness.Adapter.DeleteAsync(JsonSerializer.SerializeToElement(new JsonObject { ["botId"] = "qq1", ["chat"] = new JsonObject { ["type"] = "group", ["id"] = Frames.GroupOpenId }, ["messageId"] = sent.MessageId }), CancellationToken.None);

        var delete = Assert.Single(Sim.Requests, r => r.Method == "DELETE");
        Assert.Equal($"/v2/groups/{Frames.GroupOpenId}/messages/{sent.MessageId}", delete.Path);
        Assert.Equal(200, delete.Status);
    }

    [Fact]
    public async Task Send_EmptyChain_InvalidRequestWithoutCallingThePlatform()
    {
        var error = await Assert.ThrowsAsync<JsonRpcException>(() => _harness.Adapter.SendAsync(new SendParams("qq1", new ChatTarget(ChatType.Group, "G1"), [new SourceComponent("x", DateTimeOffset.UtcNow)]), CancellationToken.None));

        Assert.Equal("invalidRequest", Kind(error));
        Assert.DoesNotContain(Sim.Requests, r => r.Path.EndsWith("/messages", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CallBot_UnknownBot_BotNotFound()
    {
        var error = await Assert.ThrowsAsync<JsonRpcException>(() => _harness.Adapter.SendAsync(new SendParams("nope", new ChatTarget(ChatType.Group, "G1"), [new PlainComponent("x")]), CancellationToken.None));

        Assert.Equal(PlugboardErrorCodes.BotNotFound, error.Code);
    }

    [Fact]
    public async Task CallPlatformApi_UnknownAction_NotSupportedListingActions()
    {
        var error = await Assert.ThrowsAsync<JsonRpcException>(() => _harness.Adapter.CallPlatformApiAsync(new CallPlatformApiParams("qq1", "pin", default), CancellationToken.None));

        Assert.Equal(PlugboardErrorCodes.AdapterNotSupported, error.Code);
        Assert.Contains("getGatewayInfo", error.Message, StringComparison.Ordinal);
    }

    private async Task<MessageEventData> ReceiveAsync(string type, JsonObject d)
    {
        var count = _harness.Sink.Events.Count(e => e.Type == EventTypes.MessageReceived);
        await App.PushAsync(type, d);
        var events = await _harness.Sink.WaitForAsync(e => e.Type == EventTypes.MessageReceived, count + 1, type);
        return events[^1].Data.Deserialize(ContractsJsonContext.Default.MessageEventData)!;
    }

    private Task<SendResult> ReplyAsync(MessageEventData message, params MessageComponent[] chain)
        => _harness.Adapter.ReplyAsync(new ReplyParams("qq1", message.Chat, message.MessageId, chain), CancellationToken.None);

    private List<RecordedRequest> Sent(string path) => [.. Sim.Requests.Where(r => r.Method == "POST" && r.Path == path)];

    private static string? Kind(JsonRpcException error) => error.Data!.Value.GetProperty("kind").GetString();
}
