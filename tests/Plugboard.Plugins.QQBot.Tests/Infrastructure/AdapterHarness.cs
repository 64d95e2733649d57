using System.Text.Json;
using System.Text.Json.Nodes;
using Plugboard.Plugins.QQBot.Gateway;
using Plugboard.Plugins.QQBot.Tests.Simulator;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Plugins.QQBot.Tests.Infrastructure;

/// <summary>
/// A QQ platform simulator and a <see cref="QQBotAdapter"/> wired to it in-process (events recorded, sessions in
/// memory, logs captured), with fast timings. Tests that need the real plugin process use the end-to-end fixture.
/// </summary>
internal sealed class AdapterHarness : IAsyncDisposable
{
    public const string AppId = "102056411";
    public const string Secret = "DG5g3B4j9X2KOErG";

    private AdapterHarness(QQSimulator simulator, ISessionStore? sessions)
    {
        Simulator = simulator;
        Sessions = sessions ?? new InMemorySessionStore();
        Adapter = new QQBotAdapter(Sink, Sessions, Loggers, Time, _ => null);
    }

    public QQSimulator Simulator { get; }

    public RecordingSink Sink { get; } = new();

    public CapturingLoggerFactory Loggers { get; } = new();

    public ShiftedTimeProvider Time { get; } = new();

    public ISessionStore Sessions { get; }

    public QQBotAdapter Adapter { get; private set; }

    public static async Task<AdapterHarness> StartAsync(QQSimulatorOptions? options = null, bool addDefaultApp = true, ISessionStore? sessions = null)
    {
        var simulator = await QQSimulator.StartAsync(options ?? Fast());
        if (addDefaultApp)
        {
            simulator.AddApp(AppId, Secret);
        }

        return new AdapterHarness(simulator, sessions);
    }

    /// <summary>Simulator settings for tests: a 1 s heartbeat interval (the platform uses 45 s; shorter risks false "dead connection" verdicts on a loaded machine).</summary>
    public static QQSimulatorOptions Fast() => new() { HeartbeatInterval = TimeSpan.FromMilliseconds(1000) };

    /// <summary>A bot configuration pointing at the simulator, with short reconnect timings; <paramref name="extra"/> overrides.</summary>
    public JsonElement Config(string appId = AppId, string secret = Secret, JsonObject? extra = null)
    {
        var config = new JsonObject
        {
            ["appId"] = appId,
            ["clientSecret"] = secret,
            ["tokenUrl"] = Simulator.TokenUrl,
            ["apiBaseUrl"] = Simulator.BaseUrl,
            ["reconnectBaseDelayMs"] = 50,
            ["reconnectMaxDelayMs"] = 200,
            ["invalidSessionDelayMs"] = 100,
            ["rateLimitedReconnectDelayMs"] = 100,
            ["sessionStartWindowMs"] = 50,
            ["rateLimitBaseDelayMs"] = 20,
            ["startTimeoutMs"] = 15000,
            ["requestTimeoutMs"] = 10000,
        };
        foreach (var (key, value) in extra ?? [])
        {
            config[key] = value?.DeepClone();
        }

        return JsonSerializer.SerializeToElement(config);
    }

    /// <summary>Starts a bot through <c>adapter/start</c>.</summary>
    public Task StartBotAsync(string botId = "qq1", string appId = AppId, string secret = Secret, JsonObject? extra = null)
        => Adapter.StartAsync(new AdapterStartParams(botId, "qqbot", Config(appId, secret, extra)), CancellationToken.None);

    /// <summary>Replaces the adapter with a new one over the same session store (a restarted plugin process).</summary>
    public async Task RestartAdapterAsync()
    {
        await Adapter.DisposeAsync();
        Adapter = new QQBotAdapter(Sink, Sessions, Loggers, Time, _ => null);
    }

    public QQBotInstance Bot(string botId = "qq1") => Adapter.Find(botId) ?? throw new InvalidOperationException($"bot {botId} is not running");

    public async ValueTask DisposeAsync()
    {
        await Adapter.DisposeAsync();
        await Simulator.DisposeAsync();
    }
}
