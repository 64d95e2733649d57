using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Sdk.Adapters;

/// <summary>A registered adapter: the platform name and the <see cref="IChatAdapter"/> type serving it.</summary>
internal sealed record AdapterRegistration(string Platform, Type AdapterType);

/// <summary>
/// Serves the adapter side of the protocol: <c>adapter/start</c> and <c>adapter/stop</c> create and dispose one
/// <see cref="IChatAdapter"/> per bot (each in its own service scope), and every <c>adapter/&lt;api&gt;</c> call is
/// dispatched to the bot named by its <c>botId</c>, with exceptions mapped to typed errors.
/// </summary>
internal sealed class AdapterHost : IAsyncDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private readonly IServiceProvider _services;
    private readonly IPluginRuntime _runtime;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly Dictionary<string, AdapterRegistration> _registrations;
    private readonly ConcurrentDictionary<string, RunningBot> _bots = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private int _disposed;

    public AdapterHost(IServiceProvider services, IPluginRuntime runtime, ILoggerFactory loggers, IEnumerable<AdapterRegistration> registrations)
    {
        _services = services;
        _runtime = runtime;
        _loggers = loggers;
        _logger = loggers.CreateLogger("Plugboard.Sdk.Adapters");
        _registrations = new Dictionary<string, AdapterRegistration>(StringComparer.Ordinal);
        foreach (var registration in registrations)
        {
            _registrations[registration.Platform] = registration;
        }
    }

    /// <summary>The ids of the bots currently served.</summary>
    public IReadOnlyCollection<string> BotIds => [.. _bots.Keys];

    private JsonSerializerOptions Serializer => _runtime.SerializerOptions;

    /// <summary>Registers the adapter methods on the plugin's connection (before it starts reading).</summary>
    public void Attach(JsonRpcConnection connection)
    {
        connection.AddMethod<JsonElement, JsonElement>(AdapterApis.StartMethod, (p, context) => new ValueTask<JsonElement>(StartAsync(p, context.CancellationToken)));
        connection.AddMethod<JsonElement, JsonElement>(AdapterApis.StopMethod, (p, context) => new ValueTask<JsonElement>(StopAsync(p, context.CancellationToken)));
        foreach (var api in AdapterApis.All)
        {
            connection.AddMethod<JsonElement, JsonElement>(AdapterApis.Method(api), (p, context) => new ValueTask<JsonElement>(InvokeAsync(api, p, context.CancellationToken)));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(StopTimeout);
        await Task.WhenAll(_bots.Values.Select(bot => StopBotAsync(bot, timeout.Token))).ConfigureAwait(false);
        _bots.Clear();
    }

    private async Task<JsonElement> StartAsync(JsonElement parameters, CancellationToken cancellationToken)
    {
        var start = Bind(parameters, AdapterApis.StartMethod, Serializer.GetTypeInfo(typeof(AdapterStartParams))) as AdapterStartParams;
        if (start is null || string.IsNullOrEmpty(start.BotId))
        {
            throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"{AdapterApis.StartMethod} needs {{\"botId\", \"platform\", \"config\"}}.");
        }

        if (!_registrations.TryGetValue(start.Platform ?? string.Empty, out var registration))
        {
            throw JsonRpcException.WithData(
                PlugboardErrorCodes.AdapterNotSupported,
                $"This plugin has no adapter for platform '{start.Platform}' (it has: {string.Join(", ", _registrations.Keys)}). Check the bot's platform and the manifest's components.adapters.",
                ("bot", start.BotId),
                ("platform", start.Platform));
        }

        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // A start for a bot that is already served replaces it (the runtime re-sends start after reconfiguring).
            if (_bots.TryRemove(start.BotId, out var previous))
            {
                await StopBotAsync(previous, cancellationToken).ConfigureAwait(false);
            }

            var scope = _services.CreateAsyncScope();
            var bot = new BotContext(start.BotId, registration.Platform, start.Config, scope.ServiceProvider, _runtime, _loggers.CreateLogger(registration.AdapterType.FullName ?? registration.AdapterType.Name));
            IChatAdapter adapter;
            try
            {
                adapter = (IChatAdapter)(TakesBotContext(registration.AdapterType)
                    ? ActivatorUtilities.CreateInstance(scope.ServiceProvider, registration.AdapterType, bot)
                    : ActivatorUtilities.CreateInstance(scope.ServiceProvider, registration.AdapterType));
                await adapter.StartAsync(bot, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                await bot.SignalStoppingAsync().ConfigureAwait(false);
                await scope.DisposeAsync().ConfigureAwait(false);
                bot.DisposeToken();
                _logger.BotStartFailed(start.BotId, registration.Platform, ex.Message);
                throw ToRpcException(ex, start.BotId, AdapterApis.StartMethod);
            }

            _bots[start.BotId] = new RunningBot(bot, adapter, scope);
            _logger.BotServing(start.BotId, registration.Platform);
            return JsonSerializer.SerializeToElement(new BotParams(start.BotId), Serializer.GetTypeInfo(typeof(BotParams)));
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    private async Task<JsonElement> StopAsync(JsonElement parameters, CancellationToken cancellationToken)
    {
        var botId = ReadBotId(parameters, AdapterApis.StopMethod);
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_bots.TryRemove(botId, out var bot))
            {
                await StopBotAsync(bot, cancellationToken).ConfigureAwait(false);
            }

            return JsonSerializer.SerializeToElement(new BotParams(botId), Serializer.GetTypeInfo(typeof(BotParams)));
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    private async Task StopBotAsync(RunningBot bot, CancellationToken cancellationToken)
    {
        await bot.Context.SignalStoppingAsync().ConfigureAwait(false);
        try
        {
            await bot.Adapter.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.BotStopFailed(bot.Context.BotId, ex.Message);
        }

        try
        {
            if (bot.Adapter is IAsyncDisposable asyncDisposable)
            {
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
            }
            else if (bot.Adapter is IDisposable disposable)
            {
                disposable.Dispose();
            }

            await bot.Scope.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.BotStopFailed(bot.Context.BotId, ex.Message);
        }

        bot.Context.DisposeToken();
        _logger.BotStopped(bot.Context.BotId);
    }

    private async Task<JsonElement> InvokeAsync(string api, JsonElement parameters, CancellationToken cancellationToken)
    {
        var method = AdapterApis.Method(api);
        var botId = ReadBotId(parameters, method);
        if (!_bots.TryGetValue(botId, out var bot))
        {
            throw JsonRpcException.WithData(
                PlugboardErrorCodes.BotNotFound,
                $"Bot {botId} is not running on this adapter (running: {(_bots.IsEmpty ? "none" : string.Join(", ", _bots.Keys))}); the runtime starts it with {AdapterApis.StartMethod}.",
                ("bot", botId));
        }

        try
        {
            var adapter = bot.Adapter;
            switch (api)
            {
                case AdapterApis.Send:
                    return Serialize(await adapter.SendAsync(Bind<SendParams>(parameters, method), cancellationToken).ConfigureAwait(false));
                case AdapterApis.Reply:
                    return Serialize(await adapter.ReplyAsync(Bind<ReplyParams>(parameters, method), cancellationToken).ConfigureAwait(false));
                case AdapterApis.ReplyStream:
                    return Serialize(await adapter.ReplyStreamAsync(Bind<ReplyStreamParams>(parameters, method), cancellationToken).ConfigureAwait(false));
                case AdapterApis.CallPlatformApi:
                    var call = Bind<CallPlatformApiParams>(parameters, method);
                    return await adapter.CallPlatformApiAsync(call.Action, call.Params, cancellationToken).ConfigureAwait(false);
                default:
                    return await adapter.InvokeApiAsync(api, parameters, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not (JsonRpcException or OperationCanceledException))
        {
            if (ex is not (AdapterNotSupportedException or PlatformException or ArgumentException))
            {
                _logger.AdapterCallFailed(botId, api, ex);
            }

            throw ToRpcException(ex, botId, api);
        }
    }

    private T Bind<T>(JsonElement parameters, string method)
        where T : class
        => Bind(parameters, method, Serializer.GetTypeInfo(typeof(T))) as T
            ?? throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"{method} needs a parameters object.");

    private static object? Bind(JsonElement parameters, string method, System.Text.Json.Serialization.Metadata.JsonTypeInfo info)
    {
        try
        {
            return parameters.ValueKind == JsonValueKind.Object ? parameters.Deserialize(info) : null;
        }
        catch (JsonException ex)
        {
            throw JsonRpcException.WithData(
                JsonRpcErrorCodes.InvalidParams,
                $"Invalid parameters for {method}{(ex.Path is { Length: > 0 } path ? " at " + path : string.Empty)}: {ex.Message}",
                ("method", method),
                ("path", ex.Path));
        }
    }

    private static bool TakesBotContext(Type adapterType)
        => adapterType.GetConstructors().Any(c => c.GetParameters().Any(p => p.ParameterType == typeof(BotContext)));

    private static string ReadBotId(JsonElement parameters, string method)
        => parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty("botId", out var id) && id.ValueKind == JsonValueKind.String && id.GetString() is { Length: > 0 } botId
            ? botId
            : throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"{method} needs a \"botId\" string naming the bot.");

    private JsonElement Serialize(SendResult result) => JsonSerializer.SerializeToElement(result, Serializer.GetTypeInfo(typeof(SendResult)));

    /// <summary>Maps adapter exceptions to the protocol's typed errors.</summary>
    private static JsonRpcException ToRpcException(Exception exception, string botId, string api) => exception switch
    {
        JsonRpcException rpc => rpc,
        AdapterNotSupportedException notSupported => JsonRpcException.WithData(PlugboardErrorCodes.AdapterNotSupported, $"Bot {botId}: {notSupported.Message}", ("bot", botId), ("api", notSupported.Api)),
        NotSupportedException notSupported => JsonRpcException.WithData(PlugboardErrorCodes.AdapterNotSupported, $"Bot {botId} does not support '{api}': {notSupported.Message}", ("bot", botId), ("api", api)),
        PlatformException platform => JsonRpcException.WithData(PlugboardErrorCodes.PlatformError, $"Bot {botId}: {platform.Message}", ("bot", botId), ("api", api), ("platformCode", platform.PlatformCode), ("platformMessage", platform.PlatformMessage)),
        AdapterConfigException config => JsonRpcException.WithData(PlugboardErrorCodes.ConfigInvalid, $"Bot {botId}: {config.Message}", ("bot", botId), ("field", config.Field)),
        ArgumentException argument => JsonRpcException.WithData(JsonRpcErrorCodes.InvalidParams, $"Bot {botId}, {api}: {argument.Message}", ("bot", botId), ("api", api), ("parameter", argument.ParamName)),
        _ => JsonRpcException.WithData(JsonRpcErrorCodes.InvocationError, $"Bot {botId}, {api} failed: {exception.GetType().Name}: {exception.Message}", ("bot", botId), ("api", api), ("type", exception.GetType().FullName)),
    };

    private sealed record RunningBot(BotContext Context, IChatAdapter Adapter, AsyncServiceScope Scope);
}
