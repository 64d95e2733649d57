using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Plugboard.Plugins.Tests.Infrastructure;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Plugins.Tests;

/// <summary>WebSocket clients → WebChat → runtime → Echo → back, with real processes and sockets.</summary>
public sealed class WebChatEchoTests(SharedChatHost shared) : IClassFixture<SharedChatHost>
{
    private PluginHost Host => shared.Host;

    private Uri Url => shared.ChatUrl;

    [Fact]
    public async Task Message_EchoBot_RepliesWithEchoText()
    {
        await using var client = await ChatClient.ConnectAsync(Url);

        var answer = await client.SayAsync("hello there");

        Assert.Equal("echo: hello there", answer.GetProperty("content").GetString());
        Assert.Equal("plain", answer.GetProperty("chain")[0].GetProperty("type").GetString());
        var routed = await client.WaitForAsync(f => ChatClient.Type(f) == "routed", "the routed acknowledgement");
        Assert.Equal("default", routed.GetProperty("rule").GetString());
        Assert.Contains(Host.Runtime.GetRecentEvents("chat"), e => e.Type == EventTypes.MessageReceived);
    }

    [Fact]
    public async Task StreamMessage_EchoBot_StreamsChunksThenFinalMarker()
    {
        await using var client = await ChatClient.ConnectAsync(Url);

        var final = await client.SayAsync("stream this reply please");

        var id = final.GetProperty("id").GetString();
        var chunks = client.Received.Where(f => ChatClient.Type(f) == "response" && f.GetProperty("data").GetProperty("id").GetString() == id).Select(f => f.GetProperty("data")).ToList();
        Assert.True(chunks.Count >= 4, $"expected one chunk per word, got {chunks.Count}");
        Assert.All(chunks[..^1], c => Assert.False(c.GetProperty("isFinal").GetBoolean()));
        Assert.True(chunks[^1].GetProperty("isFinal").GetBoolean());
        Assert.Single(chunks.Select(c => c.GetProperty("streamId").GetString()).Distinct());
        Assert.Equal("echo: stream this reply please", string.Concat(chunks.Select(c => c.GetProperty("delta").GetString())));
        Assert.Equal("echo: stream this reply please", final.GetProperty("content").GetString());
        Assert.Equal("echo: stream", chunks[1].GetProperty("content").GetString()!.TrimEnd());
    }

    [Fact]
    public async Task ManyConnections_ConcurrentMessages_EachGetsOnlyItsOwnEcho()
    {
        const int Connections = 40;
        var clients = await Task.WhenAll(Enumerable.Range(0, Connections).Select(_ => ChatClient.ConnectAsync(Url)));
        try
        {
            var answers = await Task.WhenAll(clients.Select((c, i) => Enumerable.Range(0, 3).Aggregate(
                Task.FromResult(new List<string>()),
                async (previous, round) =>
                {
                    var list = await previous;
                    list.Add((await c.SayAsync($"client {i} round {round}")).GetProperty("content").GetString()!);
                    return list;
                })));

            for (var i = 0; i < Connections; i++)
            {
                Assert.Equal([$"echo: client {i} round 0", $"echo: client {i} round 1", $"echo: client {i} round 2"], answers[i]);
                var foreign = clients[i].Received.Where(f => ChatClient.Type(f) == "response").Select(f => f.GetProperty("data").GetProperty("content").GetString()).Where(t => !t!.StartsWith($"echo: client {i} ", StringComparison.Ordinal));
                Assert.Empty(foreign);
            }
        }
        finally
        {
            await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask()));
        }
    }

    [Fact]
    public async Task GroupSession_TwoMembers_BothSeeTheMessageAndTheReply()
    {
        var group = "g-" + Guid.NewGuid().ToString("N")[..6];
        await using var alice = await ChatClient.ConnectAsync(Url, "group", user: "alice", group: group, name: "Alice");
        await using var bob = await ChatClient.ConnectAsync(Url, "group", user: "bob", group: group, name: "Bob");

        var answer = await alice.SayAsync("hi group");

        Assert.Equal("echo: hi group", answer.GetProperty("content").GetString());
        var seen = await bob.WaitForAsync(f => ChatClient.Type(f) == "message" && f.GetProperty("message").GetProperty("text").GetString() == "hi group", "alice's message at bob");
        Assert.Equal("Alice", seen.GetProperty("message").GetProperty("sender").GetProperty("name").GetString());
        await bob.WaitForAsync(f => ChatClient.Type(f) == "response" && f.GetProperty("data").GetProperty("content").GetString() == "echo: hi group", "the echo at bob");
        await alice.WaitForAsync(f => ChatClient.Type(f) == "routed", "the routed acknowledgement");
        Assert.DoesNotContain(bob.Received, f => ChatClient.Type(f) == "routed");
        var received = Host.Runtime.GetRecentEvents("chat").Last(e => e.Type == EventTypes.MessageReceived);
        Assert.Equal("default", received.Rule);
    }

    [Fact]
    public async Task PersonSessions_DifferentUsers_DoNotSeeEachOther()
    {
        await using var carol = await ChatClient.ConnectAsync(Url, user: "carol-" + Guid.NewGuid().ToString("N")[..6]);
        await using var dave = await ChatClient.ConnectAsync(Url, user: "dave-" + Guid.NewGuid().ToString("N")[..6]);

        await carol.SayAsync("secret of carol");
        await dave.SayAsync("dave here");

        Assert.DoesNotContain(dave.Received, f => f.GetRawText().Contains("secret of carol", StringComparison.Ordinal));
    }

    [Fact]
    public async Task History_Reconnect_ReturnsTheConversationAndResetClearsIt()
    {
        var user = "hist-" + Guid.NewGuid().ToString("N")[..6];
        await using (var first = await ChatClient.ConnectAsync(Url, user: user))
        {
            await first.SayAsync("one");
            await first.SayAsync("two");
        }

        await using var second = await ChatClient.ConnectAsync(Url, user: user);
        var history = await second.WaitForAsync(f => ChatClient.Type(f) == "history", "the history frame");
        Assert.Equal(["one", "echo: one", "two", "echo: two"], history.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("text").GetString()));
        Assert.Equal(["user", "assistant", "user", "assistant"], history.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("role").GetString()));

        await second.SendJsonAsync("""{"type":"reset"}""");
        var reset = await second.WaitForAsync(f => ChatClient.Type(f) == "reset", "the reset frame");
        Assert.Equal(4, reset.GetProperty("cleared").GetInt32());
        await second.SendJsonAsync("""{"type":"history"}""");
        var empty = await second.WaitForAsync(f => ChatClient.Type(f) == "history", "the history after reset");
        Assert.Equal(0, empty.GetProperty("messages").GetArrayLength());
        await PollAsync(() => Host.Runtime.GetRecentEvents("chat").Any(e => e.Type == "platform.webchat.session_reset"), "the session_reset event");
    }

    [Fact]
    public async Task HttpApi_HistoryAndReset_WorkOverHttp()
    {
        var user = "http-" + Guid.NewGuid().ToString("N")[..6];
        await using (var client = await ChatClient.ConnectAsync(Url, user: user))
        {
            await client.SayAsync("over http");
        }

        using var http = new HttpClient { BaseAddress = Url };
        var history = await http.GetFromJsonAsync<JsonElement>($"api/sessions/person/{user}/messages");
        Assert.Equal(["over http", "echo: over http"], history.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("text").GetString()));

        using var reset = await http.PostAsync($"api/sessions/person/{user}/reset", null);
        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        var after = await http.GetFromJsonAsync<JsonElement>($"api/sessions/person/{user}/messages");
        Assert.Equal(0, after.GetProperty("messages").GetArrayLength());
        var page = await http.GetStringAsync("/");
        Assert.Contains("<script src=\"app.js\">", page, StringComparison.Ordinal);
        var info = await http.GetFromJsonAsync<JsonElement>("api/info");
        Assert.False(info.GetProperty("tokenRequired").GetBoolean());
    }

    [Fact]
    public async Task Ping_IsAnsweredWithPong()
    {
        await using var client = await ChatClient.ConnectAsync(Url);

        await client.SendJsonAsync("""{"type":"ping","id":"p1"}""");

        var pong = await client.WaitForAsync(f => ChatClient.Type(f) == "pong", "the pong");
        Assert.Equal("p1", pong.GetProperty("id").GetString());
    }

    [Fact]
    public async Task BadFrames_GetClearErrors_AndTheConnectionKeepsWorking()
    {
        await using var client = await ChatClient.ConnectAsync(Url);

        await client.SendJsonAsync("{not json");
        var notJson = await client.WaitForAsync(f => ChatClient.Type(f) == "error", "the bad_frame error");
        await client.SendJsonAsync("""{"type":"dance"}""");
        var unknown = await client.WaitForAsync(f => ChatClient.Type(f) == "error", "the unknown_type error");
        await client.SendJsonAsync("""{"type":"message","message":[]}""");
        var empty = await client.WaitForAsync(f => ChatClient.Type(f) == "error", "the empty_message error");
        await client.SendJsonAsync("""{"type":"message","message":[{"type":"hologram"}]}""");
        var badChain = await client.WaitForAsync(f => ChatClient.Type(f) == "error", "the bad_message error");
        await client.SendTextAsync(new string('x', 70_000));
        var tooLarge = await client.WaitForAsync(f => ChatClient.Type(f) == "error", "the too_large error");

        Assert.Equal("bad_frame", notJson.GetProperty("code").GetString());
        Assert.Equal("unknown_type", unknown.GetProperty("code").GetString());
        Assert.Equal("empty_message", empty.GetProperty("code").GetString());
        Assert.Equal("bad_message", badChain.GetProperty("code").GetString());
        Assert.Equal("too_large", tooLarge.GetProperty("code").GetString());
        Assert.Contains("65536", tooLarge.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("echo: still alive", (await client.SayAsync("still alive")).GetProperty("content").GetString());
    }

    [Fact]
    public async Task ChainInAnchorSpelling_PlainWithCapital_IsAccepted()
    {
        await using var client = await ChatClient.ConnectAsync(Url);

        await client.SendJsonAsync("""{"type":"message","message":[{"text":"capital","type":"Plain"}]}""");

        await client.WaitForAsync(f => ChatClient.Type(f) == "response" && f.GetProperty("data").GetProperty("content").GetString() == "echo: capital", "the echo");
    }

    [Fact]
    public async Task BotCall_Capabilities_AndPlatformActions()
    {
        await using var client = await ChatClient.ConnectAsync(Url);

        var capabilities = Host.Runtime.GetBotCapabilities("chat");
        var connections = await Host.Runtime.CallBotAsync("chat", AdapterApis.CallPlatformApi, PluginHost.Json("""{"action":"connections","params":{}}"""));
        var broadcast = await Host.Runtime.CallBotAsync("chat", AdapterApis.CallPlatformApi, PluginHost.Json("""{"action":"broadcast","params":{"text":"maintenance at noon"}}"""));
        var notice = await client.WaitForAsync(f => ChatClient.Type(f) == "broadcast", "the broadcast notice");
        var unsupported = await Assert.ThrowsAsync<JsonRpcException>(() => Host.Runtime.CallBotAsync("chat", AdapterApis.Edit, PluginHost.Json("{}")));
        var unknownAction = await Assert.ThrowsAsync<JsonRpcException>(() => Host.Runtime.CallBotAsync("chat", AdapterApis.CallPlatformApi, PluginHost.Json("""{"action":"teleport","params":{}}""")));

        Assert.Equal(["send", "reply", "replyStream", "callPlatformApi"], capabilities.Apis);
        Assert.Contains("broadcast", capabilities.Actions);
        Assert.Contains(connections.GetProperty("connections").EnumerateArray(), c => c.GetProperty("connectionId").GetString() == client.Connected.GetProperty("connectionId").GetString());
        Assert.True(broadcast.GetProperty("delivered").GetInt32() >= 1);
        Assert.Equal("maintenance at noon", notice.GetProperty("message").GetString());
        Assert.Equal(PlugboardErrorCodes.AdapterNotSupported, unsupported.Code);
        Assert.Equal(PlugboardErrorCodes.AdapterNotSupported, unknownAction.Code);
    }

    [Fact]
    public async Task Send_ThroughBot_ReachesThePersonSession()
    {
        await using var client = await ChatClient.ConnectAsync(Url);
        var target = JsonSerializer.Serialize(new { target = new { type = "person", id = client.UserId }, chain = new[] { new { type = "plain", text = "a message from the bot" } } });

        var result = await Host.Runtime.CallBotAsync("chat", AdapterApis.Send, PluginHost.Json(target));

        var frame = await client.WaitForAsync(f => ChatClient.Type(f) == "response", "the sent message");
        Assert.Equal("a message from the bot", frame.GetProperty("data").GetProperty("content").GetString());
        Assert.False(frame.GetProperty("data").TryGetProperty("replyTo", out _));
        Assert.Equal(frame.GetProperty("data").GetProperty("id").GetString(), result.GetProperty("messageId").GetString());
    }

    [Fact]
    public async Task EchoToolAndCommand_ThroughRuntime_Answer()
    {
        var tool = await Host.Runtime.InvokeToolAsync(PluginHost.Echo + "/echo", PluginHost.Json("""{"text":"tool call"}"""));
        var command = await Host.Runtime.ExecuteCommandAsync("echo", ["command", "call"]);

        Assert.Equal("echo: tool call", tool.GetProperty("text").GetString());
        Assert.Equal(0, command.ExitCode);
        Assert.Equal("echo: command call", command.Output?.Trim());
    }

    private static async Task PollAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(50);
        }
    }
}
