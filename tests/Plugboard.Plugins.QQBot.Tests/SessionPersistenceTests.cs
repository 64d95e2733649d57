using System.Text.Json.Nodes;
using Plugboard.Plugins.QQBot.Tests.Infrastructure;
using Plugboard.Plugins.QQBot.Tests.Simulator;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Plugins.QQBot.Tests;

/// <summary>Gateway sessions persisted across adapter restarts (the store stands in for plugin storage).</summary>
public sealed class SessionPersistenceTests : IAsyncLifetime
{
    private AdapterHarness _harness = null!;

    private SimApp App => _harness.Simulator.App(AdapterHarness.AppId);

    public async Task InitializeAsync() => _harness = await AdapterHarness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task Restart_FreshStoredSession_ResumesAndDeliversMissedEventsExactlyOnce()
    {
        await _harness.StartBotAsync();
        var session = App.SessionId;
        await App.PushAsync("C2C_MESSAGE_CREATE", Frames.C2C("before"));
        await _harness.Sink.WaitForOneAsync(e => e.Type == EventTypes.MessageReceived, "the first message");

        await _harness.RestartAdapterAsync();
        var stored = await _harness.Sessions.LoadAsync("qq1", CancellationToken.None);
        await App.PushAsync("C2C_MESSAGE_CREATE", Frames.C2C("while restarting"));
        await _harness.StartBotAsync();
        await _harness.Sink.WaitForAsync(e => e.Type == EventTypes.MessageReceived, 2, "the missed message");

        Assert.Equal(session, stored!.SessionId);
        Assert.Equal(AdapterHarness.AppId, stored.AppId);
        Assert.Equal(1, App.Identifies);
        var resume = Assert.Single(App.ClientFrames(6)).Frame["d"]!;
        Assert.Equal(session, resume["session_id"]!.GetValue<string>());
        Assert.Equal(stored.Seq, resume["seq"]!.GetValue<long>());
        Assert.Equal(["before", "while restarting"], _harness.Sink.Events.Where(e => e.Type == EventTypes.MessageReceived).Select(e => e.Data.GetProperty("chain")[1].GetProperty("text").GetString()));
    }

    [Fact]
    public async Task Restart_StoredSessionTooOld_IdentifiesInstead()
    {
        await _harness.StartBotAsync();
        await App.PushAsync("C2C_MESSAGE_CREATE", Frames.C2C("before"));
        await _harness.Sink.WaitForOneAsync(e => e.Type == EventTypes.MessageReceived, "the first message");

        await _harness.RestartAdapterAsync();
        _harness.Time.Advance(TimeSpan.FromMinutes(10));
        await _harness.StartBotAsync();

        Assert.Equal(2, App.Identifies);
        Assert.Empty(App.ClientFrames(6));
        Assert.Contains(_harness.Loggers.Entries, e => e.Message.Contains("not resumed: it is 600 s old", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Restart_IntentsChanged_IdentifiesInstead()
    {
        await _harness.StartBotAsync();
        await App.PushAsync("C2C_MESSAGE_CREATE", Frames.C2C("before"));
        await _harness.Sink.WaitForOneAsync(e => e.Type == EventTypes.MessageReceived, "the first message");

        await _harness.RestartAdapterAsync();
        await _harness.StartBotAsync(extra: new JsonObject { ["intents"] = new JsonArray("groupAndC2C", "interaction") });

        Assert.Equal(2, App.Identifies);
        Assert.Contains(_harness.Loggers.Entries, e => e.Message.Contains("the intents changed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Restart_SessionGoneOnServer_InvalidSessionThenIdentify()
    {
        await _harness.StartBotAsync();
        await App.PushAsync("C2C_MESSAGE_CREATE", Frames.C2C("before"));
        await _harness.Sink.WaitForOneAsync(e => e.Type == EventTypes.MessageReceived, "the first message");
        await _harness.RestartAdapterAsync();
        var stored = await _harness.Sessions.LoadAsync("qq1", CancellationToken.None);
        await _harness.Sessions.SaveAsync("qq1", stored! with { SessionId = "no-such-session" }, CancellationToken.None);

        await _harness.StartBotAsync();
        await QQSimulator.WaitUntilAsync(() => App.Identifies == 2 && App.IsConnected, "a fresh Identify");
        await QQSimulator.WaitUntilAsync(() => _harness.Sessions.LoadAsync("qq1", CancellationToken.None).Result?.SessionId == App.SessionId, "the new session to be stored");

        Assert.Single(App.ClientFrames(6));
    }

    [Fact]
    public async Task InvalidSession_DeletesTheStoredSession()
    {
        await _harness.StartBotAsync();
        await App.PushAsync("C2C_MESSAGE_CREATE", Frames.C2C("x"));
        await _harness.Sink.WaitForOneAsync(e => e.Type == EventTypes.MessageReceived, "the message");
        var first = App.SessionId;

        await App.InvalidSessionAsync(4903);
        await QQSimulator.WaitUntilAsync(() => App.Identifies == 2 && App.IsConnected, "a fresh Identify");
        await QQSimulator.WaitUntilAsync(() => _harness.Sessions.LoadAsync("qq1", CancellationToken.None).Result?.SessionId == App.SessionId, "the new session to be stored");

        Assert.NotEqual(first, App.SessionId);
    }

    [Fact]
    public async Task Stop_SavesTheLastDeliveredSequence()
    {
        await _harness.StartBotAsync();
        var seq = await App.PushAsync("C2C_MESSAGE_CREATE", Frames.C2C("x"));
        await _harness.Sink.WaitForOneAsync(e => e.Type == EventTypes.MessageReceived, "the message");

        await _harness.Adapter.StopAsync("qq1");

        var stored = await _harness.Sessions.LoadAsync("qq1", CancellationToken.None);
        Assert.Equal(seq, stored!.Seq);
        Assert.Contains(stored.RecentEventIds, id => id.StartsWith("e:C2C_MESSAGE_CREATE:", StringComparison.Ordinal));
        Assert.Equal((int)Configuration.QQIntents.Default, stored.Intents);
    }
}
