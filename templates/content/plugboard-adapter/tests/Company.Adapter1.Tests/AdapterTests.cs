using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Runtime;
using Plugboard.Runtime.Bots;
using Plugboard.Runtime.Hosting;

namespace Company.Adapter1.Tests;

/// <summary>Runs the adapter as its own process under a Plugboard runtime hosted in the test, with a bot on it.</summary>
public sealed class AdapterTests : IAsyncLifetime
{
    private const string PluginId = "sample.pluginid";
    private const string Platform = "sampleplatform";
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "plugboard-test-" + Guid.NewGuid().ToString("N"));
    private ServiceProvider _services = null!;
    private PlugboardRuntime _runtime = null!;

    /// <summary>The plugin's build output (with plugin.json), recorded by the RecordPluginOutput target.</summary>
    private static string PluginDirectory => typeof(AdapterTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "PluginOutputDirectory").Value!;

    public async Task InitializeAsync()
    {
        var services = new ServiceCollection();
        services.AddPlugboard(options =>
        {
            options.DataDirectory = _dataDirectory;
            options.PluginDirectories.Add(PluginDirectory);
        });
        _services = services.BuildServiceProvider();
        _runtime = _services.GetRequiredService<PlugboardRuntime>();
        await _runtime.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _runtime.WaitUntilRunningAsync(PluginId, timeout.Token);
    }

    public async Task DisposeAsync()
    {
        await _runtime.StopAsync();
        await _services.DisposeAsync();
        Directory.Delete(_dataDirectory, recursive: true);
    }

    [Fact]
    public async Task Send_ThroughABot_LandsInTheOutbox()
    {
        await StartBotAsync("bot1");

        var sent = await _runtime.CallBotAsync("bot1", "send", Json("""{ "target": { "type": "person", "id": "u1" }, "chain": [ { "type": "plain", "text": "hi there" } ] }"""));
        var outbox = await _runtime.CallBotAsync("bot1", "callPlatformApi", Json("""{ "action": "outbox", "params": {} }"""));

        var message = Assert.Single(outbox.EnumerateArray());
        Assert.Equal(sent.GetProperty("messageId").GetString(), message.GetProperty("messageId").GetString());
        Assert.Equal("hi there", message.GetProperty("text").GetString());
    }

    [Fact]
    public async Task Inject_IncomingMessage_IsRoutedByTheRuntime()
    {
        await StartBotAsync("bot1");

        var routed = await _runtime.CallBotAsync("bot1", "callPlatformApi", Json("""{ "action": "inject", "params": { "userId": "u1", "text": "hello" } }"""));

        Assert.Equal("message.received", routed.GetProperty("type").GetString());
        Assert.Contains(_runtime.GetRecentEvents("bot1"), e => e.Type == "message.received");
    }

    [Fact]
    public async Task AddBot_WithoutTheRequiredEndpoint_IsRefused()
    {
        var ex = await Assert.ThrowsAsync<JsonRpcException>(() => _runtime.AddBotAsync(new BotDefinition("bot2", "Bot 2", PluginId, Platform, Json("{}"))));

        Assert.Contains("endpoint", ex.Message, StringComparison.Ordinal);
    }

    private async Task StartBotAsync(string botId)
    {
        await _runtime.AddBotAsync(new BotDefinition(botId, "Test bot", PluginId, Platform, Json("""{ "endpoint": "https://chat.example.com/api" }""")));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (_runtime.GetBot(botId).State != "Running")
        {
            Assert.True(DateTime.UtcNow < deadline, $"Bot {botId} is {_runtime.GetBot(botId).State}: {_runtime.GetBot(botId).LastError}");
            await Task.Delay(100);
        }
    }

    private static JsonElement Json(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
