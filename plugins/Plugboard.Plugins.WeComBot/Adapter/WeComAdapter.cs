using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Plugboard.Plugins.WeComBot.Webhook;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Plugins.WeComBot.Adapter;

/// <summary>
/// The bots one adapter process serves: each with its own state, connection and logs; webhook-mode bots share a
/// Kestrel listener per listen address.
/// </summary>
internal sealed class WeComAdapter : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, WeComAiBot> _bots = new(StringComparer.Ordinal);
    private readonly Dictionary<string, WeComWebhookHost> _webhookHosts = new(StringComparer.OrdinalIgnoreCase);
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly TimeProvider _time;

    /// <summary>Creates the adapter.</summary>
    /// <param name="loggers">Creates the per-bot loggers.</param>
    /// <param name="http">Downloads media (a new client with a 30 s timeout when omitted).</param>
    /// <param name="time">The clock.</param>
    public WeComAdapter(ILoggerFactory loggers, HttpClient? http = null, TimeProvider? time = null)
    {
        _loggers = loggers;
        _logger = loggers.CreateLogger("Plugboard.Plugins.WeComBot");
        _ownsHttp = http is null;
        _http = http ?? new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The bots being served.</summary>
    public IReadOnlyCollection<WeComAiBot> Bots => [.. _bots.Values];

    /// <summary>Starts (or restarts with new config) a bot.</summary>
    /// <exception cref="JsonRpcException"><see cref="PlugboardErrorCodes.ConfigInvalid"/> with every problem listed.</exception>
    /// <param name="botId">The Plugboard bot id.</param>
    /// <param name="config">The bot's adapter config.</param>
    /// <param name="emit">Emits the bot's events.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <param name="logger">The bot's logger (default: one from the factory); messages name the bot either way.</param>
    public async Task<WeComAiBot> StartBotAsync(string botId, JsonElement config, WeComEventEmitter emit, CancellationToken cancellationToken = default, ILogger? logger = null)
    {
        WeComBotSettings settings;
        try
        {
            settings = WeComBotSettings.Parse(config);
        }
        catch (WeComConfigException ex)
        {
            throw JsonRpcException.WithData(PlugboardErrorCodes.ConfigInvalid, $"Bot {botId}: {ex.Message}", ("bot", botId), ("platform", WeComAiBot.Platform), ("errors", string.Join("; ", ex.Errors)));
        }

        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await StopCoreAsync(botId).ConfigureAwait(false);
            var bot = new WeComAiBot(botId, settings, emit, _http, logger ?? _loggers.CreateLogger("Plugboard.Plugins.WeComBot.Bot"), _time);
            if (settings.Mode == WeComBotMode.Webhook)
            {
                if (!_webhookHosts.TryGetValue(settings.WebhookListen, out var host))
                {
                    try
                    {
                        host = await WeComWebhookHost.StartAsync(settings.WebhookListen, _logger, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is IOException or InvalidOperationException or System.Net.Sockets.SocketException)
                    {
                        await bot.DisposeAsync().ConfigureAwait(false);
                        throw JsonRpcException.WithData(PlugboardErrorCodes.ConfigInvalid, $"Bot {botId}: the webhook endpoint cannot listen on {settings.WebhookListen}: {ex.Message}. Choose another webhookListen address or port.", ("bot", botId));
                    }

                    _webhookHosts[settings.WebhookListen] = host;
                }

                bot.WebhookUrl = host.Add(bot);
            }

            _bots[botId] = bot;
            bot.Start();
            return bot;
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Stops a bot; false when it was not running (or, with <paramref name="instance"/>, already replaced by a restart).</summary>
    public async Task<bool> StopBotAsync(string botId, WeComAiBot? instance = null)
    {
        await _lifecycle.WaitAsync().ConfigureAwait(false);
        try
        {
            if (instance is not null && (!_bots.TryGetValue(botId, out var current) || current != instance))
            {
                return false;
            }

            return await StopCoreAsync(botId).ConfigureAwait(false);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>The running bot with that id.</summary>
    /// <exception cref="JsonRpcException"><see cref="PlugboardErrorCodes.BotNotFound"/>.</exception>
    public WeComAiBot Get(string botId)
        => _bots.TryGetValue(botId, out var bot)
            ? bot
            : throw JsonRpcException.WithData(PlugboardErrorCodes.BotNotFound, $"The WeCom adapter is not serving bot '{botId}' (not started, or stopped).", ("bot", botId));

    /// <summary>Stops every bot and listener.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var id in _bots.Keys)
        {
            await StopBotAsync(id).ConfigureAwait(false);
        }

        foreach (var host in _webhookHosts.Values)
        {
            await host.DisposeAsync().ConfigureAwait(false);
        }

        _webhookHosts.Clear();
        if (_ownsHttp)
        {
            _http.Dispose();
        }

    }

    private async Task<bool> StopCoreAsync(string botId)
    {
        if (!_bots.TryRemove(botId, out var bot))
        {
            return false;
        }

        if (bot.Settings.Mode == WeComBotMode.Webhook && _webhookHosts.TryGetValue(bot.Settings.WebhookListen, out var host) && !host.Remove(botId))
        {
            _webhookHosts.Remove(bot.Settings.WebhookListen);
            await host.DisposeAsync().ConfigureAwait(false);
        }

        await bot.DisposeAsync().ConfigureAwait(false);
        return true;
    }
}
