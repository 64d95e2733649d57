using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Plugboard.Plugins.QQBot.Api;
using Plugboard.Plugins.QQBot.Configuration;
using Plugboard.Plugins.QQBot.Gateway;
using Plugboard.Plugins.QQBot.Inbound;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Plugins.QQBot;

/// <summary>
/// The <c>qqbot</c> adapter: serves any number of bots in one process (one <see cref="QQBotInstance"/> each) and
/// answers the adapter API — <c>adapter/start</c>, <c>adapter/stop</c>, <c>send</c>, <c>reply</c>, <c>delete</c>,
/// <c>uploadFile</c> and <c>callPlatformApi</c>. Parameters arrive as JSON; failures leave as
/// <see cref="JsonRpcException"/>s with Plugboard error codes (platform failures as 3001 with the platform's code,
/// message and trace id in data).
/// </summary>
internal sealed class QQBotAdapter : IAsyncDisposable
{
    /// <summary>The APIs this adapter implements (besides start and stop).</summary>
    public static readonly IReadOnlyList<string> Apis = [AdapterApis.Send, AdapterApis.Reply, AdapterApis.Delete, AdapterApis.UploadFile, AdapterApis.CallPlatformApi];

    /// <summary>The platform actions of <c>callPlatformApi</c>.</summary>
    public static readonly IReadOnlyList<string> Actions = ["getGatewayInfo", "refreshToken", "acknowledgeInteraction", "recallMessage", "uploadMedia", "getStatus"];

    private readonly ConcurrentDictionary<string, QQBotInstance> _bots = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private readonly IBotEventSink _sink;
    private readonly ISessionStore _sessions;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Func<string, string?>? _environment;

    public QQBotAdapter(IBotEventSink sink, ISessionStore sessions, ILoggerFactory loggers, TimeProvider? time = null, Func<string, string?>? environment = null)
    {
        _sink = sink;
        _sessions = sessions;
        _loggers = loggers;
        _logger = loggers.CreateLogger("Plugboard.Plugins.QQBot");
        _time = time ?? TimeProvider.System;
        _environment = environment;
    }

    /// <summary>The running bots.</summary>
    public IReadOnlyCollection<QQBotInstance> Bots => [.. _bots.Values];

    /// <summary>A running bot, or null.</summary>
    public QQBotInstance? Find(string botId) => _bots.TryGetValue(botId, out var bot) ? bot : null;

    /// <summary><c>adapter/start</c>: validates the config and starts (or restarts) the bot.</summary>
    public async Task StartAsync(AdapterStartParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (string.IsNullOrEmpty(parameters.BotId))
        {
            throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, "adapter/start needs a botId.");
        }

        if (!string.IsNullOrEmpty(parameters.Platform) && parameters.Platform != InboundNormalizer.Platform)
        {
            throw JsonRpcException.WithData(PlugboardErrorCodes.AdapterNotSupported, $"This plugin implements the '{InboundNormalizer.Platform}' adapter, not '{parameters.Platform}'.", ("platform", parameters.Platform));
        }

        QQBotConfig config;
        try
        {
            config = QQBotConfig.Parse(parameters.Config);
            _ = ProxyResolver.ForHttp(config.Proxy, _environment ?? ProxyResolver.ProcessEnvironment);
        }
        catch (QQBotConfigException ex)
        {
            throw new JsonRpcException(PlugboardErrorCodes.ConfigInvalid, $"Bot {parameters.BotId}: {ex.Message}", ConfigErrors(parameters.BotId, ex.Errors));
        }

        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_bots.TryRemove(parameters.BotId, out var previous))
            {
                await previous.DisposeAsync().ConfigureAwait(false);
            }

            if (_bots.Values.FirstOrDefault(b => b.Config.AppId == config.AppId && b.Config.Shard == config.Shard) is { } twin)
            {
                throw JsonRpcException.WithData(PlugboardErrorCodes.BotInvalid, $"Bot {twin.BotId} already serves QQ app {config.AppId} (shard {config.Shard.Id}/{config.Shard.Count}) in this adapter; one gateway session per app and shard. Stop that bot or use another shard.", ("bot", parameters.BotId));
            }

            var instance = new QQBotInstance(parameters.BotId, config, _sink, _sessions, _loggers, _time, _environment);
            _bots[parameters.BotId] = instance;
            try
            {
                await instance.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is GatewayFatalException or QQApiException or OperationCanceledException)
            {
                _bots.TryRemove(parameters.BotId, out _);
                await instance.DisposeAsync().ConfigureAwait(false);
                throw ex switch
                {
                    GatewayFatalException fatal => GatewayError(parameters.BotId, fatal),
                    QQApiException api => api.ToJsonRpc(parameters.BotId),
                    _ => ex,
                };
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
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary><c>adapter/send</c>.</summary>
    public Task<SendResult> SendAsync(SendParams parameters, CancellationToken cancellationToken)
        => Run(parameters.BotId, bot => bot.SendAsync(parameters.Target, parameters.Chain ?? [], cancellationToken));

    /// <summary><c>adapter/reply</c>.</summary>
    public Task<SendResult> ReplyAsync(ReplyParams parameters, CancellationToken cancellationToken)
        => Run(parameters.BotId, bot => bot.ReplyAsync(parameters.Chat, parameters.MessageId, parameters.Chain ?? [], parameters.Quote, cancellationToken));

    /// <summary><c>adapter/delete</c>: <c>{botId, chat, messageId}</c>.</summary>
    public Task<JsonElement> DeleteAsync(JsonElement parameters, CancellationToken cancellationToken)
        => Run(BotIdOf(parameters), async bot =>
        {
            await bot.RecallAsync(Chat(parameters, "chat"), Required(parameters, "messageId"), cancellationToken).ConfigureAwait(false);
            return Empty;
        });

    /// <summary><c>adapter/uploadFile</c>: <c>{botId, chat, file: media component}</c> → <c>{fileId, fileUuid, ttl}</c>.</summary>
    public Task<JsonElement> UploadFileAsync(JsonElement parameters, CancellationToken cancellationToken)
        => Run(BotIdOf(parameters), bot => bot.UploadAsync(Chat(parameters, "chat"), Media(parameters), cancellationToken));

    /// <summary><c>adapter/callPlatformApi</c>: the actions in <see cref="Actions"/>.</summary>
    public Task<JsonElement> CallPlatformApiAsync(CallPlatformApiParams parameters, CancellationToken cancellationToken)
        => Run(parameters.BotId, async bot =>
        {
            var p = parameters.Params;
            switch (parameters.Action)
            {
                case "getGatewayInfo":
                    var info = await bot.Api.GetGatewayBotAsync(cancellationToken).ConfigureAwait(false);
                    return QQJson.Element(new JsonObject
                    {
                        ["url"] = info.Url,
                        ["shards"] = info.Shards,
                        ["sessionStartLimit"] = new JsonObject { ["total"] = info.Total, ["remaining"] = info.Remaining, ["resetAfterMs"] = (long)info.ResetAfter.TotalMilliseconds, ["maxConcurrency"] = info.MaxConcurrency },
                    });
                case "refreshToken":
                    var expires = await bot.Tokens.RefreshAsync(cancellationToken).ConfigureAwait(false);
                    return QQJson.Element(new JsonObject { ["expiresAt"] = expires.ToString("O", System.Globalization.CultureInfo.InvariantCulture) });
                case "acknowledgeInteraction":
                    var code = p.ValueKind == JsonValueKind.Object && QQJson.Long(p, "code") is { } c ? (int)c : 0;
                    await bot.AcknowledgeInteractionAsync(Required(p, "interactionId"), code, cancellationToken).ConfigureAwait(false);
                    return Empty;
                case "recallMessage":
                    await bot.RecallAsync(Chat(p, "chat"), Required(p, "messageId"), cancellationToken).ConfigureAwait(false);
                    return Empty;
                case "uploadMedia":
                    return await bot.UploadAsync(Chat(p, "chat"), Media(p), cancellationToken).ConfigureAwait(false);
                case "getStatus":
                    return bot.DescribeStatus();
                default:
                    throw JsonRpcException.WithData(PlugboardErrorCodes.AdapterNotSupported, $"The qqbot adapter has no platform action '{parameters.Action}'. It has: {string.Join(", ", Actions)}.", ("action", parameters.Action));
            }
        });

    public async ValueTask DisposeAsync()
    {
        foreach (var botId in _bots.Keys.ToList())
        {
            await StopAsync(botId).ConfigureAwait(false);
        }

        _lifecycle.Dispose();
    }

    private async Task<T> Run<T>(string? botId, Func<QQBotInstance, Task<T>> call)
    {
        if (string.IsNullOrEmpty(botId) || !_bots.TryGetValue(botId, out var bot))
        {
            throw JsonRpcException.WithData(PlugboardErrorCodes.BotNotFound, $"Bot '{botId}' is not running on the qqbot adapter (adapter/start it first; running: {string.Join(", ", _bots.Keys.Order(StringComparer.Ordinal))}).", ("bot", botId));
        }

        try
        {
            return await call(bot).ConfigureAwait(false);
        }
        catch (QQApiException ex)
        {
            throw ex.ToJsonRpc(botId);
        }
    }

    private static JsonRpcException GatewayError(string botId, GatewayFatalException fatal)
    {
        var data = QQJson.Element(new JsonObject { ["platform"] = InboundNormalizer.Platform, ["kind"] = "gatewayStopped", ["bot"] = botId, ["closeCode"] = fatal.CloseCode });
        return new JsonRpcException(PlugboardErrorCodes.PlatformError, $"Bot {botId}: {fatal.Message}", data);
    }

    private static JsonElement ConfigErrors(string botId, IReadOnlyList<string> errors)
    {
        var array = new JsonArray();
        foreach (var error in errors)
        {
            array.Add(error);
        }

        return QQJson.Element(new JsonObject { ["bot"] = botId, ["errors"] = array });
    }

    private static string? BotIdOf(JsonElement parameters) => QQJson.String(parameters, "botId");

    private static string Required(JsonElement parameters, string name)
        => QQJson.String(parameters, name) is { Length: > 0 } value
            ? value
            : throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"The parameter '{name}' is required.");

    private static ChatTarget Chat(JsonElement parameters, string name)
    {
        if (parameters.ValueKind == JsonValueKind.Object && (parameters.TryGetProperty(name, out var value) || parameters.TryGetProperty("target", out value)) && value.ValueKind == JsonValueKind.Object)
        {
            try
            {
                return value.Deserialize(ContractsJsonContext.Default.ChatTarget) ?? throw new JsonException("null");
            }
            catch (JsonException ex)
            {
                throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"The parameter '{name}' must be a chat target {{\"type\":\"person\"|\"group\",\"id\":...}}: {ex.Message}");
            }
        }

        throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"The parameter '{name}' (a chat target {{\"type\":\"person\"|\"group\",\"id\":...}}) is required.");
    }

    /// <summary>A media component from <c>file</c> (a chain component) or from <c>kind</c> + <c>url</c>/<c>base64</c>/<c>fileName</c>.</summary>
    private static MediaComponent Media(JsonElement parameters)
    {
        if (parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty("file", out var file) && file.ValueKind == JsonValueKind.Object)
        {
            try
            {
                return file.Deserialize(ContractsJsonContext.Default.MessageComponent) as MediaComponent
                    ?? throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, "'file' must be an image, voice or file component.");
            }
            catch (JsonException ex)
            {
                throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"'file' is not a message component: {ex.Message}");
            }
        }

        var kind = QQJson.String(parameters, "kind") ?? "file";
        var url = QQJson.String(parameters, "url");
        var base64 = QQJson.String(parameters, "base64");
        var name = QQJson.String(parameters, "fileName");
        return kind switch
        {
            "image" => new ImageComponent(url, base64),
            "voice" => new VoiceComponent(url, base64),
            "video" => new FileComponent(name ?? "video.mp4", url, base64, MimeType: "video/mp4"),
            "file" => new FileComponent(name ?? "file", url, base64),
            _ => throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"'kind' must be image, voice, video or file, not '{kind}'."),
        };
    }

    private static readonly JsonElement Empty = JsonDocument.Parse("{}").RootElement.Clone();
}
