using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Plugboard.Plugins.WeComBot.Adapter;
using Plugboard.Plugins.WeComBot.Tests.Infrastructure;
using Plugboard.Plugins.WeComBot.Tests.Simulator;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Plugins.WeComBot.Tests;

/// <summary>
/// Webhook mode against a simulated WeCom caller (the real one cannot reach the test machines): URL verification,
/// signature checks, encrypted callbacks and answers, the stream-refresh polling protocol, welcome and card updates
/// in the HTTP answer, and webhook-mode media decrypted with the EncodingAESKey.
/// </summary>
public sealed class WebhookTests : IAsyncLifetime
{
    private const string Token = "QDG6eK";
    private const string AesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
    private static readonly ChatTarget Zhangsan = new(ChatType.Person, "zhangsan");

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private AdapterHarness _harness = null!;
    private WeComAiBot _bot = null!;
    private WeComWebhookSimulator _weCom = null!;

    public async Task InitializeAsync()
    {
        _harness = await AdapterHarness.StartAsync();
        _bot = await _harness.StartBotAsync("hook1", new JsonObject
        {
            ["token"] = Token,
            ["encodingAesKey"] = AesKey,
            ["webhookListen"] = "http://127.0.0.1:0",
            ["welcomeText"] = "欢迎来到测试",
        });
        _weCom = new WeComWebhookSimulator(_http, _bot.WebhookUrl!, Token, AesKey);
    }

    public async Task DisposeAsync()
    {
        await _harness.DisposeAsync();
        _http.Dispose();
    }

    [Fact]
    public async Task VerifyUrl_SignedEchostr_AnswersThePlaintext()
    {
        var (status, body) = await _weCom.VerifyUrlAsync("echo-1712000000-明文");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("echo-1712000000-明文", body);
        Assert.EndsWith("/wecombot/hook1", _bot.WebhookUrl, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyUrl_BadSignature_Rejected()
    {
        var (status, body) = await _weCom.VerifyUrlAsync("echo", badSignature: true);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("msg_signature does not match", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Callback_BadSignature_RejectedAndNoEvent()
    {
        var answer = await _weCom.PostAsync(Callbacks.Text("m1", "forged"), badSignature: true);

        Assert.Equal(HttpStatusCode.Forbidden, answer.Status);
        Assert.Empty(_harness.Events);
        Assert.Contains(_harness.Logs.Messages, m => m.Contains("WeCom bot hook1: rejected a webhook POST", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Callback_NotJsonOrNoEncrypt_BadRequest()
    {
        using var content = new StringContent("{\"nope\":1}");
        using var response = await _http.PostAsync(_bot.WebhookUrl + "?msg_signature=x&timestamp=1&nonce=2", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Message_StreamedReply_RefreshPollsSeeTheGrowingTextUntilFinished()
    {
        var answer = await _weCom.PostAsync(Callbacks.Text("m1", "讲个笑话"));
        var announced = answer.Decrypted!["stream"]!.AsObject();
        var streamId = announced["id"]!.GetValue<string>();
        var evt = await _harness.WaitForEventAsync(e => e.Type == EventTypes.MessageReceived, "the message");

        var poll = _weCom.PollStreamAsync(streamId, "zhangsan", TimeSpan.FromMilliseconds(30));
        foreach (var (text, final) in new[] { ("从前", false), ("有座山，", false), ("山里有座庙。", true) })
        {
            await _bot.ReplyStreamAsync(new ReplyStreamParams("hook1", Zhangsan, "m1", "rt", text, final), default);
            await Task.Delay(60);
        }

        var answers = await poll;
        Assert.Equal("讲个笑话", JsonSerializer.Deserialize(evt.Data, ContractsJsonContext.Default.MessageEventData)!.PlainText);
        Assert.Equal($$$"""{"id":"{{{streamId}}}","finish":false,"content":"","feedback":{"id":"{{{streamId}}}"}}""", announced.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        var contents = answers.Select(a => a["stream"]!["content"]!.GetValue<string>()).ToList();
        Assert.Equal("从前有座山，山里有座庙。", contents[^1]);
        Assert.True(answers[^1]["stream"]!["finish"]!.GetValue<bool>());
        Assert.All(answers.SkipLast(1), a => Assert.False(a["stream"]!["finish"]!.GetValue<bool>()));
        Assert.All(contents.Zip(contents.Skip(1)), pair => Assert.StartsWith(pair.First, pair.Second, StringComparison.Ordinal));
        Assert.All(answers, a => Assert.Equal(streamId, a["stream"]!["id"]!.GetValue<string>()));
        Assert.Equal(0, _bot.OpenStreamCount);
    }

    [Fact]
    public async Task Refresh_UnknownOrFinishedStream_FinishedEmptyStream()
    {
        var answers = await _weCom.PollStreamAsync("stream_nobody_knows", "zhangsan", TimeSpan.FromMilliseconds(10));

        var only = Assert.Single(answers);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"msgtype":"stream","stream":{"id":"stream_nobody_knows","finish":true,"content":""}}"""), only));
    }

    [Fact]
    public async Task Message_ReplyWithTextAndImage_FinishedStreamWithMsgItemOnThePoll()
    {
        var answer = await _weCom.PostAsync(Callbacks.Text("m1", "图"));
        var streamId = answer.Decrypted!["stream"]!["id"]!.GetValue<string>();
        await _harness.WaitForEventAsync(e => e.Type == EventTypes.MessageReceived, "the message");
        byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xE0, .. RandomNumberGenerator.GetBytes(40)];

        await _bot.ReplyAsync(new ReplyParams("hook1", Zhangsan, "m1", [new PlainComponent("给你"), new ImageComponent(Base64: Convert.ToBase64String(jpeg))]), default);
        var answers = await _weCom.PollStreamAsync(streamId, "zhangsan", TimeSpan.FromMilliseconds(10));

        var stream = Assert.Single(answers)["stream"]!;
        Assert.Equal("给你", stream["content"]!.GetValue<string>());
        Assert.Equal(Convert.ToBase64String(jpeg), stream["msg_item"]![0]!["image"]!["base64"]!.GetValue<string>());
    }

    [Fact]
    public async Task Message_ImageWithoutItsOwnKey_DecryptedWithTheEncodingAesKey()
    {
        byte[] png = [0x89, 0x50, 0x4E, 0x47, .. RandomNumberGenerator.GetBytes(50)];
        var (url, _) = _harness.Simulator.AddMedia(png, aesKey: Convert.ToBase64String(Convert.FromBase64String(AesKey + "=")));

        await _weCom.PostAsync(Callbacks.Message("m1", "image", Callbacks.Media(url, aesKey: null)));

        var evt = await _harness.WaitForEventAsync(e => e.Type == EventTypes.MessageReceived, "the image message");
        var image = Assert.IsType<ImageComponent>(JsonSerializer.Deserialize(evt.Data, ContractsJsonContext.Default.MessageEventData)!.Chain[1]);
        Assert.Equal(png, Convert.FromBase64String(image.Base64!));
    }

    [Fact]
    public async Task Message_RetriedByWeCom_SameStreamAnnouncedAndOneEvent()
    {
        var first = await _weCom.PostAsync(Callbacks.Text("m1", "retry me"));
        var second = await _weCom.PostAsync(Callbacks.Text("m1", "retry me"));
        await _harness.WaitForEventAsync(e => e.Type == EventTypes.MessageReceived, "the message");

        Assert.Equal(first.Decrypted!["stream"]!["id"]!.GetValue<string>(), second.Decrypted!["stream"]!["id"]!.GetValue<string>());
        Assert.Single(_harness.Events, e => e.Type == EventTypes.MessageReceived);
    }

    [Fact]
    public async Task EnterChat_WelcomeConfigured_WelcomeInTheAnswer()
    {
        var answer = await _weCom.PostAsync(Callbacks.Event("e1", "enter_chat"));

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"msgtype":"text","text":{"content":"欢迎来到测试"}}"""), answer.Decrypted));
        await _harness.WaitForEventAsync(e => e.Type == "platform.wecombot.enter_chat", "the enter_chat event");
    }

    [Fact]
    public async Task TemplateCardEvent_ListenerUpdatesTheCard_UpdateInTheAnswer()
    {
        var card = new JsonObject { ["card_type"] = "button_interaction", ["main_title"] = new JsonObject { ["title"] = "已确认" }, ["task_id"] = "task_9" };
        _harness.OnEvent = async e =>
        {
            if (e.Type == "platform.wecombot.template_card_event")
            {
                await _bot.CallPlatformApiAsync("updateTemplateCard", JsonSerializer.SerializeToElement(new JsonObject { ["messageId"] = e.Text("messageId"), ["templateCard"] = card.DeepClone() }), default);
            }
        };

        var answer = await _weCom.PostAsync(Callbacks.Event("c1", "template_card_event", new JsonObject { ["template_card_event"] = new JsonObject { ["event_key"] = "ok", ["task_id"] = "task_9" } }));

        Assert.True(JsonNode.DeepEquals(new JsonObject { ["response_type"] = "update_template_card", ["template_card"] = card }, answer.Decrypted));
    }

    [Fact]
    public async Task TemplateCardEvent_NoListenerUpdate_EmptyAnswerAfterTheWait()
    {
        await _harness.Adapter.StopBotAsync("hook1");
        var bot = await _harness.StartBotAsync("hook2", new JsonObject { ["token"] = Token, ["encodingAesKey"] = AesKey, ["webhookListen"] = "http://127.0.0.1:0", ["webhookAnswerWaitMs"] = 100 });
        var weCom = new WeComWebhookSimulator(_http, bot.WebhookUrl!, Token, AesKey);

        var answer = await weCom.PostAsync(Callbacks.Event("c1", "template_card_event", new JsonObject { ["event_key"] = "ok", ["task_id"] = "t" }));
        var late = await Assert.ThrowsAsync<AdapterException>(() => bot.UpdateTemplateCardAsync("c1", new JsonObject { ["task_id"] = "t" }, null, default));

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(string.Empty, answer.Raw);
        Assert.Contains("already answered (or its 5 s window passed)", late.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_WebhookMode_NotSupportedWithWhatToDo()
    {
        var error = await Assert.ThrowsAsync<AdapterException>(() => _bot.SendAsync(new SendParams("hook1", Zhangsan, [new PlainComponent("hi")]), default));

        Assert.Equal(PlugboardErrorCodes.AdapterNotSupported, error.Code);
        Assert.Contains("long-connection mode", error.Message, StringComparison.Ordinal);
    }
}
