using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Plugboard.Plugins.WeComBot.Tests.Infrastructure;
using Plugboard.Plugins.WeComBot.Tests.Simulator;
using Plugboard.Protocol.Contracts;
using Plugboard.Runtime.Bots;

namespace Plugboard.Plugins.WeComBot.Tests.EndToEnd;

/// <summary>
/// The WeComBot plugin as a real process under a real runtime, against the WeCom simulator (the real servers cannot
/// be reached): a user message becomes <c>message.received</c>, the runtime routes it to the bundled Echo plugin, whose
/// <c>replyStream</c> chunks (or single <c>reply</c>) come back through the adapter as WeCom stream frames (long
/// connection) or refresh answers (webhook).
/// </summary>
public sealed class EndToEndTests(RuntimeFixture fixture) : IClassFixture<RuntimeFixture>
{
    private static readonly JsonSerializerOptions Wire = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private WeComSimulator Simulator => fixture.Simulator;

    [Fact]
    public async Task LongConnection_MessagesThroughRuntimeAndEcho_StreamedAndPlainRepliesFramesExact()
    {
        Simulator.AddBot("aibE2E", "e2e-secret");
        var config = new JsonObject { ["botId"] = "aibE2E", ["secret"] = "e2e-secret", ["webSocketUrl"] = Simulator.WebSocketUrl.ToString(), ["heartbeatIntervalMs"] = 1000 };
        var status = await fixture.Runtime.AddBotAsync(new BotDefinition("wc-long", "WeCom long", RuntimeFixture.WeComPlugin, "wecombot", JsonSerializer.SerializeToElement(config)));
        Assert.Equal("Running", status.State);
        Assert.Equal("***", status.Config.GetProperty("secret").GetString());
        await AdapterHarness.WaitForAsync(() => Simulator.IsSubscribed("aibE2E"), "the plugin to subscribe", 60);

        var streamReq = await Simulator.PushMessageAsync("aibE2E", Callbacks.Text("e2e-m1", "stream 你好 Plugboard"));
        await AdapterHarness.WaitForAsync(() => Simulator.RepliesTo(streamReq).Any(f => f.Stream?["finish"]?.GetValue<bool>() == true), "the final stream frame", 60);
        var plainReq = await Simulator.PushMessageAsync("aibE2E", Callbacks.Text("e2e-m2", "hello"));
        await AdapterHarness.WaitForAsync(() => Simulator.RepliesTo(plainReq).Count == 1, "the plain reply", 60);

        var frames = Simulator.RepliesTo(streamReq);
        var id = frames[0].Stream!["id"]!.GetValue<string>();
        Assert.Equal(
            [
                $$$$$"""{"cmd":"aibot_respond_msg","headers":{"req_id":"{{{{{streamReq}}}}}"},"body":{"msgtype":"stream","stream":{"id":"{{{{{id}}}}}","finish":false,"content":"echo: ","feedback":{"id":"{{{{{id}}}}}"}}}}""",
                $$$$"""{"cmd":"aibot_respond_msg","headers":{"req_id":"{{{{streamReq}}}}"},"body":{"msgtype":"stream","stream":{"id":"{{{{id}}}}","finish":false,"content":"echo: stream "}}}""",
                $$$$"""{"cmd":"aibot_respond_msg","headers":{"req_id":"{{{{streamReq}}}}"},"body":{"msgtype":"stream","stream":{"id":"{{{{id}}}}","finish":false,"content":"echo: stream 你好 "}}}""",
                $$$$"""{"cmd":"aibot_respond_msg","headers":{"req_id":"{{{{streamReq}}}}"},"body":{"msgtype":"stream","stream":{"id":"{{{{id}}}}","finish":true,"content":"echo: stream 你好 Plugboard"}}}""",
            ],
            frames.Select(f => f.Raw));
        var plain = Assert.Single(Simulator.RepliesTo(plainReq));
        var plainId = plain.Stream!["id"]!.GetValue<string>();
        Assert.Equal($$$$$"""{"cmd":"aibot_respond_msg","headers":{"req_id":"{{{{{plainReq}}}}}"},"body":{"msgtype":"stream","stream":{"id":"{{{{{plainId}}}}}","finish":true,"content":"echo: hello","feedback":{"id":"{{{{{plainId}}}}}"}}}}""", plain.Raw);
        Assert.Empty(Simulator.Violations);
        await AdapterHarness.WaitForAsync(() => fixture.Runtime.GetRecentEvents("wc-long").Count == 2, "the routed events");
        Assert.All(fixture.Runtime.GetRecentEvents("wc-long"), r => Assert.Equal((EventTypes.MessageReceived, (string?)null), (r.Type, r.Error)));

        var mode = await fixture.Runtime.CallBotAsync("wc-long", AdapterApis.CallPlatformApi, JsonSerializer.SerializeToElement(new { action = "getConnectionMode", @params = new { } }));
        Assert.Equal("longConnection", mode.GetProperty("mode").GetString());
        Assert.Equal("Connected", mode.GetProperty("connection").GetProperty("state").GetString());
    }

    [Fact]
    public async Task Webhook_MessageThroughRuntimeAndEcho_RefreshPollsReturnTheStreamedEcho()
    {
        const string token = "e2eToken";
        const string aesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
        var config = new JsonObject { ["token"] = token, ["encodingAesKey"] = aesKey, ["webhookListen"] = "http://127.0.0.1:0" };
        await fixture.Runtime.AddBotAsync(new BotDefinition("wc-hook", "WeCom webhook", RuntimeFixture.WeComPlugin, "wecombot", JsonSerializer.SerializeToElement(config)));
        var mode = await fixture.Runtime.CallBotAsync("wc-hook", AdapterApis.CallPlatformApi, JsonSerializer.SerializeToElement(new { action = "getConnectionMode", @params = new { } }));
        var url = mode.GetProperty("webhookUrl").GetString()!;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var weCom = new WeComWebhookSimulator(http, url, token, aesKey);

        Assert.Equal("ok-明文", (await weCom.VerifyUrlAsync("ok-明文")).Body);
        var answer = await weCom.PostAsync(Callbacks.Text("e2e-h1", "stream over webhook"));
        var streamId = answer.Decrypted!["stream"]!["id"]!.GetValue<string>();
        var polls = await weCom.PollStreamAsync(streamId, "zhangsan", TimeSpan.FromMilliseconds(100));

        Assert.Equal("webhook", mode.GetProperty("mode").GetString());
        Assert.EndsWith("/wecombot/wc-hook", url, StringComparison.Ordinal);
        Assert.False(answer.Decrypted["stream"]!["finish"]!.GetValue<bool>());
        Assert.Equal($$$"""{"msgtype":"stream","stream":{"id":"{{{streamId}}}","finish":true,"content":"echo: stream over webhook"}}""", polls[^1].ToJsonString(Wire));
        Assert.All(polls.SkipLast(1), p => Assert.StartsWith(p["stream"]!["content"]!.GetValue<string>(), "echo: stream over webhook", StringComparison.Ordinal));
    }
}
