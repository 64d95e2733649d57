using System.Text.Json.Nodes;
using Plugboard.Plugins.QQBot.Gateway;
using Plugboard.Plugins.QQBot.Tests.Infrastructure;
using Plugboard.Plugins.QQBot.Tests.Simulator;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Plugins.QQBot.Tests;

/// <summary>The gateway session against the QQ platform simulator (the real platform is unreachable from here).</summary>
public sealed class GatewayTests : IAsyncLifetime
{
    private AdapterHarness _harness = null!;

    private QQSimulator Sim => _harness.Simulator;

    private SimApp App => Sim.App(AdapterHarness.AppId);

    public async Task InitializeAsync() => _harness = await AdapterHarness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task StartAsync_Hello_SendsExactIdentifyAndBecomesReady()
    {
        await _harness.StartBotAsync();

        var identify = Assert.Single(App.ClientFrames(2)).Frame;
        var d = identify["d"]!.AsObject();
        Assert.Equal("QQBot " + App.CurrentTokenForTests(), d["token"]!.GetValue<string>());
        Assert.Equal(1107300352, d["intents"]!.GetValue<int>());
        Assert.Equal("[0,1]", d["shard"]!.ToJsonString());
        Assert.Equal(GatewayState.Ready, _harness.Bot().Gateway.Status.State);
        Assert.Equal(App.SessionId, _harness.Bot().Gateway.Status.SessionId);
        Assert.Contains(Sim.Requests, r => r.Path == "/gateway/bot" && r.Authorization == "QQBot " + App.CurrentTokenForTests());
    }

    [Fact]
    public async Task Heartbeat_AfterEvents_CarriesLastSequence()
    {
        await _harness.StartBotAsync();

        var seq = await App.PushAsync("C2C_MESSAGE_CREATE", Frames.C2C("hi"));
        await QQSimulator.WaitUntilAsync(() => App.ClientFrames(1).Any(f => f.Frame["d"]?.GetValue<long>() == seq), "a heartbeat carrying the pushed sequence");

        var heartbeats = App.ClientFrames(1);
        Assert.All(heartbeats, h => Assert.True(h.Frame["d"] is null || h.Frame["d"]!.GetValue<long>() >= 1));
        Assert.Contains(App.Frames, f => !f.FromClient && f.Op == 11);
    }

    [Fact]
    public async Task Reconnect_Op7_ResumesWithSessionAndSeqAndDeliversMissedEventsOnce()
    {
        await _harness.StartBotAsync();
        var sessionId = App.SessionId;
        var first = await App.PushAsync("C2C_MESSAGE_CREATE", Frames.C2C("one"));
        await _harness.Sink.WaitForAsync(e => e.Type == EventTypes.MessageReceived, 1, "the first message");

        await App.SendReconnectAsync();
        await App.PushAsync("C2C_MESSAGE_CREATE", Frames.C2C("two"));
        await App.PushAsync("C2C_MESSAGE_CREATE", Frames.C2C("three"));
        await QQSimulator.WaitUntilAsync(() => App.Resumes == 1 && App.IsConnected, "the resume");
        await _harness.Sink.WaitForAsync(e => e.Type == EventTypes.MessageReceived, 3, "all three messages");

        var resume = Assert.Single(App.ClientFrames(6)).Frame["d"]!.AsObject();
        Assert.Equal(sessionId, resume["session_id"]!.GetValue<string>());
        Assert.True(resume["seq"]!.GetValue<long>() >= first);
        Assert.StartsWith("QQBot ", resume["token"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(1, App.Identifies);
        Assert.Equal(["one", "two", "three"], Texts());
    }

    [Fact]
    public async Task Close4009_ResumesTheSession()
    {
        await _harness.StartBotAsync();

        await App.CloseAsync(4009, "Session timed out");
        await App.PushAsync("GROUP_AT_MESSAGE_CREATE", Frames.Group(" after the close"));

        await _harness.Sink.WaitForOneAsync(e => e.Type == EventTypes.MessageReceived, "the replayed message");
        Assert.Equal(1, App.Resumes);
        Assert.Equal(1, App.Identifies);
        Assert.Equal(4009, _harness.Bot().Gateway.Status.LastCloseCode);
    }

    [Fact]
    public async Task DroppedConnection_WithoutCloseFrame_ResumesAndReplays()
    {
        await _harness.StartBotAsync();

        App.DropConnection();
        await App.PushAsync("C2C_MESSAGE_CREATE", Frames.C2C("while down"));

        await _harness.Sink.WaitForOneAsync(e => e.Type == EventTypes.MessageReceived, "the replayed message");
        Assert.Equal(1, App.Resumes);
        Assert.Equal(["while down"], Texts());
    }

    [Fact]
    public async Task MissingHeartbeatAcks_ConnectionTreatedAsDead_ResumesOnNewConnection()
    {
        await _harness.StartBotAsync();

        App.StopAcking = true;
        await QQSimulator.WaitUntilAsync(() => Sim.Connections >= 2, "a new connection after the missed ACK");
        App.StopAcking = false;
        await QQSimulator.WaitUntilAsync(() => App.Resumes >= 1 && App.IsConnected, "the resume");

        Assert.Equal(1, App.Identifies);
        Assert.Contains(_harness.Loggers.Entries, e => e.Message.Contains("No heartbeat ACK", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DuplicateDeliveries_SameFrameAndSameMessageId_DeliveredOnce()
    {
        await _harness.StartBotAsync();
        var message = Frames.C2C("only once");

        await App.PushAsync("C2C_MESSAGE_CREATE", message, duplicate: true);
        await App.PushAsync("C2C_MESSAGE_CREATE", message);
        await App.PushAsync("C2C_MESSAGE_CREATE", Frames.C2C("marker"));
        await _harness.Sink.WaitForAsync(e => e.Type == EventTypes.MessageReceived, 2, "the marker");

        Assert.Equal(["only once", "marker"], Texts());
        Assert.Equal(2, _harness.Bot().Gateway.Status.DuplicatesDropped);
    }

    [Fact]
    public async Task InvalidSession_Op9Then4903_DropsSessionAndIdentifiesAgain()
    {
        await _harness.StartBotAsync();
        var oldSession = App.SessionId;

        await App.InvalidSessionAsync(4903);
        await QQSimulator.WaitUntilAsync(() => App.Identifies == 2 && App.IsConnected && _harness.Bot().Gateway.Status.SessionId == App.SessionId, "a fresh Identify and READY");

        Assert.NotEqual(oldSession, App.SessionId);
        Assert.Equal(0, App.Resumes);
    }

    [Fact]
    public async Task InvalidSession_ObjectForm_IdentifiesAgain()
    {
        await using var harness = await AdapterHarness.StartAsync(new QQSimulatorOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(1000), InvalidSessionAsObject = true });
        await harness.StartBotAsync();

        await harness.Simulator.App(AdapterHarness.AppId).InvalidSessionAsync(null);
        await QQSimulator.WaitUntilAsync(() => harness.Simulator.App(AdapterHarness.AppId).Identifies == 2, "a fresh Identify");
    }

    [Theory]
    [InlineData(4006)]
    [InlineData(4007)]
    [InlineData(4900)]
    [InlineData(4913)]
    public async Task Close_ReidentifyCodes_IdentifiesWithNewSession(int code)
    {
        await _harness.StartBotAsync();

        await App.CloseAsync(code, "re-identify please");
        await QQSimulator.WaitUntilAsync(() => App.Identifies == 2 && App.IsConnected, "a fresh Identify");

        Assert.Equal(0, App.Resumes);
    }

    [Theory]
    [InlineData(4001, "invalid opcode")]
    [InlineData(4010, "invalid shard")]
    [InlineData(4013, "invalid intent")]
    [InlineData(4014, "intent not authorized")]
    [InlineData(4914, "sandbox")]
    [InlineData(4915, "banned")]
    public async Task Close_FatalCodeAfterReady_StopsWithClearErrorAndEvent(int code, string meaning)
    {
        await _harness.StartBotAsync();

        await App.CloseAsync(code, "fatal");
        var stopped = await _harness.Sink.WaitForOneAsync(e => e.Type == "platform.qqbot.gateway_stopped", "the gateway_stopped event");

        var status = _harness.Bot().Gateway.Status;
        Assert.Equal(GatewayState.Failed, status.State);
        Assert.Contains(code.ToString(System.Globalization.CultureInfo.InvariantCulture), status.LastError, StringComparison.Ordinal);
        Assert.Contains(meaning, status.LastError, StringComparison.Ordinal);
        Assert.Contains("will not reconnect", status.LastError, StringComparison.Ordinal);
        Assert.Equal(code, stopped.Data.GetProperty("closeCode").GetInt32());
        await Task.Delay(300);
        Assert.Equal(1, Sim.Connections);
    }

    [Fact]
    public async Task StartAsync_BannedBot_FailsNamingCode4915()
    {
        App.Banned = true;

        var error = await Assert.ThrowsAsync<JsonRpcException>(() => _harness.StartBotAsync());

        Assert.Equal(PlugboardErrorCodes.PlatformError, error.Code);
        Assert.Contains("4915 (bot is banned)", error.Message, StringComparison.Ordinal);
        Assert.Equal("gatewayStopped", error.Data!.Value.GetProperty("kind").GetString());
        Assert.Equal(4915, error.Data!.Value.GetProperty("closeCode").GetInt32());
        Assert.Null(_harness.Adapter.Find("qq1"));
    }

    [Fact]
    public async Task StartAsync_UnauthorizedIntents_StopsAfterRepeatedInvalidSessionNamingIntents()
    {
        App.AllowedIntents = 1 << 30;

        var error = await Assert.ThrowsAsync<JsonRpcException>(() => _harness.StartBotAsync());

        Assert.Contains("rejected Identify", error.Message, StringComparison.Ordinal);
        Assert.Contains("1107300352", error.Message, StringComparison.Ordinal);
        Assert.Contains("4903", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, App.ClientFrames(2).Count);
    }

    [Fact]
    public async Task StartAsync_UnauthorizedIntentsDocumentedClose4014_StopsAtOnce()
    {
        await using var harness = await AdapterHarness.StartAsync(new QQSimulatorOptions { UnauthorizedIntentsCloseCode = 4014 });
        harness.Simulator.App(AdapterHarness.AppId).AllowedIntents = 1 << 30;

        var error = await Assert.ThrowsAsync<JsonRpcException>(() => harness.StartBotAsync());

        Assert.Contains("4014 (intent not authorized)", error.Message, StringComparison.Ordinal);
        Assert.Contains("intents are 1107300352", error.Message, StringComparison.Ordinal);
        Assert.Single(harness.Simulator.App(AdapterHarness.AppId).ClientFrames(2));
    }

    [Fact]
    public async Task Close4004_FetchesNewTokenAndReconnects()
    {
        await _harness.StartBotAsync();
        var before = App.TokenRequests;

        await App.CloseAsync(4004, "authentication fail");
        await QQSimulator.WaitUntilAsync(() => App.TokenRequests > before && App.IsConnected && Sim.Connections == 2, "a token refresh and a new connection");
    }

    [Fact]
    public async Task GatewayDown_MaxReconnectAttempts_GivesUpWithClearError()
    {
        await _harness.StartBotAsync(extra: new JsonObject { ["maxReconnectAttempts"] = 2 });
        Sim.RefuseGatewayConnections = true;

        await App.CloseAsync(4009, "Session timed out");
        var stopped = await _harness.Sink.WaitForOneAsync(e => e.Type == "platform.qqbot.gateway_stopped", "the gateway to give up");

        Assert.Contains("gave up after 2 consecutive failed reconnects", stopped.Data.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(GatewayState.Failed, _harness.Bot().Gateway.Status.State);
    }

    [Fact]
    public async Task StartAsync_SessionStartLimitExhausted_WaitsForResetThenIdentifies()
    {
        await using var harness = await AdapterHarness.StartAsync(new QQSimulatorOptions { SessionStartRemaining = 0, SessionStartResetAfterMs = 300 });

        await harness.StartBotAsync();

        var log = harness.Loggers.Entries.Select(e => e.Message).ToList();
        var waited = log.FindIndex(m => m.Contains("Session-start limit reached (1000 per day); waiting", StringComparison.Ordinal));
        var identified = log.FindIndex(m => m.Contains("Identify with intents", StringComparison.Ordinal));
        Assert.InRange(waited, 0, identified - 1);
        Assert.Equal(GatewayState.Ready, harness.Bot().Gateway.Status.State);
    }

    [Fact]
    public void Backoff_GrowsExponentiallyWithJitterUpToTheCeiling()
    {
        var baseDelay = TimeSpan.FromSeconds(1);
        var ceiling = TimeSpan.FromSeconds(60);

        for (var failures = 1; failures <= 30; failures++)
        {
            var expected = Math.Min(60_000, 1000 * Math.Pow(2, failures - 1));
            for (var i = 0; i < 50; i++)
            {
                var delay = GatewayClient.ComputeBackoff(failures, baseDelay, ceiling).TotalMilliseconds;
                Assert.InRange(delay, expected / 2, expected);
            }
        }
    }

    private List<string> Texts() => [.. _harness.Sink.Events
        .Where(e => e.Type == EventTypes.MessageReceived)
        .Select(e => e.Data.GetProperty("chain").EnumerateArray().First(c => c.GetProperty("type").GetString() == "plain").GetProperty("text").GetString()!)];
}
