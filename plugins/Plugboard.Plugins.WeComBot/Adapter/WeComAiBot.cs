using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Plugboard.Plugins.WeComBot.Crypto;
using Plugboard.Plugins.WeComBot.LongConnection;
using Plugboard.Plugins.WeComBot.Messages;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Plugins.WeComBot.Adapter;

/// <summary>Emits an event into the runtime for a bot: type, data, and the platform's raw payload.</summary>
internal delegate Task WeComEventEmitter(string type, JsonElement data, JsonElement? raw, CancellationToken cancellationToken);

/// <summary>
/// One WeCom AI bot served by the adapter: its long connection or webhook state, the callbacks it can still answer,
/// and its streamed replies. Each bot's state is its own; several bots share an adapter process.
/// </summary>
internal sealed partial class WeComAiBot : IAsyncDisposable
{
    /// <summary>The adapter platform name.</summary>
    public const string Platform = "wecombot";

    private const int MaxContexts = 10_000;

    private readonly WeComEventEmitter _emit;
    private readonly ILogger _logger;
    private readonly WeComInbound _inbound;
    private readonly WeComOutbound _outbound;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, CallbackContext> _contexts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StreamReply> _streams = new(StringComparer.Ordinal);
    private readonly WeComLongConnection? _connection;
    private readonly WeComMessageCrypto? _crypto;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Timer _sweeper;

    /// <summary>Creates a bot (not started).</summary>
    /// <param name="id">The Plugboard bot id.</param>
    /// <param name="settings">Its validated settings.</param>
    /// <param name="emit">Emits its events into the runtime.</param>
    /// <param name="http">Downloads media and fetches outbound images.</param>
    /// <param name="logger">The logger; every message names the bot.</param>
    /// <param name="time">The clock (tests may pass their own).</param>
    public WeComAiBot(string id, WeComBotSettings settings, WeComEventEmitter emit, HttpClient http, ILogger logger, TimeProvider? time = null)
    {
        Id = id;
        Settings = settings;
        _emit = emit;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _inbound = new WeComInbound(new WeComMediaDownloader(http, settings.MaxMediaBytes));
        _outbound = new WeComOutbound(http);
        if (settings.Mode == WeComBotMode.LongConnection)
        {
            _connection = new WeComLongConnection(settings.ToConnectionOptions(), OnFrameAsync, logger, id);
        }
        else
        {
            _crypto = new WeComMessageCrypto(settings.Token, settings.EncodingAesKey, string.Empty, settings.CorpId);
        }

        var sweep = settings.ReplyWindow < TimeSpan.FromSeconds(30) ? settings.ReplyWindow : TimeSpan.FromSeconds(30);
        _sweeper = new Timer(_ => Sweep(), null, sweep, sweep);
    }

    /// <summary>The Plugboard bot id.</summary>
    public string Id { get; }

    /// <summary>The settings.</summary>
    public WeComBotSettings Settings { get; }

    /// <summary>The long connection (long-connection mode only).</summary>
    public WeComLongConnection? Connection => _connection;

    /// <summary>The webhook URL WeCom should call, once the endpoint is listening (webhook mode only).</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>Callbacks that can still be answered.</summary>
    public int ContextCount => _contexts.Count;

    /// <summary>Streams not yet delivered in full.</summary>
    public int OpenStreamCount => _streams.Count;

    /// <summary>Starts the long connection (webhook mode: the host registers the endpoint).</summary>
    public void Start()
    {
        _connection?.Start();
        WeComLog.BotStarted(_logger, Id, Settings.Mode == WeComBotMode.LongConnection ? "long-connection" : "webhook", Settings.ModeReason);
    }

    /// <summary>Stops the bot: closes the long connection and drops its state.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _sweeper.DisposeAsync().ConfigureAwait(false);
        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var context in _contexts.Values)
        {
            context.SyncAnswer.TrySetResult(null);
        }

        // _stopping is cancelled, not disposed: callbacks still in flight may read its token.
        _contexts.Clear();
        _streams.Clear();
        WeComLog.BotStopped(_logger, Id);
    }

    /// <summary>Drops callbacks older than the reply window, and streams with them.</summary>
    internal void Sweep()
    {
        var now = _time.GetUtcNow();
        foreach (var (key, context) in _contexts)
        {
            if (now - context.ReceivedAt > Settings.ReplyWindow)
            {
                _contexts.TryRemove(key, out _);
                context.SyncAnswer.TrySetResult(null);
            }
        }

        foreach (var (key, stream) in _streams)
        {
            if (now - stream.CreatedAt > Settings.ReplyWindow)
            {
                _streams.TryRemove(key, out _);
            }
        }

        if (_contexts.Count > MaxContexts)
        {
            foreach (var context in _contexts.Values.OrderBy(c => c.ReceivedAt).Take(_contexts.Count - MaxContexts))
            {
                _contexts.TryRemove(context.MessageId, out _);
            }
        }
    }

    private static string NewStreamId() => $"stream_{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";

    private async ValueTask OnFrameAsync(JsonObject frame)
    {
        var cmd = WeComFrames.Cmd(frame);
        var reqId = WeComFrames.ReqId(frame);
        if (frame["body"] is not JsonObject body || WeComFrames.Text(body, "msgtype") is null)
        {
            WeComLog.NoMsgType(_logger, Id);
            return;
        }

        if (cmd == WeComCommands.MessageCallback)
        {
            if (AcceptMessage(body, reqId) is { } context)
            {
                await EmitMessageAsync(context, body, _stopping.Token).ConfigureAwait(false);
            }
        }
        else if (cmd == WeComCommands.EventCallback)
        {
            await HandleEventAsync(body, reqId, _stopping.Token).ConfigureAwait(false);
        }
    }

    /// <summary>Registers a message callback; null for a duplicate msgid.</summary>
    private CallbackContext? AcceptMessage(JsonObject body, string reqId)
    {
        var messageId = WeComFrames.Text(body, "msgid") ?? Guid.NewGuid().ToString("N");
        var context = new CallbackContext(messageId, reqId, WeComInbound.ChatOf(body), CallbackKind.Message, _time.GetUtcNow());
        if (!_contexts.TryAdd(messageId, context))
        {
            WeComLog.DuplicateMessage(_logger, Id, messageId);
            return null;
        }

        if (_contexts.Count > MaxContexts)
        {
            Sweep();
        }

        return context;
    }

    private async Task EmitMessageAsync(CallbackContext context, JsonObject body, CancellationToken cancellationToken)
    {
        var failures = new List<MediaFailure>();
        var fallbackKey = Settings.Mode == WeComBotMode.Webhook ? Settings.EncodingAesKey : null;
        var data = await _inbound.ConvertAsync(body, fallbackKey, failures, cancellationToken).ConfigureAwait(false);
        foreach (var failure in failures)
        {
            WeComLog.MediaFailed(_logger, Id, failure.Kind, context.MessageId, failure.Error);
        }

        await EmitAsync(EventTypes.MessageReceived, JsonSerializer.SerializeToElement(data, ContractsJsonContext.Default.MessageEventData), body, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Handles an event callback; returns its context when it can be answered (enter_chat, template card).</summary>
    private async Task<CallbackContext?> HandleEventAsync(JsonObject body, string reqId, CancellationToken cancellationToken, bool emitInBackground = false)
    {
        var eventType = WeComFrames.Text(body, "event", "eventtype") ?? string.Empty;
        var messageId = WeComFrames.Text(body, "msgid") ?? Guid.NewGuid().ToString("N");
        var sender = WeComInbound.SenderOf(body);
        var chat = WeComInbound.ChatOf(body);
        WeComLog.EventReceived(_logger, Id, eventType, messageId);
        CallbackContext? context = null;
        string type;
        JsonObject data;
        switch (eventType)
        {
            case "enter_chat":
                context = new CallbackContext(messageId, reqId, chat, CallbackKind.EnterChat, _time.GetUtcNow());
                if (!_contexts.TryAdd(messageId, context))
                {
                    return null;
                }

                if (Settings.WelcomeText.Length > 0)
                {
                    // The welcome must reach WeCom within 5 s: send it before the event is routed.
                    try
                    {
                        await AnswerWelcomeAsync(context, TextBody(Settings.WelcomeText), cancellationToken).ConfigureAwait(false);
                    }
                    catch (AdapterException)
                    {
                        // Logged; the event is still routed.
                    }
                }

                type = EventTypes.Platform(Platform, "enter_chat");
                data = PlatformData(messageId, eventType, sender, chat, body);
                break;
            case "template_card_event":
                context = new CallbackContext(messageId, reqId, chat, CallbackKind.TemplateCardEvent, _time.GetUtcNow());
                if (!_contexts.TryAdd(messageId, context))
                {
                    return null;
                }

                type = EventTypes.Platform(Platform, "template_card_event");
                data = PlatformData(messageId, eventType, sender, chat, body);
                var card = body["event"]?["template_card_event"] as JsonObject ?? body["event"] as JsonObject;
                data["eventKey"] = WeComFrames.Text(card, "event_key");
                data["taskId"] = WeComFrames.Text(card, "task_id");
                data["cardType"] = WeComFrames.Text(card, "card_type");
                if (card?["selected_items"] is { } selected)
                {
                    data["selectedItems"] = selected.DeepClone();
                }

                break;
            case "feedback_event":
                var feedback = body["event"]?["feedback_event"] as JsonObject ?? body["event"] as JsonObject;
                var kind = feedback?["type"] is JsonValue v && v.TryGetValue<int>(out var t) ? t switch { 1 => "like", 2 => "dislike", 3 => "cancel", _ => "unknown" } : "unknown";
                var comment = WeComFrames.Text(feedback, "content");
                var feedbackData = new FeedbackData(WeComFrames.Text(feedback, "id") ?? string.Empty, sender, kind, string.IsNullOrEmpty(comment) ? null : comment, chat);
                await EmitAsync(EventTypes.FeedbackReceived, JsonSerializer.SerializeToElement(feedbackData, ContractsJsonContext.Default.FeedbackData), body, cancellationToken).ConfigureAwait(false);
                return null;
            case "disconnected_event":
                type = EventTypes.Platform(Platform, "disconnected");
                data = PlatformData(messageId, eventType, sender, chat, body);
                data["reason"] = "WeCom closed this connection because another one subscribed with the same bot id; the adapter does not reconnect.";
                break;
            default:
                type = EventTypes.Platform(Platform, EventNamePattern().IsMatch(eventType) ? eventType : "event");
                data = PlatformData(messageId, eventType, sender, chat, body);
                break;
        }

        var emission = EmitAsync(type, JsonSerializer.SerializeToElement(data, WeComJson.Context.JsonObject), body, cancellationToken);
        if (!emitInBackground)
        {
            await emission.ConfigureAwait(false);
        }

        return context;
    }

    private static JsonObject PlatformData(string messageId, string eventType, User sender, ChatTarget chat, JsonObject body) => new()
    {
        ["messageId"] = messageId,
        ["eventType"] = eventType,
        ["user"] = new JsonObject { ["id"] = sender.Id },
        ["chat"] = new JsonObject { ["type"] = chat.Type == ChatType.Group ? "group" : "person", ["id"] = chat.Id },
        ["corpId"] = WeComFrames.Text(body, "from", "corpid"),
        ["aibotId"] = WeComFrames.Text(body, "aibotid"),
    };

    private static JsonObject TextBody(string text) => new() { ["msgtype"] = "text", ["text"] = new JsonObject { ["content"] = text } };

    private async Task EmitAsync(string type, JsonElement data, JsonObject raw, CancellationToken cancellationToken)
    {
        try
        {
            await _emit(type, data, JsonSerializer.SerializeToElement(raw, WeComJson.Context.JsonObject), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            WeComLog.EmitFailed(_logger, Id, type, ex.Message);
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,63}$")]
    private static partial Regex EventNamePattern();
}
