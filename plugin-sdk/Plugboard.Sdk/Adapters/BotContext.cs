using System.Text.Json;
using Microsoft.Extensions.Logging;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Sdk.Adapters;

/// <summary>
/// One bot served by an adapter: its id and configuration, a logger whose entries carry the bot id, and the way to
/// emit its events into the runtime. Passed to <see cref="IChatAdapter.StartAsync"/> and also injectable into the
/// adapter's constructor.
/// </summary>
public sealed class BotContext
{
    private readonly CancellationTokenSource _stopping = new();

    internal BotContext(string botId, string platform, JsonElement config, IServiceProvider services, IPluginRuntime runtime, ILogger logger)
    {
        BotId = botId;
        Platform = platform;
        Config = config;
        Services = services;
        Runtime = runtime;
        Logger = new BotLogger(logger, botId);
    }

    /// <summary>The bot id (routing rules, recent events and <c>bot/call</c> use it).</summary>
    public string BotId { get; }

    /// <summary>The adapter platform the bot runs on (one plugin may register several).</summary>
    public string Platform { get; }

    /// <summary>The bot's adapter configuration as validated by the runtime (defaults applied, secrets included).</summary>
    public JsonElement Config { get; }

    /// <summary>The bot's own service scope.</summary>
    public IServiceProvider Services { get; }

    /// <summary>The client for the runtime API.</summary>
    public IPluginRuntime Runtime { get; }

    /// <summary>A logger whose entries carry a <c>{"botId": ...}</c> scope, so the runtime's log tags them with the bot.</summary>
    public ILogger Logger { get; }

    /// <summary>Fires when the bot is being stopped (or the plugin shuts down); background loops end on it.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Reads <see cref="Config"/> into a POCO with the app's serializer options (camelCase names by default).</summary>
    /// <exception cref="AdapterConfigException">The configuration does not fit <typeparamref name="T"/>.</exception>
    public T GetConfig<T>()
    {
        try
        {
            var value = Config.ValueKind is JsonValueKind.Object
                ? Config.Deserialize(Runtime.SerializerOptions.GetTypeInfo(typeof(T)))
                : JsonSerializer.Deserialize("{}"u8, Runtime.SerializerOptions.GetTypeInfo(typeof(T)));
            return value is T typed ? typed : throw new AdapterConfigException("$", $"The configuration of bot {BotId} is empty.");
        }
        catch (JsonException ex)
        {
            throw new AdapterConfigException(ex.Path ?? "$", $"The configuration of bot {BotId} is invalid at {ex.Path ?? "$"}: {ex.Message}");
        }
    }

    /// <summary>
    /// Emits an event of this bot into the runtime (<c>event/emit</c> with <c>botId</c>), which routes it through the
    /// bot's rules. Returns the routing record (<c>{eventId, type, rule, handler, outcome, error}</c>) once the
    /// handlers have run.
    /// </summary>
    /// <param name="type">The event type, e.g. <see cref="EventTypes.MessageReceived"/>.</param>
    /// <param name="data">The payload (e.g. a serialized <see cref="MessageEventData"/>).</param>
    /// <param name="raw">The platform's raw payload, kept for handlers that need it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<JsonElement> EmitAsync(string type, JsonElement data, JsonElement? raw = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        return Runtime.EmitEventAsync(new EventEmitParams(type, data, BotId, raw), cancellationToken);
    }

    /// <summary>Emits an event with a typed payload (serialized with the app's serializer options).</summary>
    public Task<JsonElement> EmitAsync<T>(string type, T data, JsonElement? raw = null, CancellationToken cancellationToken = default)
        => EmitAsync(type, JsonSerializer.SerializeToElement(data, Runtime.SerializerOptions.GetTypeInfo(typeof(T))), raw, cancellationToken);

    /// <summary>Emits <see cref="EventTypes.MessageReceived"/>.</summary>
    public Task<JsonElement> EmitMessageReceivedAsync(MessageEventData message, JsonElement? raw = null, CancellationToken cancellationToken = default)
        => EmitAsync(EventTypes.MessageReceived, message, raw, cancellationToken);

    internal Task SignalStoppingAsync() => _stopping.CancelAsync();

    internal void DisposeToken() => _stopping.Dispose();

    /// <summary>Wraps every entry in a <c>botId</c> scope.</summary>
    private sealed class BotLogger(ILogger inner, string botId) : ILogger
    {
        private readonly KeyValuePair<string, object?>[] _scope = [new("botId", botId)];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            using (inner.BeginScope(_scope))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
