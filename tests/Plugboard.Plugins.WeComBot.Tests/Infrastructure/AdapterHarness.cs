using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Plugboard.Plugins.WeComBot.Adapter;
using Plugboard.Plugins.WeComBot.Tests.Simulator;

namespace Plugboard.Plugins.WeComBot.Tests.Infrastructure;

/// <summary>An event the adapter emitted.</summary>
internal sealed record EmittedEvent(string BotId, string Type, JsonElement Data, JsonElement? Raw)
{
    public string Text(params string[] path)
    {
        var element = Data;
        foreach (var name in path)
        {
            element = element.GetProperty(name);
        }

        return element.ValueKind == JsonValueKind.String ? element.GetString()! : element.GetRawText();
    }
}

/// <summary>
/// The adapter's protocol layer (<see cref="WeComAdapter"/>) wired to a <see cref="WeComSimulator"/> with short,
/// configurable intervals, recording the events it emits; <see cref="OnEvent"/> plays a listener.
/// </summary>
internal sealed class AdapterHarness : IAsyncDisposable
{
    public const string WeComBotId = "aibBOT1";
    public const string Secret = "s3cret";

    private readonly ConcurrentQueue<EmittedEvent> _events = new();

    private AdapterHarness(WeComSimulator simulator)
    {
        Simulator = simulator;
        Adapter = new WeComAdapter(Logs);
    }

    public WeComSimulator Simulator { get; }

    public WeComAdapter Adapter { get; }

    public CapturingLoggerFactory Logs { get; } = new();

    public IReadOnlyList<EmittedEvent> Events => [.. _events];

    /// <summary>Runs for every emitted event before the emit returns (as the runtime routes to listeners).</summary>
    public Func<EmittedEvent, Task>? OnEvent { get; set; }

    public static async Task<AdapterHarness> StartAsync()
    {
        var simulator = await WeComSimulator.StartAsync();
        simulator.AddBot(WeComBotId, Secret);
        return new AdapterHarness(simulator);
    }

    /// <summary>Long-connection config with test timings: fast heartbeat and backoff, short ack timeout.</summary>
    public JsonObject LongConfig(string weComBotId = WeComBotId, string secret = Secret) => new()
    {
        ["botId"] = weComBotId,
        ["secret"] = secret,
        ["webSocketUrl"] = Simulator.WebSocketUrl.ToString(),
        ["heartbeatIntervalMs"] = 100,
        ["ackTimeoutMs"] = 1000,
        ["subscribeTimeoutMs"] = 3000,
        ["reconnectBaseDelayMs"] = 20,
        ["reconnectMaxDelayMs"] = 80,
        ["maxReconnectAttempts"] = 3,
        ["maxAuthFailures"] = 2,
        ["conflictRetryDelayMs"] = 5,
    };

    public async Task<WeComAiBot> StartBotAsync(string botId, JsonObject config, bool waitConnected = true)
    {
        var bot = await Adapter.StartBotAsync(botId, JsonSerializer.SerializeToElement(config), (type, data, raw, ct) => EmitAsync(botId, type, data, raw));
        if (waitConnected && bot.Connection is { } connection)
        {
            await connection.WaitUntilConnectedAsync().WaitAsync(TimeSpan.FromSeconds(20));
        }

        return bot;
    }

    public Task<WeComAiBot> StartLongBotAsync(string botId = "b1", Action<JsonObject>? configure = null)
    {
        var config = LongConfig();
        configure?.Invoke(config);
        return StartBotAsync(botId, config);
    }

    public async Task<EmittedEvent> WaitForEventAsync(Func<EmittedEvent, bool> match, string what, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            if (_events.FirstOrDefault(match) is { } found)
            {
                return found;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"No {what} within {seconds} s. Events: {string.Join(" | ", _events.Select(e => e.Type + " " + e.Data.GetRawText()))}. Log: {string.Join(" | ", Logs.Messages)}");
            }

            await Task.Delay(20);
        }
    }

    public static async Task WaitForAsync(Func<bool> condition, string what, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {seconds} s waiting for {what}.");
            }

            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Adapter.DisposeAsync();
        await Simulator.DisposeAsync();
    }

    private async Task EmitAsync(string botId, string type, JsonElement data, JsonElement? raw)
    {
        var evt = new EmittedEvent(botId, type, data, raw);
        _events.Enqueue(evt);
        if (OnEvent is { } handler)
        {
            await handler(evt);
        }
    }
}

/// <summary>Keeps every log message (formatted) for assertions.</summary>
internal sealed class CapturingLoggerFactory : ILoggerFactory
{
    private readonly ConcurrentQueue<(string Category, LogLevel Level, string Message)> _entries = new();

    public IReadOnlyList<string> Messages => [.. _entries.Select(e => e.Message)];

    public IReadOnlyList<(string Category, LogLevel Level, string Message)> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => owner._entries.Enqueue((category, logLevel, formatter(state, exception)));
    }
}
