using System.Text.Json;
using Plugboard.Protocol.Contracts;
using Plugboard.Sdk.Adapters;

namespace Plugboard.Plugins.QQBot.Hosting;

/// <summary>
/// The <c>qqbot</c> adapter on the SDK's adapter host: the SDK creates one of these per bot on <c>adapter/start</c>
/// and routes that bot's <c>adapter/&lt;api&gt;</c> calls here; each wraps one <see cref="QQBotInstance"/>. Logs
/// carry the bot id (the SDK's scope) and the app id tag.
/// </summary>
internal sealed class QQBotChatAdapter : IChatAdapter, IAsyncDisposable
{
    private readonly QQBotServices _services;
    private QQBotInstance? _instance;

    public QQBotChatAdapter(QQBotServices services)
    {
        _services = services;
    }

    public async ValueTask StartAsync(BotContext bot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bot);
        var config = QQBotInstance.ParseConfig(bot.BotId, bot.Config, _services.Environment);
        _services.Apps.Claim(bot.BotId, config.AppId, config.Shard);
        var instance = new QQBotInstance(bot.BotId, config, new BotContextSink(bot), new RuntimeSessionStore(bot.Runtime), bot.Logger, _services.Time, _services.Environment);
        try
        {
            await instance.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await instance.DisposeAsync().ConfigureAwait(false);
            _services.Apps.Release(bot.BotId);
            throw;
        }

        _instance = instance;

        // The SDK registers the bot when this method returns; events emitted before that could be answered with calls
        // for a bot it does not know yet. Delivery starts on the thread pool, after the registration.
        _ = Task.Run(async () =>
        {
            await Task.Yield();
            instance.BeginDelivery();
        }, CancellationToken.None);
    }

    public async ValueTask StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _instance, null) is { } instance)
        {
            await instance.DisposeAsync().ConfigureAwait(false);
            _services.Apps.Release(instance.BotId);
        }
    }

    public async ValueTask<SendResult> SendAsync(SendParams request, CancellationToken cancellationToken)
        => await Instance.SendApiAsync(request, cancellationToken).ConfigureAwait(false);

    public async ValueTask<SendResult> ReplyAsync(ReplyParams request, CancellationToken cancellationToken)
        => await Instance.ReplyApiAsync(request, cancellationToken).ConfigureAwait(false);

    public async ValueTask<JsonElement> CallPlatformApiAsync(string action, JsonElement parameters, CancellationToken cancellationToken)
        => await Instance.CallPlatformApiAsync(action, parameters, cancellationToken).ConfigureAwait(false);

    public async ValueTask<JsonElement> InvokeApiAsync(string api, JsonElement parameters, CancellationToken cancellationToken) => api switch
    {
        AdapterApis.Delete => await Instance.DeleteApiAsync(parameters, cancellationToken).ConfigureAwait(false),
        AdapterApis.UploadFile => await Instance.UploadFileApiAsync(parameters, cancellationToken).ConfigureAwait(false),
        _ => throw new AdapterNotSupportedException(api),
    };

    public ValueTask DisposeAsync() => StopAsync(CancellationToken.None);

    private QQBotInstance Instance => _instance ?? throw new InvalidOperationException("The bot is not started.");

    /// <summary>Emits through the bot's context (<c>event/emit</c> with its bot id).</summary>
    private sealed class BotContextSink(BotContext bot) : IBotEventSink
    {
        public Task EmitAsync(string botId, string type, JsonElement data, JsonElement? raw, CancellationToken cancellationToken)
            => bot.EmitAsync(type, data, raw, cancellationToken);
    }
}

/// <summary>What all bots of the plugin process share: the app registry, the clock and the environment for proxies.</summary>
internal sealed class QQBotServices
{
    /// <summary>Which bot serves which app.</summary>
    public AppRegistry Apps { get; } = new();

    /// <summary>The clock.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Reads environment variables (proxy settings).</summary>
    public Func<string, string?> Environment { get; init; } = Configuration.ProxyResolver.ProcessEnvironment;
}
