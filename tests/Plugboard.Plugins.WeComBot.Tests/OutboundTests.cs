using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Plugboard.Plugins.WeComBot.Adapter;
using Plugboard.Plugins.WeComBot.Tests.Infrastructure;
using Plugboard.Plugins.WeComBot.Tests.Simulator;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Plugins.WeComBot.Tests;

/// <summary>
/// Replies and sends against the WeCom simulator (long connection), asserting the exact frame bodies: streamed
/// replies as full snapshots with feedback on the first frame, the 20480-byte limit, images on the final frame,
/// files by upload, proactive Markdown, platform actions, and several bots in one adapter.
/// </summary>
public sealed class OutboundTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Wire = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly ChatTarget Zhangsan = new(ChatType.Person, "zhangsan");

    private AdapterHarness _harness = null!;

    private WeComSimulator Simulator => _harness.Simulator;

    public async Task InitializeAsync() => _harness = await AdapterHarness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task ReplyStream_ThreeChunks_FullSnapshotsFeedbackOnFirstFinishOnLast()
    {
        var bot = await _harness.StartLongBotAsync();
        var reqId = await ReceiveAsync("m1");

        var first = await bot.ReplyStreamAsync(new ReplyStreamParams("b1", Zhangsan, "m1", "rt-1", "正在", false), default);
        await bot.ReplyStreamAsync(new ReplyStreamParams("b1", Zhangsan, "m1", "rt-1", "思考", false), default);
        var last = await bot.ReplyStreamAsync(new ReplyStreamParams("b1", Zhangsan, "m1", "rt-1", "……完成", true), default);

        var id = first.MessageId!;
        Assert.Matches("^stream_[0-9]{13}_[0-9a-f]{8}$", id);
        Assert.Equal(id, last.MessageId);
        Assert.Equal(
            [
                $$$$"""{"msgtype":"stream","stream":{"id":"{{{{id}}}}","finish":false,"content":"正在","feedback":{"id":"{{{{id}}}}"}}}""",
                $$$"""{"msgtype":"stream","stream":{"id":"{{{id}}}","finish":false,"content":"正在思考"}}""",
                $$$"""{"msgtype":"stream","stream":{"id":"{{{id}}}","finish":true,"content":"正在思考……完成"}}""",
            ],
            Simulator.RepliesTo(reqId).Select(f => f.Body!.ToJsonString(Wire)));
        Assert.All(Simulator.RepliesTo(reqId), f => Assert.Equal("aibot_respond_msg", f.Cmd));
    }

    [Fact]
    public async Task ReplyStream_StreamingOff_OneFrameWhenFinished()
    {
        var bot = await _harness.StartLongBotAsync(configure: c => { c["streaming"] = false; c["feedback"] = false; });
        var reqId = await ReceiveAsync("m1");

        await bot.ReplyStreamAsync(new ReplyStreamParams("b1", Zhangsan, "m1", "s", "a", false), default);
        await bot.ReplyStreamAsync(new ReplyStreamParams("b1", Zhangsan, "m1", "s", "b", false), default);
        var result = await bot.ReplyStreamAsync(new ReplyStreamParams("b1", Zhangsan, "m1", "s", "c", true), default);

        var frame = Assert.Single(Simulator.RepliesTo(reqId));
        Assert.Equal($$$"""{"msgtype":"stream","stream":{"id":"{{{result.MessageId}}}","finish":true,"content":"abc"}}""", frame.Body!.ToJsonString(Wire));
    }

    [Fact]
    public async Task ReplyStream_PastTheLimit_ContentCutTo20480BytesOnACharacterBoundary()
    {
        var bot = await _harness.StartLongBotAsync();
        var reqId = await ReceiveAsync("m1");

        await bot.ReplyStreamAsync(new ReplyStreamParams("b1", Zhangsan, "m1", "s", "a" + new string('长', 7000), false), default);
        await bot.ReplyStreamAsync(new ReplyStreamParams("b1", Zhangsan, "m1", "s", "more", true), default);

        var frames = Simulator.RepliesTo(reqId);
        var content = frames[^1].Stream!["content"]!.GetValue<string>();
        Assert.Equal(20479, Encoding.UTF8.GetByteCount(content));
        Assert.Equal("a" + new string('长', 6826), content);
        Assert.True(frames[^1].Stream!["finish"]!.GetValue<bool>());
        Assert.Empty(Simulator.Violations);
        Assert.Contains(_harness.Logs.Messages, m => m.Contains("cut to 20480 UTF-8 bytes", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reply_TextAndPngImage_OneFinishedStreamWithMsgItem()
    {
        var bot = await _harness.StartLongBotAsync(configure: c => c["feedback"] = false);
        var reqId = await ReceiveAsync("m1");
        byte[] png = [0x89, 0x50, 0x4E, 0x47, .. RandomNumberGenerator.GetBytes(64)];

        await bot.ReplyAsync(new ReplyParams("b1", Zhangsan, "m1", [new PlainComponent("看图"), new ImageComponent(Base64: Convert.ToBase64String(png))]), default);

        var frame = Assert.Single(Simulator.RepliesTo(reqId));
        var stream = frame.Stream!;
        Assert.True(stream["finish"]!.GetValue<bool>());
        Assert.Equal("看图", stream["content"]!.GetValue<string>());
        var item = Assert.Single(stream["msg_item"]!.AsArray())!;
        Assert.Equal("image", item["msgtype"]!.GetValue<string>());
        Assert.Equal(Convert.ToBase64String(png), item["image"]!["base64"]!.GetValue<string>());
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(png)), item["image"]!["md5"]!.GetValue<string>());
    }

    [Fact]
    public async Task Reply_AfterAnOpenStream_FinishesThatStreamWithTheReplyAppended()
    {
        var bot = await _harness.StartLongBotAsync(configure: c => c["feedback"] = false);
        var reqId = await ReceiveAsync("m1");

        var streamed = await bot.ReplyStreamAsync(new ReplyStreamParams("b1", Zhangsan, "m1", "s", "Part one. ", false), default);
        var replied = await bot.ReplyAsync(new ReplyParams("b1", Zhangsan, "m1", [new PlainComponent("Part two.")]), default);

        Assert.Equal(streamed.MessageId, replied.MessageId);
        var frames = Simulator.RepliesTo(reqId);
        Assert.Equal("Part one. Part two.", frames[^1].Stream!["content"]!.GetValue<string>());
        Assert.True(frames[^1].Stream!["finish"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Reply_WithFile_UploadedInChunksThenSentAsFileReply()
    {
        var bot = await _harness.StartLongBotAsync();
        var reqId = await ReceiveAsync("m1");
        var content = RandomNumberGenerator.GetBytes((512 * 1024) + 100);

        await bot.ReplyAsync(new ReplyParams("b1", Zhangsan, "m1", [new PlainComponent("附件："), new FileComponent("data.bin", Base64: Convert.ToBase64String(content))]), default);

        var chunks = Simulator.Frames.Where(f => f.Cmd == "aibot_upload_media_chunk").ToList();
        Assert.Equal([0, 1], chunks.Select(c => c.Body!["chunk_index"]!.GetValue<int>()));
        var init = Simulator.Frames.Single(f => f.Cmd == "aibot_upload_media_init").Body!;
        Assert.Equal(("file", "data.bin", content.Length, 2, Convert.ToHexStringLower(MD5.HashData(content))), (init["type"]!.GetValue<string>(), init["filename"]!.GetValue<string>(), init["total_size"]!.GetValue<int>(), init["total_chunks"]!.GetValue<int>(), init["md5"]!.GetValue<string>()));
        var (mediaId, upload) = Assert.Single(Simulator.Uploads);
        Assert.Equal(content, upload.Content);
        var replies = Simulator.RepliesTo(reqId);
        Assert.Equal(2, replies.Count);
        Assert.Equal($$$"""{"msgtype":"file","file":{"media_id":"{{{mediaId}}}"}}""", replies[1].Body!.ToJsonString(Wire));
        Assert.All(Simulator.Frames.Where(f => f.Cmd!.StartsWith("aibot_upload_media", StringComparison.Ordinal)), f => Assert.StartsWith(f.Cmd + "_", f.ReqId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Send_Markdown_ProactiveSendWithNewReqIdAndChatId()
    {
        var bot = await _harness.StartLongBotAsync();

        await bot.SendAsync(new SendParams("b1", new ChatTarget(ChatType.Group, "wrkGROUP"), [new PlainComponent("这是一条**主动推送**的消息")]), default);

        var frame = await Simulator.WaitForFrameAsync(f => f.Cmd == "aibot_send_msg", "the send");
        Assert.Matches("^aibot_send_msg_[0-9]{13}_[0-9a-f]{8}$", frame.ReqId);
        Assert.Equal("""{"chatid":"wrkGROUP","msgtype":"markdown","markdown":{"content":"这是一条**主动推送**的消息"}}""", frame.Body!.ToJsonString(Wire));
    }

    [Fact]
    public async Task Reply_UnknownMessageInLongConnection_FallsBackToProactiveSend()
    {
        var bot = await _harness.StartLongBotAsync();

        await bot.ReplyAsync(new ReplyParams("b1", Zhangsan, "gone-long-ago", [new PlainComponent("late answer")]), default);

        var frame = await Simulator.WaitForFrameAsync(f => f.Cmd == "aibot_send_msg", "the fallback send");
        Assert.Equal("zhangsan", frame.Body!["chatid"]!.GetValue<string>());
    }

    [Fact]
    public async Task CallPlatformApi_ModeStatusMarkdownUpload_Answered()
    {
        var bot = await _harness.StartLongBotAsync();
        await ReceiveAsync("m1");
        await bot.ReplyStreamAsync(new ReplyStreamParams("b1", Zhangsan, "m1", "s", "half", false), default);

        var mode = await bot.CallPlatformApiAsync("getConnectionMode", default, default);
        var status = await bot.CallPlatformApiAsync("getStreamStatus", JsonSerializer.SerializeToElement(new { messageId = "m1" }), default);
        await bot.CallPlatformApiAsync("sendMarkdown", JsonSerializer.SerializeToElement(new { chatId = "lisi", content = "**hi**" }), default);
        var upload = await bot.CallPlatformApiAsync("uploadMedia", JsonSerializer.SerializeToElement(new { type = "image", fileName = "a.png", base64 = Convert.ToBase64String([1, 2, 3]) }), default);
        var unknown = await Assert.ThrowsAsync<AdapterException>(() => bot.CallPlatformApiAsync("recall", default, default));

        Assert.Equal("longConnection", mode.GetProperty("mode").GetString());
        Assert.Equal("Connected", mode.GetProperty("connection").GetProperty("state").GetString());
        var stream = status.GetProperty("streams")[0];
        Assert.False(stream.GetProperty("finished").GetBoolean());
        Assert.True(stream.GetProperty("delivered").GetBoolean());
        Assert.Equal(4, stream.GetProperty("contentBytes").GetInt32());
        Assert.Equal("**hi**", Simulator.Frames.Single(f => f.Cmd == "aibot_send_msg").Body!["markdown"]!["content"]!.GetValue<string>());
        Assert.Equal([1, 2, 3], Simulator.Uploads[upload.GetProperty("mediaId").GetString()!].Content);
        Assert.Equal(PlugboardErrorCodes.AdapterNotSupported, unknown.Code);
        Assert.Contains("getConnectionMode", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwoBots_OneAdapter_SeparateConnectionsStateAndLogs()
    {
        Simulator.AddBot("aibBOT2", "s2");
        var first = await _harness.StartLongBotAsync("b1");
        var second = await _harness.StartBotAsync("b2", _harness.LongConfig("aibBOT2", "s2"));
        var reqId1 = await Simulator.PushMessageAsync(AdapterHarness.WeComBotId, Callbacks.Text("same-id", "to one"));
        var reqId2 = await Simulator.PushMessageAsync("aibBOT2", Callbacks.Text("same-id", "to two"));
        await _harness.WaitForEventAsync(e => e.BotId == "b1" && e.Text("messageId") == "same-id", "b1's message");
        await _harness.WaitForEventAsync(e => e.BotId == "b2" && e.Text("messageId") == "same-id", "b2's message");

        await first.ReplyAsync(new ReplyParams("b1", Zhangsan, "same-id", [new PlainComponent("from one")]), default);
        await second.ReplyAsync(new ReplyParams("b2", Zhangsan, "same-id", [new PlainComponent("from two")]), default);
        await _harness.Adapter.StopBotAsync("b1");
        await second.ReplyAsync(new ReplyParams("b2", Zhangsan, "same-id", [new PlainComponent("still here")]), default);

        Assert.Equal("from one", Assert.Single(Simulator.RepliesTo(reqId1)).Stream!["content"]!.GetValue<string>());
        Assert.Equal(["from two", "still here"], Simulator.RepliesTo(reqId2).Select(f => f.Stream!["content"]!.GetValue<string>()));
        Assert.NotEqual(Simulator.RepliesTo(reqId1)[0].Connection, Simulator.RepliesTo(reqId2)[0].Connection);
        Assert.Contains(_harness.Logs.Messages, m => m.StartsWith("WeCom bot b1: subscribed", StringComparison.Ordinal));
        Assert.Contains(_harness.Logs.Messages, m => m.StartsWith("WeCom bot b2: subscribed", StringComparison.Ordinal));
        Assert.Contains(_harness.Logs.Messages, m => m == "WeCom bot b1: stopped.");
    }

    private async Task<string> ReceiveAsync(string msgId)
    {
        var reqId = await Simulator.PushMessageAsync(AdapterHarness.WeComBotId, Callbacks.Text(msgId, "question"));
        await _harness.WaitForEventAsync(e => e.Type == EventTypes.MessageReceived && e.Text("messageId") == msgId, "message " + msgId);
        return reqId;
    }
}
