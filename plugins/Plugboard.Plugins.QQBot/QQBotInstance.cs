using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Plugboard.Plugins.QQBot.Api;
using Plugboard.Plugins.QQBot.Auth;
using Plugboard.Plugins.QQBot.Configuration;
using Plugboard.Plugins.QQBot.Gateway;
using Plugboard.Plugins.QQBot.Inbound;
using Plugboard.Plugins.QQBot.Outbound;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Plugins.QQBot;

/// <summary>
/// One bot served by the adapter: its own HTTP client (and proxy), access token, gateway session, reply bookkeeping
/// and log tag (<c>[QQBot:&lt;appId&gt;]</c>). Nothing is shared between bots, so two bots in one process never see
/// each other's tokens, sessions or replies.
/// </summary>
internal sealed class QQBotInstance : IAsyncDisposable
{
    private readonly IBotEventSink _sink;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stopping = new();

    public QQBotInstance(string botId, QQBotConfig config, IBotEventSink sink, ISessionStore sessions, ILogger logger, TimeProvider? time = null, Func<string, string?>? environment = null)
    {
        BotId = botId;
        Config = config;
        _sink = sink;
        _time = time ?? TimeProvider.System;
        _logger = logger;
        environment ??= ProxyResolver.ProcessEnvironment;
        var httpProxy = ProxyResolver.ForHttp(config.Proxy, environment);
        var socketProxy = ProxyResolver.ForWebSocket(config.Proxy, environment);
        _http = QQOpenApiClient.CreateHttpClient(httpProxy);
        Tokens = new AccessTokenProvider(config, _http, _time, _logger);
        Api = new QQOpenApiClient(config, _http, Tokens, _logger);
        Tracker = new ReplyTracker(config, _time);
        Media = new MediaUploader(config, Api, _logger);
        Messenger = new QQMessenger(config, Api, Media, Tracker, _logger);
        Gateway = new GatewayClient(botId, config, Api, Tokens, sessions, socketProxy, OnDispatchAsync, OnGatewayFailedAsync, _logger, _time);
        Log.BotCreated(_logger, config.AppId, botId, config.ToString(), DescribeProxy(httpProxy), DescribeProxy(socketProxy));
    }

    /// <summary>The bot id.</summary>
    public string BotId { get; }

    /// <summary>Its configuration.</summary>
    public QQBotConfig Config { get; }

    /// <summary>Its access token.</summary>
    public AccessTokenProvider Tokens { get; }

    /// <summary>Its OpenAPI client.</summary>
    public QQOpenApiClient Api { get; }

    /// <summary>Its gateway session.</summary>
    public GatewayClient Gateway { get; }

    /// <summary>Its passive-reply bookkeeping.</summary>
    public ReplyTracker Tracker { get; }

    /// <summary>Its media uploads.</summary>
    public MediaUploader Media { get; }

    /// <summary>Its message sending.</summary>
    public QQMessenger Messenger { get; }

    /// <summary>Parses a bot's configuration; problems become <see cref="PlugboardErrorCodes.ConfigInvalid"/> listing every field.</summary>
    /// <exception cref="JsonRpcException">The configuration is invalid.</exception>
    public static QQBotConfig ParseConfig(string botId, JsonElement config, Func<string, string?>? environment = null)
    {
        try
        {
            var parsed = QQBotConfig.Parse(config);
            _ = ProxyResolver.ForHttp(parsed.Proxy, environment ?? ProxyResolver.ProcessEnvironment);
            _ = ProxyResolver.ForWebSocket(parsed.Proxy, environment ?? ProxyResolver.ProcessEnvironment);
            return parsed;
        }
        catch (QQBotConfigException ex)
        {
            var errors = new JsonArray();
            foreach (var error in ex.Errors)
            {
                errors.Add(error);
            }

            throw new JsonRpcException(PlugboardErrorCodes.ConfigInvalid, $"Bot {botId}: {ex.Message}", QQJson.Element(new JsonObject { ["bot"] = botId, ["errors"] = errors }));
        }
    }

    /// <summary>
    /// Connects and waits up to <see cref="QQBotConfig.StartTimeout"/> for READY. Fatal problems (bad credentials,
    /// a fatal close code) throw a <see cref="PlugboardErrorCodes.PlatformError"/>; anything slower keeps connecting
    /// in the background.
    /// </summary>
    /// <exception cref="JsonRpcException">The gateway stopped for good, or the platform refused the credentials.</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Gateway.Start();
        if (Config.StartTimeout <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            await Gateway.Ready.WaitAsync(Config.StartTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Log.StillConnecting(_logger, Config.AppId, Config.StartTimeout, Gateway.Status.LastError ?? Gateway.Status.State.ToString());
        }
        catch (GatewayFatalException fatal)
        {
            var data = QQJson.Element(new JsonObject { ["platform"] = InboundNormalizer.Platform, ["kind"] = "gatewayStopped", ["bot"] = BotId, ["closeCode"] = fatal.CloseCode });
            throw new JsonRpcException(PlugboardErrorCodes.PlatformError, $"Bot {BotId}: {fatal.Message}", data, fatal);
        }
    }

    /// <summary>Starts emitting events; call once the host has registered the bot (see <see cref="GatewayClient.EnableDelivery"/>).</summary>
    public void BeginDelivery() => Gateway.EnableDelivery();

    /// <summary><c>adapter/send</c>.</summary>
    public Task<SendResult> SendApiAsync(SendParams parameters, CancellationToken cancellationToken)
        => Call(() => SendAsync(parameters.Target, parameters.Chain ?? [], cancellationToken));

    /// <summary><c>adapter/reply</c>.</summary>
    public Task<SendResult> ReplyApiAsync(ReplyParams parameters, CancellationToken cancellationToken)
        => Call(() => ReplyAsync(parameters.Chat, parameters.MessageId, parameters.Chain ?? [], parameters.Quote, cancellationToken));

    /// <summary><c>adapter/delete</c>: <c>{chat, messageId}</c>.</summary>
    public Task<JsonElement> DeleteApiAsync(JsonElement parameters, CancellationToken cancellationToken)
        => Call(async () =>
        {
            await RecallAsync(AdapterParameters.Chat(parameters, "chat"), AdapterParameters.Required(parameters, "messageId"), cancellationToken).ConfigureAwait(false);
            return AdapterParameters.Empty;
        });

    /// <summary><c>adapter/uploadFile</c>: <c>{chat, file: media component}</c> → <c>{fileId, fileUuid, ttl}</c>.</summary>
    public Task<JsonElement> UploadFileApiAsync(JsonElement parameters, CancellationToken cancellationToken)
        => Call(() => UploadAsync(AdapterParameters.Chat(parameters, "chat"), AdapterParameters.Media(parameters), cancellationToken));

    /// <summary><c>adapter/callPlatformApi</c>: the actions in <see cref="QQBotAdapter.Actions"/>.</summary>
    public Task<JsonElement> CallPlatformApiAsync(string action, JsonElement p, CancellationToken cancellationToken)
        => Call(async () =>
        {
            switch (action)
            {
                case "getGatewayInfo":
                    var info = await Api.GetGatewayBotAsync(Linked(cancellationToken)).ConfigureAwait(false);
                    return QQJson.Element(new JsonObject
                    {
                        ["url"] = info.Url,
                        ["shards"] = info.Shards,
                        ["sessionStartLimit"] = new JsonObject { ["total"] = info.Total, ["remaining"] = info.Remaining, ["resetAfterMs"] = (long)info.ResetAfter.TotalMilliseconds, ["maxConcurrency"] = info.MaxConcurrency },
                    });
                case "refreshToken":
                    var expires = await Tokens.RefreshAsync(Linked(cancellationToken)).ConfigureAwait(false);
                    return QQJson.Element(new JsonObject { ["expiresAt"] = expires.ToString("O", CultureInfo.InvariantCulture) });
                case "acknowledgeInteraction":
                    var code = p.ValueKind == JsonValueKind.Object && QQJson.Long(p, "code") is { } c ? (int)c : 0;
                    await AcknowledgeInteractionAsync(AdapterParameters.Required(p, "interactionId"), code, cancellationToken).ConfigureAwait(false);
                    return AdapterParameters.Empty;
                case "recallMessage":
                    await RecallAsync(AdapterParameters.Chat(p, "chat"), AdapterParameters.Required(p, "messageId"), cancellationToken).ConfigureAwait(false);
                    return AdapterParameters.Empty;
                case "uploadMedia":
                    return await UploadAsync(AdapterParameters.Chat(p, "chat"), AdapterParameters.Media(p), cancellationToken).ConfigureAwait(false);
                case "getStatus":
                    return DescribeStatus();
                default:
                    throw JsonRpcException.WithData(PlugboardErrorCodes.AdapterNotSupported, $"The qqbot adapter has no platform action '{action}'. It has: {string.Join(", ", QQBotAdapter.Actions)}.", ("action", action));
            }
        });

    /// <summary>Sends a chain to a target.</summary>
    public Task<SendResult> SendAsync(ChatTarget target, IReadOnlyList<MessageComponent> chain, CancellationToken cancellationToken)
        => Messenger.SendAsync(QQChat.FromTarget(target), chain, Linked(cancellationToken));

    /// <summary>Replies to a received message.</summary>
    public Task<SendResult> ReplyAsync(ChatTarget chat, string messageId, IReadOnlyList<MessageComponent> chain, bool quote, CancellationToken cancellationToken)
        => Messenger.ReplyAsync(QQChat.FromTarget(chat), messageId, chain, quote, Linked(cancellationToken));

    /// <summary>Recalls a message.</summary>
    public Task RecallAsync(ChatTarget chat, string messageId, CancellationToken cancellationToken)
        => Messenger.RecallAsync(QQChat.FromTarget(chat), messageId, Linked(cancellationToken));

    /// <summary>Uploads media for a chat; returns <c>{fileId, fileUuid, ttl}</c> (fileId is the platform's file_info).</summary>
    public async Task<JsonElement> UploadAsync(ChatTarget chat, MediaComponent media, CancellationToken cancellationToken)
    {
        var uploaded = await Media.UploadAsync(QQChat.FromTarget(chat), media, Linked(cancellationToken)).ConfigureAwait(false);
        return QQJson.Element(new JsonObject { ["fileId"] = uploaded.FileInfo, ["fileInfo"] = uploaded.FileInfo, ["fileUuid"] = uploaded.FileUuid, ["ttl"] = uploaded.Ttl });
    }

    /// <summary>Acknowledges a button click: <c>PUT /interactions/{id}</c> with a code (0 ok, 1 failed, 2 rate limited, 3 duplicate, 4 no permission, 5 admin only).</summary>
    public Task AcknowledgeInteractionAsync(string interactionId, int code, CancellationToken cancellationToken)
        => Api.CallAsync(HttpMethod.Put, "/interactions/" + Uri.EscapeDataString(interactionId), new JsonObject { ["code"] = code }, Linked(cancellationToken));

    /// <summary>The gateway's state and counters as JSON (no token, no secret).</summary>
    public JsonElement DescribeStatus()
    {
        var status = Gateway.Status;
        return QQJson.Element(new JsonObject
        {
            ["botId"] = BotId,
            ["appId"] = Config.AppId,
            ["state"] = status.State.ToString(),
            ["sessionId"] = status.SessionId,
            ["seq"] = status.Seq,
            ["botUserId"] = status.BotUserId,
            ["botUsername"] = status.BotUsername,
            ["lastCloseCode"] = status.LastCloseCode,
            ["lastError"] = status.LastError,
            ["identifies"] = status.Identifies,
            ["resumes"] = status.Resumes,
            ["connections"] = status.Connections,
            ["duplicatesDropped"] = status.DuplicatesDropped,
            ["heartbeatIntervalMs"] = status.HeartbeatInterval is { } interval ? (long)interval.TotalMilliseconds : null,
            ["tokenExpiresAt"] = Tokens.ExpiresAt?.ToString("O", CultureInfo.InvariantCulture),
            ["intents"] = (int)Config.Intents,
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Gateway.DisposeAsync().ConfigureAwait(false);
        _http.Dispose();
        Tokens.Dispose();
        _stopping.Dispose();
        Log.BotStopped(_logger, Config.AppId, BotId);
    }

    private async Task<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (QQApiException ex)
        {
            throw ex.ToJsonRpc(BotId);
        }
    }

    private CancellationToken Linked(CancellationToken cancellationToken) => cancellationToken.CanBeCanceled ? cancellationToken : _stopping.Token;

    private async ValueTask OnDispatchAsync(GatewayDispatch dispatch, CancellationToken cancellationToken)
    {
        var inbound = InboundNormalizer.Normalize(dispatch, Gateway.Status.BotUserId, _time.GetUtcNow());
        Tracker.Register(inbound);
        if (dispatch.Type == "INTERACTION_CREATE" && Config.AutoAcknowledgeInteractions && QQJson.String(dispatch.Data, "id") is { } interactionId)
        {
            // Without the ack the QQ client spins until it times out; acknowledge before anything slow happens.
            try
            {
                await AcknowledgeInteractionAsync(interactionId, 0, cancellationToken).ConfigureAwait(false);
            }
            catch (QQApiException ex)
            {
                Log.InteractionAckFailed(_logger, Config.AppId, interactionId, ex.Message);
            }
        }

        Log.Received(_logger, Config.AppId, dispatch.Type, inbound.Type, dispatch.Seq);
        await _sink.EmitAsync(BotId, inbound.Type, inbound.Data, dispatch.Raw, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask OnGatewayFailedAsync(GatewayFatalException error)
    {
        var data = QQJson.Element(new JsonObject { ["appId"] = Config.AppId, ["closeCode"] = error.CloseCode, ["message"] = error.Message });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _sink.EmitAsync(BotId, InboundNormalizer.PlatformEventType("gateway_stopped"), data, null, timeout.Token).ConfigureAwait(false);
    }

    private static string DescribeProxy(IWebProxy? proxy)
        => proxy is ProxyResolver.ConfiguredProxy configured ? ProxyResolver.Redact(configured.Address.ToString()) : "direct";
}
