using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Plugboard.Plugins.WeComBot.Adapter;
using Plugboard.Plugins.WeComBot.Tests.Infrastructure;
using Plugboard.Plugins.WeComBot.Tests.Simulator;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Plugins.WeComBot.Tests;

/// <summary>
/// Callbacks from the WeCom simulator (long connection) to Plugboard events: each message type's components,
/// encrypted media downloaded and decrypted, quotes, duplicates, enter_chat with the welcome, template card events
/// and feedback.
/// </summary>
public sealed class InboundTests : IAsyncLifetime
{
    private static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, .. RandomNumberGenerator.GetBytes(300)];

    private AdapterHarness _harness = null!;
    private WeComAiBot _bot = null!;

    private WeComSimulator Simulator => _harness.Simulator;

    public async Task InitializeAsync()
    {
        _harness = await AdapterHarness.StartAsync();
        _bot = await _harness.StartLongBotAsync(configure: c => c["welcomeText"] = "欢迎！");
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task Text_Single_PlainWithSourceAndPersonChat()
    {
        var data = await ReceiveAsync(Callbacks.Text("m1", "你好"));

        Assert.Equal("m1", data.MessageId);
        Assert.Equal(new ChatTarget(ChatType.Person, "zhangsan"), data.Chat);
        Assert.Equal("zhangsan", data.Sender.Id);
        Assert.Equal(new SourceComponent("m1", DateTimeOffset.FromUnixTimeSeconds(1712000000)), data.Chain[0]);
        Assert.Equal(new PlainComponent("你好"), data.Chain[1]);
        Assert.Null(data.Group);
    }

    [Fact]
    public async Task Text_Group_GroupChatWithMemberAndRawBodyKept()
    {
        await Simulator.PushMessageAsync(AdapterHarness.WeComBotId, Callbacks.Text("g1", "@机器人 hi", "lisi", "wrkGROUP"));
        var evt = await _harness.WaitForEventAsync(e => e.Type == EventTypes.MessageReceived, "the message");
        var data = Parse(evt);

        Assert.Equal(new ChatTarget(ChatType.Group, "wrkGROUP"), data.Chat);
        Assert.Equal("wrkGROUP", data.Group!.Id);
        Assert.Equal("lisi", data.Member!.User.Id);
        Assert.Equal("@机器人 hi", data.PlainText);
        Assert.Equal("wrkGROUP", evt.Raw!.Value.GetProperty("chatid").GetString());
        Assert.Equal("b1", evt.BotId);
    }

    [Fact]
    public async Task Image_EncryptedWithItsOwnAesKey_DownloadedDecryptedIntoImageComponent()
    {
        var (url, aesKey) = Simulator.AddMedia(Png);

        var data = await ReceiveAsync(Callbacks.Message("m1", "image", Callbacks.Media(url, aesKey)));

        var image = Assert.IsType<ImageComponent>(data.Chain[1]);
        Assert.Equal(Png, Convert.FromBase64String(image.Base64!));
        Assert.Equal("image/png", image.MimeType);
    }

    [Fact]
    public async Task Mixed_TextAndImages_ComponentsInOrder()
    {
        var (url, aesKey) = Simulator.AddMedia(Png);
        var mixed = new JsonObject
        {
            ["msg_item"] = new JsonArray(
                new JsonObject { ["msgtype"] = "text", ["text"] = new JsonObject { ["content"] = "看这张图" } },
                new JsonObject { ["msgtype"] = "image", ["image"] = Callbacks.Media(url, aesKey) },
                new JsonObject { ["msgtype"] = "text", ["text"] = new JsonObject { ["content"] = "怎么样" } }),
        };

        var data = await ReceiveAsync(Callbacks.Message("m1", "mixed", mixed));

        Assert.Collection(
            data.Chain,
            c => Assert.IsType<SourceComponent>(c),
            c => Assert.Equal(new PlainComponent("看这张图"), c),
            c => Assert.Equal(Png, Convert.FromBase64String(Assert.IsType<ImageComponent>(c).Base64!)),
            c => Assert.Equal(new PlainComponent("怎么样"), c));
    }

    [Fact]
    public async Task Voice_Transcribed_VoiceComponentWithTranscript()
    {
        var data = await ReceiveAsync(Callbacks.Message("m1", "voice", new JsonObject { ["content"] = "语音转写文本" }));

        var voice = Assert.IsType<VoiceComponent>(data.Chain[1]);
        Assert.Equal("语音转写文本", voice.Transcript);
        Assert.Null(voice.Base64);
    }

    [Fact]
    public async Task File_NameFromContentDisposition_FileComponentWithBytes()
    {
        var content = Encoding.UTF8.GetBytes("%PDF-1.4 report body");
        var (url, aesKey) = Simulator.AddMedia(content, "季度报告 Q3.pdf");

        var data = await ReceiveAsync(Callbacks.Message("m1", "file", Callbacks.Media(url, aesKey)));

        var file = Assert.IsType<FileComponent>(data.Chain[1]);
        Assert.Equal("季度报告 Q3.pdf", file.Name);
        Assert.Equal(content, Convert.FromBase64String(file.Base64!));
        Assert.Equal(content.Length, file.Size);
        Assert.Equal("application/pdf", file.MimeType);
    }

    [Fact]
    public async Task Video_Encrypted_FileComponentWithVideoType()
    {
        byte[] mp4 = [0, 0, 0, 0x18, .. "ftypmp42"u8, .. RandomNumberGenerator.GetBytes(100)];
        var (url, aesKey) = Simulator.AddMedia(mp4, "clip.mp4");

        var data = await ReceiveAsync(Callbacks.Message("m1", "video", Callbacks.Media(url, aesKey)));

        var video = Assert.IsType<FileComponent>(data.Chain[1]);
        Assert.Equal("clip.mp4", video.Name);
        Assert.Equal("video/mp4", video.MimeType);
        Assert.Equal(mp4, Convert.FromBase64String(video.Base64!));
    }

    [Fact]
    public async Task Quote_TextQuoted_QuoteComponentBeforeTheMessage()
    {
        var body = Callbacks.Text("m1", "我同意");
        body["quote"] = new JsonObject { ["msgtype"] = "text", ["text"] = new JsonObject { ["content"] = "被引用内容" } };

        var data = await ReceiveAsync(body);

        var quote = Assert.IsType<QuoteComponent>(data.Chain[1]);
        Assert.Equal([new PlainComponent("被引用内容")], quote.Chain!);
        Assert.Equal(new PlainComponent("我同意"), data.Chain[2]);
        Assert.Equal("我同意", data.PlainText);
    }

    [Fact]
    public async Task Image_DownloadFails_UnknownComponentKeepsTheItemAndTheEventStillArrives()
    {
        var data = await ReceiveAsync(Callbacks.Message("m1", "image", Callbacks.Media(Simulator.BaseUrl + "/media/expired", SimCrypto.NewMediaKey())));

        var unknown = Assert.IsType<UnknownComponent>(data.Chain[1]);
        Assert.Contains("could not be downloaded", unknown.Description, StringComparison.Ordinal);
        Assert.Contains("/media/expired", unknown.Raw!.Value.GetProperty("url").GetString(), StringComparison.Ordinal);
        Assert.Contains(_harness.Logs.Messages, m => m.Contains("WeCom bot b1: could not download image of message m1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Message_SameMsgIdTwice_OneEvent()
    {
        await Simulator.PushMessageAsync(AdapterHarness.WeComBotId, Callbacks.Text("dup", "once"));
        await Simulator.PushMessageAsync(AdapterHarness.WeComBotId, Callbacks.Text("dup", "once"));
        await Simulator.PushMessageAsync(AdapterHarness.WeComBotId, Callbacks.Text("next", "twice"));

        await _harness.WaitForEventAsync(e => e.Text("messageId") == "next", "the next message");

        Assert.Single(_harness.Events, e => e.Text("messageId") == "dup");
    }

    [Fact]
    public async Task EnterChat_WelcomeConfigured_WelcomeFrameWithinTheWindowAndPlatformEvent()
    {
        var reqId = await Simulator.PushEventAsync(AdapterHarness.WeComBotId, Callbacks.Event("e1", "enter_chat"));

        var evt = await _harness.WaitForEventAsync(e => e.Type == "platform.wecombot.enter_chat", "the enter_chat event");
        var welcome = await Simulator.WaitForFrameAsync(f => f.Cmd == "aibot_respond_welcome_msg", "the welcome");

        Assert.Equal("e1", evt.Text("messageId"));
        Assert.Equal("zhangsan", evt.Text("user", "id"));
        Assert.Equal("wwCORPID", evt.Text("corpId"));
        Assert.Equal(reqId, welcome.ReqId);
        Assert.Equal("""{"msgtype":"text","text":{"content":"欢迎！"}}""", welcome.Body!.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        Assert.Empty(Simulator.Violations);
        Assert.Equal(0, _bot.Connection!.TrackedRequestIds);
    }

    [Fact]
    public async Task EnterChat_NoWelcomeConfigured_ListenerReplyBecomesTheWelcome()
    {
        Simulator.AddBot("aibBOT2", "s2");
        var bot = await _harness.StartBotAsync("b2", _harness.LongConfig("aibBOT2", "s2"));
        var reqId = await Simulator.PushEventAsync("aibBOT2", Callbacks.Event("e2", "enter_chat"));
        await AdapterHarness.WaitForAsync(() => bot.ContextCount == 1, "the enter_chat callback");

        await bot.ReplyAsync(new ReplyParams("b2", new ChatTarget(ChatType.Person, "zhangsan"), "e2", [new PlainComponent("您好！我是智能助手")]), default);

        var welcome = Assert.Single(Simulator.RepliesTo(reqId));
        Assert.Equal("aibot_respond_welcome_msg", welcome.Cmd);
        Assert.Equal("您好！我是智能助手", welcome.Body!["text"]!["content"]!.GetValue<string>());
        var again = await Assert.ThrowsAsync<AdapterException>(() => bot.ReplyAsync(new ReplyParams("b2", new ChatTarget(ChatType.Person, "zhangsan"), "e2", [new PlainComponent("twice")]), default));
        Assert.Contains("already answered", again.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TemplateCardEvent_NestedAndFlat_PlatformEventsAndCardUpdateFrame()
    {
        var nested = Callbacks.Event("c1", "template_card_event", new JsonObject
        {
            ["template_card_event"] = new JsonObject
            {
                ["card_type"] = "button_interaction", ["event_key"] = "approve", ["task_id"] = "task_1712",
                ["selected_items"] = new JsonObject { ["selected_item"] = new JsonArray(new JsonObject { ["question_key"] = "q1" }) },
            },
        }, chatId: "wrkGROUP");
        var flat = Callbacks.Event("c2", "template_card_event", new JsonObject { ["event_key"] = "reject", ["task_id"] = "task_1713" });
        var reqId = await Simulator.PushEventAsync(AdapterHarness.WeComBotId, nested);
        await Simulator.PushEventAsync(AdapterHarness.WeComBotId, flat);

        var first = await _harness.WaitForEventAsync(e => e.Type == "platform.wecombot.template_card_event" && e.Text("messageId") == "c1", "the nested card event");
        var second = await _harness.WaitForEventAsync(e => e.Type == "platform.wecombot.template_card_event" && e.Text("messageId") == "c2", "the flat card event");
        var card = new JsonObject { ["card_type"] = "button_interaction", ["main_title"] = new JsonObject { ["title"] = "已确认" }, ["task_id"] = "task_1712" };
        await _bot.CallPlatformApiAsync("updateTemplateCard", JsonSerializer.SerializeToElement(new JsonObject { ["messageId"] = "c1", ["templateCard"] = card, ["userIds"] = new JsonArray("zhangsan") }), default);

        Assert.Equal(("approve", "task_1712", "button_interaction"), (first.Text("eventKey"), first.Text("taskId"), first.Text("cardType")));
        Assert.Equal("q1", first.Data.GetProperty("selectedItems").GetProperty("selected_item")[0].GetProperty("question_key").GetString());
        Assert.Equal("group", first.Text("chat", "type"));
        Assert.Equal(("reject", "task_1713"), (second.Text("eventKey"), second.Text("taskId")));
        var update = Assert.Single(Simulator.RepliesTo(reqId));
        Assert.Equal("aibot_respond_update_msg", update.Cmd);
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["response_type"] = "update_template_card", ["template_card"] = card.DeepClone(), ["userids"] = new JsonArray("zhangsan") }, update.Body));
    }

    [Fact]
    public async Task FeedbackEvent_Dislike_FeedbackReceivedAboutTheStream()
    {
        await Simulator.PushEventAsync(AdapterHarness.WeComBotId, Callbacks.Event("f1", "feedback_event", new JsonObject
        {
            ["feedback_event"] = new JsonObject { ["id"] = "stream_1712_ab", ["type"] = 2, ["content"] = "不准确", ["inaccurate_reason_list"] = new JsonArray(1, 3) },
        }));

        var evt = await _harness.WaitForEventAsync(e => e.Type == EventTypes.FeedbackReceived, "the feedback");

        var data = JsonSerializer.Deserialize(evt.Data, ContractsJsonContext.Default.FeedbackData)!;
        Assert.Equal("stream_1712_ab", data.MessageId);
        Assert.Equal("dislike", data.Kind);
        Assert.Equal("不准确", data.Comment);
        Assert.Equal("zhangsan", data.User.Id);
        Assert.Equal([1, 3], evt.Raw!.Value.GetProperty("event").GetProperty("feedback_event").GetProperty("inaccurate_reason_list").EnumerateArray().Select(e => e.GetInt32()));
    }

    private async Task<MessageEventData> ReceiveAsync(JsonObject body)
    {
        await Simulator.PushMessageAsync(AdapterHarness.WeComBotId, body);
        var id = body["msgid"]!.GetValue<string>();
        return Parse(await _harness.WaitForEventAsync(e => e.Type == EventTypes.MessageReceived && e.Text("messageId") == id, "message " + id));
    }

    private static MessageEventData Parse(EmittedEvent evt) => JsonSerializer.Deserialize(evt.Data, ContractsJsonContext.Default.MessageEventData)!;
}
