using System.Collections.Concurrent;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Plugins.WebChat;

/// <summary>One entry of a session's history: a user's message or the bot's (complete) answer.</summary>
/// <param name="Id">The message id (user messages: the id emitted in <c>message.received</c>).</param>
/// <param name="Role"><c>user</c> or <c>assistant</c>.</param>
/// <param name="Sender">Who sent it (the bot itself for assistant entries).</param>
/// <param name="Chain">The content.</param>
/// <param name="Timestamp">When it was posted (for streams: when the final chunk arrived).</param>
/// <param name="ReplyTo">The message answered, for replies.</param>
/// <param name="StreamId">The stream it completed, for streamed replies.</param>
internal sealed record HistoryEntry(string Id, string Role, User Sender, IReadOnlyList<MessageComponent> Chain, DateTimeOffset Timestamp, string? ReplyTo = null, string? StreamId = null)
{
    public const string UserRole = "user";
    public const string AssistantRole = "assistant";

    public string Text => string.Concat(Chain.OfType<PlainComponent>().Select(p => p.Text));
}

/// <summary>
/// A conversation: a person's one-to-one chat with the bot (keyed by the user id, shared by that user's tabs) or a
/// group (keyed by the group id, shared by everyone in it). Holds the bounded history and the open connections.
/// </summary>
internal sealed class ChatSession(ChatTarget chat, int historyLimit)
{
    private readonly Lock _historyLock = new();
    private readonly LinkedList<HistoryEntry> _history = new();
    private readonly ConcurrentDictionary<string, ChatConnection> _connections = new(StringComparer.Ordinal);

    public ChatTarget Chat { get; } = chat;

    public string Key => SessionKey(Chat);

    public DateTimeOffset LastActivity { get; private set; } = DateTimeOffset.UtcNow;

    public int ConnectionCount => _connections.Count;

    public ICollection<ChatConnection> Connections => _connections.Values;

    public static string SessionKey(ChatTarget chat) => (chat.Type == ChatType.Group ? "group:" : "person:") + chat.Id;

    public static string TypeName(ChatType type) => type == ChatType.Group ? "group" : "person";

    public void Join(ChatConnection connection)
    {
        _connections[connection.Id] = connection;
        LastActivity = DateTimeOffset.UtcNow;
    }

    public void Leave(ChatConnection connection) => _connections.TryRemove(connection.Id, out _);

    public void Append(HistoryEntry entry)
    {
        LastActivity = DateTimeOffset.UtcNow;
        if (historyLimit == 0)
        {
            return;
        }

        lock (_historyLock)
        {
            _history.AddLast(entry);
            while (_history.Count > historyLimit)
            {
                _history.RemoveFirst();
            }
        }
    }

    public IReadOnlyList<HistoryEntry> History()
    {
        lock (_historyLock)
        {
            return [.. _history];
        }
    }

    public int Reset()
    {
        lock (_historyLock)
        {
            var count = _history.Count;
            _history.Clear();
            return count;
        }
    }

    /// <summary>Queues a frame on every connection of the session.</summary>
    public void Broadcast(byte[] frame)
    {
        foreach (var connection in _connections.Values)
        {
            connection.Enqueue(frame);
        }
    }
}
