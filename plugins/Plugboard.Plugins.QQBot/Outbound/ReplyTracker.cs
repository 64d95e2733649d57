using System.Globalization;
using System.Text.RegularExpressions;
using Plugboard.Plugins.QQBot.Api;
using Plugboard.Plugins.QQBot.Configuration;
using Plugboard.Plugins.QQBot.Inbound;

namespace Plugboard.Plugins.QQBot.Outbound;

/// <summary>
/// Passive-reply bookkeeping of one bot: when each received message (or reply-keyed event) arrived, how many replies
/// it has had, and its next <c>msg_seq</c> (increasing per source message, as the platform requires). A reply after
/// the window or beyond the per-message limit fails here with a typed error instead of at the platform.
/// </summary>
internal sealed partial class ReplyTracker
{
    private const int MaxEntries = 20_000;

    private readonly QQBotConfig _config;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<QQChat, Entry> _chatEvents = [];

    public ReplyTracker(QQBotConfig config, TimeProvider time)
    {
        _config = config;
        _time = time;
    }

    /// <summary>Remembers an inbound event that can be replied to.</summary>
    public void Register(NormalizedEvent inbound)
    {
        if (inbound.ReplyId is not { Length: > 0 } id || inbound.Chat is not { } chat)
        {
            return;
        }

        lock (_lock)
        {
            if (_entries.Count >= MaxEntries)
            {
                Prune();
            }

            var entry = new Entry(id, inbound.ReplyIdIsEventId, chat, _time.GetUtcNow());
            _entries[id] = entry;
            if (inbound.ReplyIdIsEventId)
            {
                // FRIEND_ADD, GROUP_ADD_ROBOT, INTERACTION_CREATE: the only way to message the chat without a user message.
                _chatEvents[chat] = entry;
            }
        }
    }

    /// <summary>Reserves <paramref name="count"/> passive replies to <paramref name="messageId"/>.</summary>
    /// <exception cref="QQApiException">The window has passed or the message has no replies left.</exception>
    public ReplyTicket Reserve(string messageId, QQChat chat, int count)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(messageId, out var entry))
            {
                // Not seen by this adapter run (e.g. received before a restart): the platform decides.
                entry = new Entry(messageId, EventIdPattern().IsMatch(messageId), chat, null);
                _entries[messageId] = entry;
            }

            Check(entry, count);
            entry.Replies += count;
            return new ReplyTicket(this, entry);
        }
    }

    /// <summary>Reserves replies keyed to the latest reply-keyed event of a chat (e.g. FRIEND_ADD), if one is still usable.</summary>
    public ReplyTicket? ReserveForChat(QQChat chat, int count)
    {
        lock (_lock)
        {
            if (!_chatEvents.TryGetValue(chat, out var entry) || !Usable(entry, count))
            {
                return null;
            }

            entry.Replies += count;
            return new ReplyTicket(this, entry);
        }
    }

    private bool Usable(Entry entry, int count)
        => (entry.ReceivedAt is not { } at || _time.GetUtcNow() - at <= _config.ReplyWindow(entry.Chat.IsPerson))
            && entry.Replies + count <= _config.MaxRepliesPerMessage;

    private void Check(Entry entry, int count)
    {
        var window = _config.ReplyWindow(entry.Chat.IsPerson);
        if (entry.ReceivedAt is { } at && _time.GetUtcNow() - at > window)
        {
            var age = _time.GetUtcNow() - at;
            throw new QQApiException(
                QQErrorKind.ReplyWindowExpired,
                string.Create(CultureInfo.InvariantCulture, $"Cannot reply to {entry.Id} in {entry.Chat.Describe()}: it arrived {age.TotalSeconds:0} s ago and the passive-reply window is {window.TotalSeconds:0} s ({(entry.Chat.IsPerson ? "c2cReplyWindowSeconds" : "groupReplyWindowSeconds")}). {QQErrorCodes.Advice(QQErrorKind.ReplyWindowExpired, null)}"));
        }

        if (entry.Replies + count > _config.MaxRepliesPerMessage)
        {
            throw new QQApiException(
                QQErrorKind.ReplyLimitReached,
                string.Create(CultureInfo.InvariantCulture, $"Cannot reply to {entry.Id} in {entry.Chat.Describe()}: it already had {entry.Replies} of its {_config.MaxRepliesPerMessage} passive replies and this reply needs {count} message(s). {QQErrorCodes.Advice(QQErrorKind.ReplyLimitReached, null)}"));
        }
    }

    private int TakeSeq(Entry entry)
    {
        lock (_lock)
        {
            return entry.NextSeq++;
        }
    }

    private void Prune()
    {
        var horizon = _time.GetUtcNow() - (_config.C2CReplyWindow > _config.GroupReplyWindow ? _config.C2CReplyWindow : _config.GroupReplyWindow);
        foreach (var key in _entries.Where(e => e.Value.ReceivedAt is not { } at || at < horizon).Select(e => e.Key).ToList())
        {
            _entries.Remove(key);
        }

        foreach (var key in _chatEvents.Where(e => e.Value.ReceivedAt is not { } at || at < horizon).Select(e => e.Key).ToList())
        {
            _chatEvents.Remove(key);
        }

        // Still full of fresh entries (a flood): drop the oldest half.
        if (_entries.Count >= MaxEntries)
        {
            foreach (var key in _entries.OrderBy(e => e.Value.ReceivedAt).Take(MaxEntries / 2).Select(e => e.Key).ToList())
            {
                _entries.Remove(key);
            }
        }
    }

    /// <summary>Event ids look like <c>C2C_MESSAGE_CREATE:abc</c>; message ids like <c>ROBOT1.0_...</c> or hex.</summary>
    [GeneratedRegex("^[A-Z][A-Z0-9_]+:.+$")]
    private static partial Regex EventIdPattern();

    internal sealed class Entry(string id, bool isEventId, QQChat chat, DateTimeOffset? receivedAt)
    {
        public string Id { get; } = id;

        public bool IsEventId { get; } = isEventId;

        public QQChat Chat { get; } = chat;

        public DateTimeOffset? ReceivedAt { get; } = receivedAt;

        public int Replies { get; set; }

        public int NextSeq { get; set; } = 1;
    }

    /// <summary>Permission to send passive replies keyed to one message or event.</summary>
    internal sealed class ReplyTicket
    {
        private readonly ReplyTracker _tracker;
        private readonly Entry _entry;

        internal ReplyTicket(ReplyTracker tracker, Entry entry)
        {
            _tracker = tracker;
            _entry = entry;
        }

        /// <summary>The msg_id or event_id.</summary>
        public string Id => _entry.Id;

        /// <summary>Whether <see cref="Id"/> is sent as <c>event_id</c>.</summary>
        public bool IsEventId => _entry.IsEventId;

        /// <summary>The next msg_seq for this source message.</summary>
        public int NextSeq() => _tracker.TakeSeq(_entry);
    }
}
