using System.Text.Json;
using System.Text.Json.Nodes;
using Plugboard.Plugins.QQBot.Gateway;
using Plugboard.Plugins.QQBot.Tests.Infrastructure;
using Plugboard.Plugins.QQBot.Tests.Simulator;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Plugins.QQBot.Tests;

/// <summary>Several bots in one adapter: isolated tokens, sessions, replies and logs.</summary>
public sealed class MultiBotTests : IAsyncLifetime
{
    private const string OtherAppId = "102099999";
    private const string OtherSecret = "Zq8vB3n1X0yTfKpL";
    private AdapterHarness _harness = null!;

    private SimApp A => _harness.Simulator.App(AdapterHarness.AppId);

    private SimApp B => _harness.Simulator.App(OtherAppId);

    public async Task InitializeAsync()
    {
        _harness = await AdapterHarness.StartAsync();
        _harness.Simulator.AddApp(OtherAppId, OtherSecret);
        await _harness.StartBotAsync("bot-a");
        await _harness.StartBotAsync("bot-b", OtherAppId, OtherSecret);
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task TwoBots_EventsTaggedWithTheirBotAndTokensAndSessionsSeparate()
    {
        await A.PushAsync("C2C_MESSAGE_CREATE", Frames.C2C("to a"));
        await B.PushAsync("C2C_MESSAGE_CREATE", Frames.C2C("to b"));
        var events = await _harness.Sink.WaitForAsync(e => e.Type == EventTypes.MessageReceived, 2, "both messages");

        Assert.Equal("to a", Text(events.Single(e => e.BotId == "bot-a")));
        Assert.Equal("to b", Text(events.Single(e => e.BotId == "bot-b")));
        Assert.NotEqual(A.CurrentTokenForTests(), B.CurrentTokenForTests());
        Assert.NotEqual(A.SessionId, B.SessionId);
        Assert.Equal(A.SessionId, _harness.Bot("bot-a").Gateway.Status.SessionId);
        Assert.Equal(B.SessionId, _harness.Bot("bot-b").Gateway.Status.SessionId);
        Assert.Equal("QQBot " + A.CurrentTokenForTests(), A.ClientFrames(2).Single().Frame["d"]!["token"]!.GetValue<string>());
        Assert.Equal("QQBot " + B.CurrentTokenForTests(), B.ClientFrames(2).Single().Frame["d"]!["token"]!.GetValue<string>());
    }

    [Fact]
    public async Task TwoBots_ReplyThroughTheOtherBot_RejectedByThePlatform()
    {
        await A.PushAsync("C2C_MESSAGE_CREATE", Frames.C2C("for a only", id: "ROBOT1.0_a1"));
        var received = await _harness.Sink.WaitForOneAsync(e => e.BotId == "bot-a" && e.Type == EventTypes.MessageReceived, "a's message");
        var message = received.Data.Deserialize(ContractsJsonContext.Default.MessageEventData)!;

        var error = await Assert.ThrowsAsync<JsonRpcException>(() => _harness.Adapter.ReplyAsync(new ReplyParams("bot-b", message.Chat, message.MessageId, [new PlainComponent("wrong bot")]), CancellationToken.None));
        await _harness.Adapter.ReplyAsync(new ReplyParams("bot-a", message.Chat, message.MessageId, [new PlainComponent("right bot")]), CancellationToken.None);

        Assert.Equal("replyTargetInvalid", error.Data!.Value.GetProperty("kind").GetString());
        Assert.Equal("bot-b", error.Data!.Value.GetProperty("bot").GetString());
        var accepted = _harness.Simulator.Requests.Single(r => r.Path.EndsWith("/messages", StringComparison.Ordinal) && r.Status == 200);
        Assert.Equal(AdapterHarness.AppId, accepted.AppId);
        Assert.Equal(1, accepted.Body!["msg_seq"]!.GetValue<int>());
    }

    [Fact]
    public async Task TwoBots_OneSessionDrops_OtherUntouched()
    {
        var bConnections = B.Frames.Select(f => f.Connection).Distinct().Count();

        await A.CloseAsync(4009, "Session timed out");
        await QQSimulator.WaitUntilAsync(() => A.Resumes == 1 && A.IsConnected, "a's resume");
        await B.PushAsync("C2C_MESSAGE_CREATE", Frames.C2C("b still here"));
        await _harness.Sink.WaitForOneAsync(e => e.BotId == "bot-b", "b's message");

        Assert.Equal(bConnections, B.Frames.Select(f => f.Connection).Distinct().Count());
        Assert.Equal(0, B.Resumes);
        Assert.Equal(GatewayState.Ready, _harness.Bot("bot-b").Gateway.Status.State);
    }

    [Fact]
    public async Task TwoBots_LogLinesTaggedWithTheirAppId()
    {
        await A.PushAsync("C2C_MESSAGE_CREATE", Frames.C2C("log a"));
        await B.PushAsync("C2C_MESSAGE_CREATE", Frames.C2C("log b"));
        await _harness.Sink.WaitForAsync(e => e.Type == EventTypes.MessageReceived, 2, "both messages");

        var lines = _harness.Loggers.Entries.Where(e => e.Category == "Plugboard.Plugins.QQBot").Select(e => e.Message).ToList();
        Assert.All(lines, line => Assert.Matches(@"^\[QQBot:(102056411|102099999)\] ", line));
        Assert.Contains(lines, line => line.StartsWith("[QQBot:102099999] READY", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("[QQBot:102056411] READY", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SameAppTwice_SecondBotRejected()
    {
        var error = await Assert.ThrowsAsync<JsonRpcException>(() => _harness.StartBotAsync("bot-c"));

        Assert.Equal(PlugboardErrorCodes.BotInvalid, error.Code);
        Assert.Contains("bot-a already serves QQ app 102056411", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_InvalidConfig_ListsEveryProblem()
    {
        var error = await Assert.ThrowsAsync<JsonRpcException>(() => _harness.Adapter.StartAsync(new AdapterStartParams("bad", "qqbot", JsonSerializer.SerializeToElement(new JsonObject
        {
            ["appId"] = "not-digits",
            ["intents"] = new JsonArray("groupAndC2C", "telepathy"),
            ["apiBaseUrl"] = "ftp://x",
            ["shardId"] = 2,
            ["shardCount"] = 1,
        })), CancellationToken.None));

        Assert.Equal(PlugboardErrorCodes.ConfigInvalid, error.Code);
        var errors = error.Data!.Value.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Contains(errors, e => e.StartsWith("appId:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("clientSecret:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("\"telepathy\"", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("apiBaseUrl:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("shardId:", StringComparison.Ordinal));
    }

    private static string? Text(EmittedEvent e) => e.Data.GetProperty("chain")[1].GetProperty("text").GetString();
}
