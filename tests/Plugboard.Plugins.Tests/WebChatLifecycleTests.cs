using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using Plugboard.Plugins.Tests.Infrastructure;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Runtime.Bots;

namespace Plugboard.Plugins.Tests;

/// <summary>Configuration validation, tokens, crash recovery and the default bot, each with a runtime of its own.</summary>
public sealed class WebChatLifecycleTests
{
    private const string Token = "0123456789abcdef0123";

    [Fact]
    public async Task AddBot_BeyondLoopbackWithoutToken_FailsWithAClearConfigError()
    {
        await using var host = await PluginHost.StartAsync();

        var status = await host.Runtime.AddBotAsync(new BotDefinition("open", "Open", PluginHost.WebChat, "webchat", PluginHost.Json("""{"host":"0.0.0.0"}""")));

        Assert.Equal("Failed", status.State);
        Assert.Contains("token", status.LastError, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1", status.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddBot_ShortTokenOrBadHost_FailsNamingTheField()
    {
        await using var host = await PluginHost.StartAsync();

        var shortToken = await host.Runtime.AddBotAsync(new BotDefinition("short", "Short", PluginHost.WebChat, "webchat", PluginHost.Json("""{"token":"abc"}""")));
        var badHost = await host.Runtime.AddBotAsync(new BotDefinition("badhost", "Bad host", PluginHost.WebChat, "webchat", PluginHost.Json("""{"host":"chat.example.com","token":"0123456789abcdef0123"}""")));

        Assert.Equal("Failed", shortToken.State);
        Assert.Contains("at least 16", shortToken.LastError, StringComparison.Ordinal);
        Assert.Equal("Failed", badHost.State);
        Assert.Contains("not an IP address", badHost.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddBot_PortInUse_FailsSayingToPickAnotherPort()
    {
        await using var host = await PluginHost.StartAsync();
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;

        var status = await host.Runtime.AddBotAsync(new BotDefinition("busy", "Busy", PluginHost.WebChat, "webchat", PluginHost.Json($$"""{"port":{{port}}}""")));

        Assert.Equal("Failed", status.State);
        Assert.Contains("Pick another port", status.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TokenBot_SocketAndApi_RequireTheToken()
    {
        await using var host = await PluginHost.StartAsync();
        var url = await host.AddWebChatBotAsync("guarded", $$"""{"host":"0.0.0.0","token":"{{Token}}"}""");
        using var http = new HttpClient { BaseAddress = url };

        var noToken = await Assert.ThrowsAsync<WebSocketException>(() => ChatClient.ConnectAsync(url));
        var wrongToken = await Assert.ThrowsAsync<WebSocketException>(() => ChatClient.ConnectAsync(url, token: "wrong-token-wrong-token"));
        using var apiWithout = await http.GetAsync("api/connections");
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/connections") { Headers = { Authorization = new("Bearer", Token) } };
        using var apiWith = await http.SendAsync(request);
        await using var client = await ChatClient.ConnectAsync(url, token: Token);
        var answer = await client.SayAsync("with token");

        Assert.Contains("401", noToken.Message, StringComparison.Ordinal);
        Assert.Contains("401", wrongToken.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, apiWithout.StatusCode);
        Assert.Contains("?token=", await apiWithout.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, apiWith.StatusCode);
        Assert.Equal("echo: with token", answer.GetProperty("content").GetString());
    }

    [Fact]
    public async Task LoopbackWithoutToken_ForeignHostOrOrigin_Refused()
    {
        await using var host = await PluginHost.StartAsync();
        var url = await host.AddWebChatBotAsync();
        using var http = new HttpClient();

        using var rebound = new HttpRequestMessage(HttpMethod.Get, new Uri(url, "api/info")) { Headers = { Host = "evil.example:" + url.Port } };
        using var reboundResponse = await http.SendAsync(rebound);
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Origin", "http://evil.example");
        var crossOrigin = await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(ChatClient.SocketUri(url), CancellationToken.None));

        Assert.Equal(HttpStatusCode.Forbidden, reboundResponse.StatusCode);
        Assert.Contains("403", crossOrigin.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WebChatKilledMidConversation_BotRestarts_NextMessageIsAnswered()
    {
        await using var host = await PluginHost.StartAsync();
        var port = FreePort();
        var url = await host.AddWebChatBotAsync("chat", $$"""{"port":{{port}}}""");
        var user = "survivor";
        var client = await ChatClient.ConnectAsync(url, user: user);
        await client.SayAsync("before the crash");
        var pid = host.Runtime.GetPlugin(PluginHost.WebChat).ProcessId ?? throw new InvalidOperationException("WebChat has no process id.");

        using (var process = Process.GetProcessById(pid))
        {
            process.Kill(entireProcessTree: true);
        }

        await client.WaitClosedAsync();
        await client.DisposeAsync();
        await WaitForAsync(() => host.Runtime.GetPlugin(PluginHost.WebChat).RestartCount >= 1 && host.Runtime.GetBot("chat").State == "Running", "the bot to run again", host);
        Assert.Equal(url, await host.ChatUrlAsync("chat"));
        await using var again = await ChatClient.ConnectAsync(url, user: user);
        var answer = await again.SayAsync("after the crash");

        Assert.Equal("echo: after the crash", answer.GetProperty("content").GetString());
        Assert.NotEqual(pid, host.Runtime.GetPlugin(PluginHost.WebChat).ProcessId);
    }

    [Fact]
    public async Task SeedDefaultBots_FreshDataFolder_WebChatBotAnswers_AndRemovalSticks()
    {
        var root = Path.Combine(Path.GetTempPath(), "plugboard-seed-" + Guid.NewGuid().ToString("N")[..12]);
        await using (var host = await PluginHost.StartAsync(o => o.SeedDefaultBots = true, root))
        {
            await host.WaitForBotAsync(DefaultBots.WebChatBotId, "Running");
            var bot = host.Runtime.GetBot(DefaultBots.WebChatBotId);
            Assert.Empty(bot.Routes);
            await using var client = await ChatClient.ConnectAsync(await host.ChatUrlAsync(DefaultBots.WebChatBotId));
            Assert.Equal("echo: hello default", (await client.SayAsync("hello default")).GetProperty("content").GetString());
            await host.Runtime.RemoveBotAsync(DefaultBots.WebChatBotId);
            await host.Runtime.StopAsync();
        }

        await using var restarted = await PluginHost.StartAsync(o => o.SeedDefaultBots = true, root);
        Assert.DoesNotContain(restarted.Runtime.GetBots(), b => b.Id == DefaultBots.WebChatBotId);
        await restarted.Runtime.StopAsync();
        Directory.Delete(root, recursive: true);
    }

    [Fact]
    public async Task TwoBots_OnePlugin_IsolatedSessionsAndPorts()
    {
        await using var host = await PluginHost.StartAsync();
        var first = await host.AddWebChatBotAsync("first");
        var second = await host.AddWebChatBotAsync("second");
        await using var a = await ChatClient.ConnectAsync(first, user: "same-user");
        await using var b = await ChatClient.ConnectAsync(second, user: "same-user");

        await a.SayAsync("only on first");
        await a.WaitForAsync(f => ChatClient.Type(f) == "routed", "the routed acknowledgement");
        await b.SendJsonAsync("""{"type":"history"}""");
        var history = await b.WaitForAsync(f => ChatClient.Type(f) == "history" && f.GetProperty("messages").GetArrayLength() == 0, "an empty history on the second bot");

        Assert.NotEqual(first.Port, second.Port);
        Assert.Equal("second", b.Connected.GetProperty("botId").GetString());
        Assert.Equal(0, history.GetProperty("messages").GetArrayLength());
        Assert.Contains(host.Runtime.GetRecentEvents("first"), e => e.Type == EventTypes.MessageReceived);
        Assert.DoesNotContain(host.Runtime.GetRecentEvents("second"), e => e.Type == EventTypes.MessageReceived);
    }

    [Fact]
    public async Task RemoveBot_StopsItsServer()
    {
        await using var host = await PluginHost.StartAsync();
        var url = await host.AddWebChatBotAsync("temporary");
        var client = await ChatClient.ConnectAsync(url);

        await host.Runtime.RemoveBotAsync("temporary");

        await client.WaitClosedAsync();
        await client.DisposeAsync();
        using var http = new HttpClient();
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri(url, "healthz")));
        var error = await Assert.ThrowsAsync<JsonRpcException>(() => host.Runtime.CallBotAsync("temporary", AdapterApis.Send, PluginHost.Json("{}")));
        Assert.Equal(PlugboardErrorCodes.BotNotFound, error.Code);
    }

    [Fact]
    public async Task StreamedReply_AdapterWithoutReplyStream_FallsBackToOneReply()
    {
        var root = Path.Combine(Path.GetTempPath(), "plugboard-nostream-" + Guid.NewGuid().ToString("N")[..12]);
        var plugins = PluginHost.CopyBundledPlugins(Path.Combine(root, "plugins"), manifest =>
        {
            var apis = manifest["components"]!["adapters"]![0]!["apis"]!.AsArray();
            apis.Remove(apis.First(a => a!.GetValue<string>() == AdapterApis.ReplyStream));
        });
        try
        {
            await using var host = await PluginHost.StartAsync(root: root, plugins: plugins);
            var url = await host.AddWebChatBotAsync();
            await using var client = await ChatClient.ConnectAsync(url);

            var answer = await client.SayAsync("stream without streaming");

            Assert.Equal("echo: stream without streaming", answer.GetProperty("content").GetString());
            Assert.False(answer.TryGetProperty("streamId", out _));
            Assert.Single(client.Received, f => ChatClient.Type(f) == "response");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task AdapterLogs_CarryTheBotIdScope()
    {
        await using var host = await PluginHost.StartAsync();

        await host.AddWebChatBotAsync("tagged");

        var listening = host.Runtime.GetPluginLogs(PluginHost.WebChat, 200).Single(l => l.Contains("is listening", StringComparison.Ordinal));
        using var entry = System.Text.Json.JsonDocument.Parse(listening);
        Assert.Contains(entry.RootElement.GetProperty("scope").EnumerateArray(), s => s.ValueKind == System.Text.Json.JsonValueKind.Object && s.GetProperty("botId").GetString() == "tagged");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitForAsync(Func<bool> condition, string what, PluginHost host)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for {what}.{Environment.NewLine}{host.Diagnostics()}");
            }

            await Task.Delay(50);
        }
    }
}
