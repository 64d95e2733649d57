using System.Text;
using System.Text.Json.Nodes;
using Plugboard.Plugins.WeComBot.Messages;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Plugins.WeComBot.Adapter;

/// <summary>What kind of callback a context answers.</summary>
internal enum CallbackKind
{
    /// <summary>A user message (<c>aibot_msg_callback</c>): answered with streams.</summary>
    Message,

    /// <summary><c>enter_chat</c>: answered with one welcome within 5 s.</summary>
    EnterChat,

    /// <summary><c>template_card_event</c>: answered with one card update within 5 s.</summary>
    TemplateCardEvent,

    /// <summary>Any other event: nothing to answer.</summary>
    OtherEvent,
}

/// <summary>
/// A received callback that can still be answered: its req_id (long connection), its conversation and its streams.
/// Kept for the reply window (about 6 minutes) and then dropped.
/// </summary>
internal sealed class CallbackContext(string messageId, string reqId, ChatTarget chat, CallbackKind kind, DateTimeOffset receivedAt)
{
    private readonly Dictionary<string, StreamReply> _byRuntimeStream = new(StringComparer.Ordinal);

    /// <summary>The WeCom msgid.</summary>
    public string MessageId { get; } = messageId;

    /// <summary>The callback's req_id (long connection; empty in webhook mode).</summary>
    public string ReqId { get; } = reqId;

    /// <summary>The conversation.</summary>
    public ChatTarget Chat { get; } = chat;

    /// <summary>The callback kind.</summary>
    public CallbackKind Kind { get; } = kind;

    /// <summary>When it arrived.</summary>
    public DateTimeOffset ReceivedAt { get; } = receivedAt;

    /// <summary>Guards the context's mutable state.</summary>
    public Lock Sync { get; } = new();

    /// <summary>Webhook mode: the stream announced in the callback's HTTP answer, until a reply binds to it.</summary>
    public StreamReply? Announced { get; set; }

    /// <summary>Webhook mode: completed with the welcome or card-update body the HTTP answer carries.</summary>
    public TaskCompletionSource<JsonObject?> SyncAnswer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Whether the one-shot answer (welcome, card update) has been given.</summary>
    public bool Answered { get; set; }

    /// <summary>Streams of this callback by the runtime's stream id (call under <see cref="Sync"/>).</summary>
    public IDictionary<string, StreamReply> Streams => _byRuntimeStream;

    /// <summary>The newest stream not yet finished (call under <see cref="Sync"/>).</summary>
    public StreamReply? OpenStream => _byRuntimeStream.Values.LastOrDefault(s => !s.Finished);
}

/// <summary>
/// One streamed reply. Each update carries the full text so far (WeCom replaces what it shows); the last one has
/// <c>finish: true</c> and may carry images. Versions let concurrent updates share one frame: whoever sends sends the
/// newest snapshot, and updates already covered by an acked frame return at once.
/// </summary>
internal sealed class StreamReply(string id, CallbackContext context, DateTimeOffset createdAt)
{
    private readonly StringBuilder _content = new();
    private readonly List<JsonObject> _images = [];

    /// <summary>WeCom's stream id (chosen by the adapter).</summary>
    public string Id { get; } = id;

    /// <summary>The callback it answers.</summary>
    public CallbackContext Context { get; } = context;

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; } = createdAt;

    /// <summary>Serializes frame sends of this stream.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>Guards the content and versions.</summary>
    public Lock Sync { get; } = new();

    /// <summary>Whether the final update has been given.</summary>
    public bool Finished { get; private set; }

    /// <summary>Whether the content was cut to WeCom's 20480-byte limit.</summary>
    public bool Truncated { get; private set; }

    /// <summary>Bumped by each update.</summary>
    public int Version { get; private set; }

    /// <summary>The newest version WeCom has acked (long connection) or been served (webhook).</summary>
    public int DeliveredVersion { get; set; }

    /// <summary>Whether a frame has gone out (the feedback id rides only on the first).</summary>
    public bool FirstSent { get; set; }

    /// <summary>Set when WeCom reported the stream expired; later updates fail at once.</summary>
    public string? ExpiredReason { get; set; }

    /// <summary>Webhook mode: whether the finished snapshot has been served to a refresh poll.</summary>
    public bool FinalServed { get; set; }

    /// <summary>The content so far.</summary>
    public string Content
    {
        get
        {
            lock (Sync)
            {
                return _content.ToString();
            }
        }
    }

    /// <summary>Appends text (and, on the final update, images); returns the new version.</summary>
    /// <exception cref="InvalidOperationException">The stream is already finished.</exception>
    public int Append(string text, bool final, IEnumerable<JsonObject>? images = null)
    {
        lock (Sync)
        {
            if (Finished)
            {
                throw new InvalidOperationException($"Stream {Id} is already finished; start a new stream id to send more.");
            }

            // Once the content hit WeCom's limit, later text is dropped rather than squeezed into the last bytes.
            if (!Truncated)
            {
                _content.Append(text);
                var cut = Utf8Text.Truncate(_content.ToString(), WeComBotSettings.StreamContentLimit, out var truncated);
                if (truncated)
                {
                    _content.Clear().Append(cut);
                    Truncated = true;
                }
            }

            if (final)
            {
                Finished = true;
                if (images is not null)
                {
                    _images.AddRange(images);
                }
            }

            return ++Version;
        }
    }

    /// <summary>The reply body of the current snapshot: <c>{"msgtype":"stream","stream":{id,finish,content,msg_item?,feedback?}}</c>.</summary>
    /// <param name="feedbackId">The feedback id for the first frame, or null.</param>
    /// <param name="showContent">False to send an empty snapshot until the stream finishes (streaming off).</param>
    /// <param name="version">Receives the snapshot's version.</param>
    public JsonObject Body(string? feedbackId, bool showContent, out int version)
    {
        lock (Sync)
        {
            version = Version;
            var stream = new JsonObject
            {
                ["id"] = Id,
                ["finish"] = Finished,
                ["content"] = showContent || Finished ? _content.ToString() : string.Empty,
            };
            if (Finished && _images.Count > 0)
            {
                stream["msg_item"] = new JsonArray([.. _images.Select(i => (JsonNode)i.DeepClone())]);
            }

            if (feedbackId is not null)
            {
                stream["feedback"] = new JsonObject { ["id"] = feedbackId };
            }

            return new JsonObject { ["msgtype"] = "stream", ["stream"] = stream };
        }
    }
}
