using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Plugboard.Plugins.WeComBot.Adapter;
using Plugboard.Plugins.WeComBot.LongConnection;
using Plugboard.Plugins.WeComBot.Tests.Infrastructure;
using Plugboard.Plugins.WeComBot.Tests.Simulator;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Plugins.WeComBot.Tests;

/// <summary>
/// The long connection against the WeCom simulator (WeCom's servers cannot be reached from here): subscribe, heartbeat,
/// reconnects and their bounds, takeover, req_id echo, one frame in flight per req_id, ack timeouts, conflicts,
/// expired streams and per-req_id state cleanup. Intervals are shortened through the bot config.
/// </summary>
public sealed partial class LongConnectionTests : IAsyncLifetime
{
    private AdapterHarness _harness = null!;

    private WeComSimulator Simulator => _harness.Simulator;

    public async Task InitializeAsync() => _harness = await AdapterHarness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task Start_SubscribeIsTheFirstFrame_PingsOnlyAfterItsAck()
    {
        Simulator.SubscribeAckDelay = TimeSpan.FromMilliseconds(400);

        await _harness.StartLongBotAsync();
        await Simulator.WaitForFrameAsync(f => f.Cmd == "ping", "a ping");

        var first = Simulator.Frames[0];
        Assert.Equal("aibot_subscribe", first.Cmd);
        Assert.Matches(ClientReqId("aibot_subscribe"), first.ReqId);
        Assert.Equal($$$"""{"cmd":"aibot_subscribe","headers":{"req_id":"{{{first.ReqId}}}"},"body":{"bot_id":"aibBOT1","secret":"s3cret"}}""", first.Raw);
        var acked = Simulator.SubscribedAt(1)!.Value;
        Assert.All(Simulator.Frames.Skip(1), f => Assert.True(f.At >= acked, $"{f.Raw} arrived before the subscribe ack"));
        Assert.Empty(Simulator.Violations);
    }

    [Fact]
    public async Task Heartbeat_AckedPings_KeepsOneConnection()
    {
        await _harness.StartLongBotAsync();

        await AdapterHarness.WaitForAsync(() => Simulator.Frames.Count(f => f.Cmd == "ping") >= 4, "four pings");

        var ping = Simulator.Frames.First(f => f.Cmd == "ping");
        Assert.Matches(ClientReqId("ping"), ping.ReqId);
        Assert.Equal($$$"""{"cmd":"ping","headers":{"req_id":"{{{ping.ReqId}}}"}}""", ping.Raw);
        Assert.Equal(1, Simulator.ConnectionCount);
        Assert.Equal(WeComConnectionState.Connected, (await BotAsync()).Connection!.Status.State);
    }

    [Fact]
    public async Task Heartbeat_TwoMissedAcks_ReconnectsAndSubscribesAgain()
    {
        Simulator.AckPings = false;
        var bot = await _harness.StartLongBotAsync();

        await AdapterHarness.WaitForAsync(() => Simulator.Frames.Any(f => f.Connection == 2 && f.Cmd == "aibot_subscribe"), "a second subscribe");

        Assert.Equal(2, Simulator.Frames.Count(f => f.Connection == 1 && f.Cmd == "ping"));
        await AdapterHarness.WaitForAsync(() => bot.Connection!.Status.Subscriptions == 2, "the second subscription");
    }

    [Fact]
    public async Task Subscribe_WrongSecret_CountsAuthFailuresSeparatelyAndStopsWithReason()
    {
        var bot = await _harness.StartBotAsync("b1", _harness.LongConfig(secret: "wrong"), waitConnected: false);

        var error = await Assert.ThrowsAsync<WeComNotConnectedException>(() => bot.Connection!.WaitUntilConnectedAsync().WaitAsync(TimeSpan.FromSeconds(20)));

        var status = bot.Connection!.Status;
        Assert.Equal(WeComConnectionState.Stopped, status.State);
        Assert.Equal(WeComStopCause.AuthFailuresExhausted, status.Cause);
        Assert.Contains("853000 invalid bot_id or secret", status.Reason, StringComparison.Ordinal);
        Assert.Contains("Check the bot id and secret", status.Reason, StringComparison.Ordinal);
        Assert.Contains(status.Reason!, error.Message, StringComparison.Ordinal);
        Assert.Equal(3, Simulator.Frames.Count(f => f.Cmd == "aibot_subscribe"));
        Assert.Equal(0, status.ReconnectAttempts);
        Assert.Contains(_harness.Logs.Messages, m => m.Contains("WeCom bot b1: subscribe rejected", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Subscribe_RejectedOnceThenAccepted_ConnectsAndResetsCounters()
    {
        Simulator.RejectNextSubscribes(1);

        var bot = await _harness.StartLongBotAsync();

        Assert.Equal(2, Simulator.Frames.Count(f => f.Cmd == "aibot_subscribe"));
        Assert.Equal(0, bot.Connection!.Status.AuthFailures);
    }

    [Fact]
    public async Task Reconnect_ServerDown_GivesUpAfterTheAttemptBound()
    {
        var bot = await _harness.StartLongBotAsync();
        Simulator.RefuseConnections = true;

        Simulator.DropConnections();
        await AdapterHarness.WaitForAsync(() => bot.Connection!.Status.State == WeComConnectionState.Stopped, "the connection to give up");

        var status = bot.Connection!.Status;
        Assert.Equal(WeComStopCause.ReconnectsExhausted, status.Cause);
        Assert.Contains("Gave up after 3 reconnect attempts", status.Reason, StringComparison.Ordinal);
        Assert.Equal(3, status.ReconnectAttempts);
        Assert.Equal(0, status.AuthFailures);
    }

    [Fact]
    public async Task Reconnect_ConnectionDropped_ResubscribesAndMessagesFlowAgain()
    {
        var bot = await _harness.StartLongBotAsync();

        Simulator.DropConnections();
        await AdapterHarness.WaitForAsync(() => bot.Connection!.Status.Subscriptions == 2 && Simulator.IsSubscribed(AdapterHarness.WeComBotId), "the resubscribe");
        await Simulator.PushMessageAsync(AdapterHarness.WeComBotId, Callbacks.Text("m-after", "still there?"));

        await _harness.WaitForEventAsync(e => e.Type == "message.received" && e.Text("messageId") == "m-after", "the message after reconnecting");
    }

    [Fact]
    public void ReconnectDelay_Defaults_DoubleFromOneSecondAndCapAtThirty()
    {
        var options = new WeComLongConnectionOptions();

        var delays = Enumerable.Range(1, 8).Select(n => options.ReconnectDelay(n).TotalSeconds);

        Assert.Equal([1, 2, 4, 8, 16, 30, 30, 30], delays);
        Assert.Equal(TimeSpan.FromSeconds(30), options.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromSeconds(5), options.AckTimeout);
        Assert.Equal(10, options.MaxReconnectAttempts);
        Assert.Equal(5, options.MaxAuthFailures);
    }

    [Fact]
    public async Task DisconnectedEvent_AnotherClientTakesOver_StopsWithoutReconnectingAndSaysWhy()
    {
        var bot = await _harness.StartLongBotAsync();
        await using var other = new WeComLongConnection(
            new WeComLongConnectionOptions { Url = Simulator.WebSocketUrl, BotId = AdapterHarness.WeComBotId, Secret = AdapterHarness.Secret },
            _ => ValueTask.CompletedTask,
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

        other.Start();
        await other.WaitUntilConnectedAsync().WaitAsync(TimeSpan.FromSeconds(20));
        await AdapterHarness.WaitForAsync(() => bot.Connection!.Status.State == WeComConnectionState.Stopped, "the taken-over connection to stop");

        var status = bot.Connection!.Status;
        Assert.Equal(WeComStopCause.TakenOver, status.Cause);
        Assert.Contains("disconnected_event", status.Reason, StringComparison.Ordinal);
        Assert.Contains("Not reconnecting", status.Reason, StringComparison.Ordinal);
        var evt = await _harness.WaitForEventAsync(e => e.Type == "platform.wecombot.disconnected", "the disconnected event");
        Assert.Contains("does not reconnect", evt.Text("reason"), StringComparison.Ordinal);

        // Several backoff periods later, still only the two connections: nobody kicks anybody.
        await Task.Delay(300);
        Assert.Equal(2, Simulator.ConnectionCount);
        Assert.Equal(1, Simulator.Frames.Count(f => f.Connection == 1 && f.Cmd == "aibot_subscribe"));
    }

    [Fact]
    public async Task Reply_ServerReqIdWithUnicodeAndEscapes_EchoedByteForByte()
    {
        Simulator.ServerReqId = n => $"R{n}_回调/+=é\"q\\b✓";
        var bot = await _harness.StartLongBotAsync();
        var reqId = await Simulator.PushMessageAsync(AdapterHarness.WeComBotId, Callbacks.Text("m1", "hi"));
        var evt = await _harness.WaitForEventAsync(e => e.Type == "message.received", "the message");

        await bot.ReplyAsync(new ReplyParams("b1", Chat(evt), "m1", [new PlainComponent("hello")]), default);

        var reply = Assert.Single(Simulator.RepliesTo(reqId));
        var serverToken = Encoding.UTF8.GetBytes($$"""{"req_id":"R1_回调/+=é\"q\\b✓"}""");
        Assert.Contains(Convert.ToHexString(serverToken), Convert.ToHexString(Encoding.UTF8.GetBytes(reply.Raw)), StringComparison.Ordinal);
        Assert.Equal(reqId, reply.ReqId);
    }

    [Fact]
    public async Task ReplyStream_DelayedAcks_OneFrameInFlightPerReqIdAndLatestSnapshotWins()
    {
        Simulator.AckPolicy = f => f.Cmd == "aibot_respond_msg" ? AckPlan.Delay(TimeSpan.FromMilliseconds(150), AckPlan.Ok) : null;
        var bot = await _harness.StartLongBotAsync();
        var reqId = await Simulator.PushMessageAsync(AdapterHarness.WeComBotId, Callbacks.Text("m1", "count"));
        var evt = await _harness.WaitForEventAsync(e => e.Type == "message.received", "the message");

        var chunks = Enumerable.Range(1, 6).Select(i => bot.ReplyStreamAsync(new ReplyStreamParams("b1", Chat(evt), "m1", "s", i.ToString(System.Globalization.CultureInfo.InvariantCulture), false), default)).ToList();
        await Task.WhenAll(chunks);
        await bot.ReplyStreamAsync(new ReplyStreamParams("b1", Chat(evt), "m1", "s", "!", true), default);

        Assert.Empty(Simulator.Violations);
        var frames = Simulator.RepliesTo(reqId);
        Assert.InRange(frames.Count, 2, 7);
        var contents = frames.Select(f => f.Stream!["content"]!.GetValue<string>()).ToList();
        Assert.Equal("123456!", contents[^1]);
        Assert.True(frames[^1].Stream!["finish"]!.GetValue<bool>());
        Assert.All(frames.SkipLast(1), f => Assert.False(f.Stream!["finish"]!.GetValue<bool>()));
        Assert.All(contents.Zip(contents.Skip(1)), pair => Assert.StartsWith(pair.First, pair.Second, StringComparison.Ordinal));
        Assert.Equal(0, bot.Connection!.TrackedRequestIds);
        Assert.Equal(0, bot.OpenStreamCount);
    }

    [Fact]
    public async Task ReplyStream_AckDropped_FailsThatChunkAfterTheAckTimeoutAndTheNextGoesThrough()
    {
        var dropped = 0;
        Simulator.AckPolicy = f => f.Cmd == "aibot_respond_msg" && Interlocked.Increment(ref dropped) == 1 ? AckPlan.Drop : null;
        var bot = await _harness.StartLongBotAsync(configure: c => c["ackTimeoutMs"] = 300);
        var reqId = await Simulator.PushMessageAsync(AdapterHarness.WeComBotId, Callbacks.Text("m1", "x"));
        var evt = await _harness.WaitForEventAsync(e => e.Type == "message.received", "the message");

        var error = await Assert.ThrowsAsync<AdapterException>(() => bot.ReplyStreamAsync(new ReplyStreamParams("b1", Chat(evt), "m1", "s", "a", false), default));
        await bot.ReplyStreamAsync(new ReplyStreamParams("b1", Chat(evt), "m1", "s", "b", true), default);

        Assert.Equal(PlugboardErrorCodes.PlatformError, error.Code);
        Assert.Equal("ackTimeout", error.Data!.Value.GetProperty("reason").GetString());
        var frames = Simulator.RepliesTo(reqId);
        Assert.Equal(2, frames.Count);
        Assert.Equal("ab", frames[1].Stream!["content"]!.GetValue<string>());
        Assert.Equal(0, bot.Connection!.TrackedRequestIds);
    }

    [Fact]
    public async Task Reply_CommandConflictTwice_RetriedUntilAccepted()
    {
        var bot = await _harness.StartLongBotAsync();
        var reqId = await Simulator.PushMessageAsync(AdapterHarness.WeComBotId, Callbacks.Text("m1", "x"));
        var evt = await _harness.WaitForEventAsync(e => e.Type == "message.received", "the message");
        Simulator.ConflictNext(2);

        await bot.ReplyAsync(new ReplyParams("b1", Chat(evt), "m1", [new PlainComponent("done")]), default);

        var frames = Simulator.RepliesTo(reqId);
        Assert.Equal(3, frames.Count);
        Assert.Single(frames.Select(f => f.Raw).Distinct());
        Assert.Contains(_harness.Logs.Messages, m => m.Contains("conflicted (errcode 6000); retry 2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reply_ConflictBeyondRetries_ReportsWeComsCodeAsPlatformError()
    {
        var bot = await _harness.StartLongBotAsync();
        await Simulator.PushMessageAsync(AdapterHarness.WeComBotId, Callbacks.Text("m1", "x"));
        var evt = await _harness.WaitForEventAsync(e => e.Type == "message.received", "the message");
        Simulator.ConflictNext(10);

        var error = await Assert.ThrowsAsync<AdapterException>(() => bot.ReplyAsync(new ReplyParams("b1", Chat(evt), "m1", [new PlainComponent("done")]), default));

        Assert.Equal(PlugboardErrorCodes.PlatformError, error.Code);
        Assert.Equal(6000, error.Data!.Value.GetProperty("platformCode").GetInt32());
        Assert.Equal(0, bot.Connection!.TrackedRequestIds);
    }

    [Fact]
    public async Task ReplyStream_PastTheStreamLifetime_TypedStreamExpiredErrorAndNoMoreFrames()
    {
        Simulator.StreamLifetime = TimeSpan.Zero;
        var bot = await _harness.StartLongBotAsync();
        var reqId = await Simulator.PushMessageAsync(AdapterHarness.WeComBotId, Callbacks.Text("m1", "x"));
        var evt = await _harness.WaitForEventAsync(e => e.Type == "message.received", "the message");

        var first = await Assert.ThrowsAsync<AdapterException>(() => bot.ReplyStreamAsync(new ReplyStreamParams("b1", Chat(evt), "m1", "s", "late", false), default));
        var second = await Assert.ThrowsAsync<AdapterException>(() => bot.ReplyStreamAsync(new ReplyStreamParams("b1", Chat(evt), "m1", "s", " later", true), default));

        Assert.Equal(PlugboardErrorCodes.StreamExpired, first.Code);
        Assert.Equal(846608, first.Data!.Value.GetProperty("platformCode").GetInt32());
        Assert.Equal("stream message update expired", first.Data!.Value.GetProperty("platformMessage").GetString());
        Assert.Equal(PlugboardErrorCodes.StreamExpired, second.Code);
        Assert.Single(Simulator.RepliesTo(reqId));
    }

    [Fact]
    public async Task ReplyStream_UnknownMessage_StreamExpiredWithoutSending()
    {
        var bot = await _harness.StartLongBotAsync();

        var error = await Assert.ThrowsAsync<AdapterException>(() => bot.ReplyStreamAsync(new ReplyStreamParams("b1", new ChatTarget(ChatType.Person, "u"), "never-seen", "s", "x", false), default));

        Assert.Equal(PlugboardErrorCodes.StreamExpired, error.Code);
        Assert.Contains("never-seen", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Simulator.Frames, f => f.Cmd == "aibot_respond_msg");
    }

    [Fact]
    public async Task ManyReplies_AllDone_PerReqIdStateAndContextsRemoved()
    {
        var bot = await _harness.StartLongBotAsync(configure: c => c["replyWindowSeconds"] = 1);
        for (var i = 0; i < 20; i++)
        {
            await Simulator.PushMessageAsync(AdapterHarness.WeComBotId, Callbacks.Text("m" + i, "x"));
        }

        await AdapterHarness.WaitForAsync(() => _harness.Events.Count(e => e.Type == "message.received") == 20, "twenty messages");
        await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            var chat = new ChatTarget(ChatType.Person, "zhangsan");
            await bot.ReplyStreamAsync(new ReplyStreamParams("b1", chat, "m" + i, "s", "part ", false), default);
            await bot.ReplyStreamAsync(new ReplyStreamParams("b1", chat, "m" + i, "s", "end", true), default);
        }));

        Assert.Equal(0, bot.Connection!.TrackedRequestIds);
        Assert.Equal(0, bot.OpenStreamCount);
        Assert.Equal(20, bot.ContextCount);
        await AdapterHarness.WaitForAsync(() => bot.ContextCount == 0, "the reply window to pass and the contexts to be swept");
        Assert.Empty(Simulator.Violations);
    }

    private static ChatTarget Chat(EmittedEvent evt) => JsonSerializer.Deserialize(evt.Data.GetProperty("chat").GetRawText(), ContractsJsonContext.Default.ChatTarget)!;

    private static Regex ClientReqId(string prefix) => new($"^{prefix}_[0-9]{{13}}_[0-9a-f]{{8}}$");

    private Task<WeComAiBot> BotAsync() => Task.FromResult(_harness.Adapter.Get("b1"));
}
