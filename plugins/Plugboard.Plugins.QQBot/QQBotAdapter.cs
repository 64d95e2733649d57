using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Plugboard.Plugins.QQBot.Gateway;
using Plugboard.Plugins.QQBot.Inbound;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Plugins.QQBot;

/// <summary>
/// The <c>qqbot</c> adapter as a plain class: any number of bots in one process (one <see cref="QQBotInstance"/>
/// each) behind the adapter API. The plugin process serves the same instances through the SDK's adapter host
/// (<see cref="Hosting.QQBotChatAdapter"/>); this class lets tests drive the adapter in-process against the simulator.
/// </summary>
internal sealed class QQBotAdapter : IAsyncDisposable
{
    /// <summary>The APIs this adapter implements (besides start and stop).</summary>
    public static readonly IReadOnlyList<string> Apis = [AdapterApis.Send, AdapterApis.Reply, AdapterApis.Delete, AdapterApis.UploadFile, AdapterApis.CallPlatformApi];

    /// <summary>The platform actions of <c>callPlatformApi</c>.</summary>
    public static readonly IReadOnlyList<string> Actions = ["getGatewayInfo", "refreshToken", "acknowledgeInteraction", "recallMessage", "uploadMedia", "getStatus"];

    private readonly ConcurrentDictionary<string, QQBotInstance> _bots = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private readonly AppRegistry _apps = new();
    private readonly IBotEventSink _sink;
    private readonly ISessionStore _sessions;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Func<string, string?>? _environment;

    public QQBotAdapter(IBotEventSink sink, ISessionStore sessions, ILoggerFactory loggers, TimeProvider? time = null, Func<string, string?>? environment = null)
    {
        _sink = sink;
        _sessions = sessions;
        _logger = loggers.CreateLogger("Plugboard.Plugins.QQBot");
        _time = time ?? TimeProvider.System;
        _environment = environment;
    }

    /// <summary>A running bot, or null.</summary>
    public QQBotInstance? Find(string botId) => _bots.TryGetValue(botId, out var bot) ? bot : null;

    /// <summary><c>adapter/start</c>: validates the config and starts (or restarts) the bot.</summary>
    public async Task StartAsync(AdapterStartParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!string.IsNullOrEmpty(parameters.Platform) && parameters.Platform != InboundNormalizer.Platform)
        {
            throw JsonRpcException.WithData(PlugboardErrorCodes.AdapterNotSupported, $"This plugin implements the '{InboundNormalizer.Platform}' adapter, not '{parameters.Platform}'.", ("platform", parameters.Platform));
        }

        var config = QQBotInstance.ParseConfig(parameters.BotId, parameters.Config, _environment);
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_bots.TryRemove(parameters.BotId, out var previous))
            {
                await previous.DisposeAsync().ConfigureAwait(false);
                _apps.Release(parameters.BotId);
            }

            _apps.Claim(parameters.BotId, config.AppId, config.Shard);
            var instance = new QQBotInstance(parameters.BotId, config, _sink, _sessions, _logger, _time, _environment);
            _bots[parameters.BotId] = instance;
            try
            {
                await instance.StartAsync(cancellationToken).ConfigureAwait(false);
                instance.BeginDelivery();
            }
            catch
            {
                _bots.TryRemove(parameters.BotId, out _);
                _apps.Release(parameters.BotId);
                await instance.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary><c>adapter/stop</c>: stops the bot and saves its session.</summary>
    public async Task StopAsync(string botId)
    {
        await _lifecycle.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_bots.TryRemove(botId, out var instance))
            {
                await instance.DisposeAsync().ConfigureAwait(false);
                _apps.Release(botId);
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary><c>adapter/send</c>.</summary>
    public Task<SendResult> SendAsync(SendParams parameters, CancellationToken cancellationToken)
        => Bot(parameters.BotId).SendApiAsync(parameters, cancellationToken);

    /// <summary><c>adapter/reply</c>.</summary>
    public Task<SendResult> ReplyAsync(ReplyParams parameters, CancellationToken cancellationToken)
        => Bot(parameters.BotId).ReplyApiAsync(parameters, cancellationToken);

    /// <summary><c>adapter/delete</c>.</summary>
    public Task<JsonElement> DeleteAsync(JsonElement parameters, CancellationToken cancellationToken)
        => Bot(QQJson.String(parameters, "botId")).DeleteApiAsync(parameters, cancellationToken);

    /// <summary><c>adapter/uploadFile</c>.</summary>
    public Task<JsonElement> UploadFileAsync(JsonElement parameters, CancellationToken cancellationToken)
        => Bot(QQJson.String(parameters, "botId")).UploadFileApiAsync(parameters, cancellationToken);

    /// <summary><c>adapter/callPlatformApi</c>.</summary>
    public Task<JsonElement> CallPlatformApiAsync(CallPlatformApiParams parameters, CancellationToken cancellationToken)
        => Bot(parameters.BotId).CallPlatformApiAsync(parameters.Action, parameters.Params, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        foreach (var botId in _bots.Keys.ToList())
        {
            await StopAsync(botId).ConfigureAwait(false);
        }

        _lifecycle.Dispose();
    }

    private QQBotInstance Bot(string? botId)
        => !string.IsNullOrEmpty(botId) && _bots.TryGetValue(botId, out var bot)
            ? bot
            : throw JsonRpcException.WithData(PlugboardErrorCodes.BotNotFound, $"Bot '{botId}' is not running on the qqbot adapter (adapter/start it first; running: {string.Join(", ", _bots.Keys.Order(StringComparer.Ordinal))}).", ("bot", botId));
}
