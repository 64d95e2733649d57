using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Sdk.Adapters;

namespace Plugboard.Plugins.WebChat;

/// <summary>
/// The state of one web chat bot, independent of HTTP: sessions with their history and connections, streams in
/// progress, and the conversions between chat traffic and events/adapter calls.
/// </summary>
internal sealed class WebChatBot
{
    private const int MaxSessions = 10_000;
    private static readonly TimeSpan AbandonedStreamAge = TimeSpan.FromMinutes(10);

    private readonly BotContext _bot;
    private readonly WebChatOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, ChatSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StreamState> _streams = new(StringComparer.Ordinal);
    private readonly string _idPrefix = Guid.NewGuid().ToString("N")[..6];
    private long _nextId;
    private int _connections;

    public WebChatBot(BotContext bot, WebChatOptions options)
    {
        _bot = bot;
        _options = options;
        _logger = bot.Logger;
        BotUser = new User(bot.BotId, options.Title, IsBot: true);
    }

    public string BotId => _bot.BotId;

    public string Title => _options.Title;

    public bool TokenRequired => !string.IsNullOrEmpty(_options.Token);

    public User BotUser { get; }

    public int ConnectionCount => Volatile.Read(ref _connections);

    public ILogger Logger => _logger;

    public CancellationToken Stopping => _bot.Stopping;

    public IEnumerable<ChatSession> Sessions => _sessions.Values;

    public ChatSession GetSession(ChatTarget chat)
    {
        var key = ChatSession.SessionKey(chat);
        if (_sessions.TryGetValue(key, out var session))
        {
            return session;
        }

        if (_sessions.Count >= MaxSessions)
        {
            EvictIdleSession();
        }

        return _sessions.GetOrAdd(key, _ => new ChatSession(chat, (int)_options.HistoryLimit));
    }

    public bool TryFindSession(ChatTarget chat, out ChatSession session) => _sessions.TryGetValue(ChatSession.SessionKey(chat), out session!);

    public bool TryAddConnection()
    {
        if (Interlocked.Increment(ref _connections) > _options.MaxConnections)
        {
            Interlocked.Decrement(ref _connections);
            return false;
        }

        return true;
    }

    public void RemoveConnection() => Interlocked.Decrement(ref _connections);

    public string NewId(string kind) => $"{kind}-{_idPrefix}-{Interlocked.Increment(ref _nextId)}";

    /// <summary>Records a user's message, shows it to the session and emits <c>message.received</c>.</summary>
    public async Task PostUserMessageAsync(ChatConnection connection, MessageComponent[] chain, JsonElement raw, string? clientId)
    {
        var session = connection.Session;
        var id = NewId("m");
        var now = DateTimeOffset.UtcNow;
        var entry = new HistoryEntry(id, HistoryEntry.UserRole, connection.User, chain, now);
        session.Append(entry);
        session.Broadcast(Frames.Message(entry, clientId));

        var chat = session.Chat;
        var isGroup = chat.Type == ChatType.Group;
        var data = new MessageEventData(
            id,
            chat,
            connection.User,
            [new SourceComponent(id, now), .. chain],
            isGroup ? new Group(chat.Id, chat.Id, session.ConnectionCount) : null,
            isGroup ? new GroupMember(connection.User) : null);
        try
        {
            var record = await _bot.EmitMessageReceivedAsync(data, raw, _bot.Stopping);
            connection.Enqueue(Frames.Routed(id, record));
        }
        catch (Exception ex) when (ex is JsonRpcException or JsonRpcConnectionLostException or InvalidOperationException or OperationCanceledException)
        {
            Log.EmitFailed(_logger, BotId, id, ex.Message);
            connection.Enqueue(Frames.Error("emit_failed", $"The message was not delivered to the bot's handlers: {ex.Message}", clientId));
        }
    }

    /// <summary><c>adapter/reply</c>: the answer goes to the conversation of the message replied to.</summary>
    public SendResult Reply(ReplyParams request) => Post(request.Chat, request.Chain, request.MessageId);

    /// <summary><c>adapter/send</c>: a message the bot starts itself.</summary>
    public SendResult Send(SendParams request) => Post(request.Target, request.Chain, replyTo: null);

    /// <summary><c>adapter/replyStream</c>: one chunk; the final one completes the history entry.</summary>
    public SendResult ReplyStream(ReplyStreamParams chunk)
    {
        ArgumentException.ThrowIfNullOrEmpty(chunk.StreamId);
        ArgumentNullException.ThrowIfNull(chunk.Chat);
        if (!_streams.TryGetValue(chunk.StreamId, out var state))
        {
            PurgeAbandonedStreams();
            state = _streams.GetOrAdd(chunk.StreamId, _ => new StreamState(NewId("b"), GetSession(chunk.Chat), chunk.MessageId));
        }

        string content;
        lock (state)
        {
            if (state.Completed)
            {
                throw new ArgumentException($"Stream {chunk.StreamId} already received its final chunk.", nameof(chunk));
            }

            state.Text.Append(chunk.Text);
            content = state.Text.ToString();
            state.Completed = chunk.Final;
        }

        IReadOnlyList<MessageComponent>? chain = chunk.Final ? [new PlainComponent(content)] : null;
        state.Session.Broadcast(Frames.Response(state.Id, chunk.MessageId, chunk.StreamId, chunk.Text ?? string.Empty, content, chain, chunk.Final));
        if (chunk.Final)
        {
            _streams.TryRemove(chunk.StreamId, out _);
            state.Session.Append(new HistoryEntry(state.Id, HistoryEntry.AssistantRole, BotUser, chain!, DateTimeOffset.UtcNow, chunk.MessageId, chunk.StreamId));
        }

        return new SendResult(state.Id);
    }

    /// <summary>Clears a session's history, tells its connections, and emits <c>platform.webchat.session_reset</c>.</summary>
    public int ResetSession(ChatSession session)
    {
        var cleared = session.Reset();
        session.Broadcast(Frames.Reset(session.Chat, cleared));
        Log.SessionReset(_logger, BotId, session.Key, cleared);
        _ = EmitQuietlyAsync(EventTypes.Platform(WebChatAdapter.Platform, "session_reset"), new SessionResetData(ChatSession.TypeName(session.Chat.Type), session.Chat.Id, cleared));
        return cleared;
    }

    /// <summary>Pushes a notice to every open connection; returns how many received it.</summary>
    public int Broadcast(string text)
    {
        var frame = Frames.Notice(text);
        var count = 0;
        foreach (var session in _sessions.Values)
        {
            foreach (var connection in session.Connections)
            {
                connection.Enqueue(frame);
                count++;
            }
        }

        return count;
    }

    /// <summary>Emits a platform event without failing the caller (the runtime may be busy or gone).</summary>
    public async Task EmitQuietlyAsync<T>(string type, T data)
    {
        try
        {
            await Task.Yield();
            await _bot.EmitAsync(type, data, cancellationToken: _bot.Stopping);
        }
        catch (Exception ex) when (ex is JsonRpcException or JsonRpcConnectionLostException or InvalidOperationException or OperationCanceledException)
        {
            Log.EmitFailed(_logger, BotId, type, ex.Message);
        }
    }

    private SendResult Post(ChatTarget chat, IReadOnlyList<MessageComponent> chain, string? replyTo)
    {
        ArgumentNullException.ThrowIfNull(chat);
        ArgumentNullException.ThrowIfNull(chain);
        var session = GetSession(chat);
        var id = NewId("b");
        var entry = new HistoryEntry(id, HistoryEntry.AssistantRole, BotUser, chain, DateTimeOffset.UtcNow, replyTo);
        session.Append(entry);
        var text = entry.Text;
        session.Broadcast(Frames.Response(id, replyTo, null, text, text, chain, isFinal: true));
        return new SendResult(id);
    }

    private void PurgeAbandonedStreams()
    {
        var cutoff = DateTimeOffset.UtcNow - AbandonedStreamAge;
        foreach (var (streamId, state) in _streams)
        {
            if (state.Started < cutoff)
            {
                _streams.TryRemove(streamId, out _);
            }
        }
    }

    private void EvictIdleSession()
    {
        var idle = _sessions.Values.Where(s => s.ConnectionCount == 0).MinBy(s => s.LastActivity);
        if (idle is not null)
        {
            _sessions.TryRemove(idle.Key, out _);
        }
    }

    private sealed class StreamState(string id, ChatSession session, string replyTo)
    {
        public string Id { get; } = id;

        public ChatSession Session { get; } = session;

        public string ReplyTo { get; } = replyTo;

        public StringBuilder Text { get; } = new();

        public DateTimeOffset Started { get; } = DateTimeOffset.UtcNow;

        public bool Completed { get; set; }
    }
}

/// <summary>Data of <c>platform.webchat.session_reset</c>.</summary>
/// <param name="SessionType"><c>person</c> or <c>group</c>.</param>
/// <param name="SessionId">The user id (person) or group id (group).</param>
/// <param name="Cleared">How many history entries were removed.</param>
internal sealed record SessionResetData(string SessionType, string SessionId, int Cleared);

/// <summary>Data of <c>platform.webchat.listening</c>.</summary>
/// <param name="Url">The chat page address.</param>
/// <param name="Host">The address bound.</param>
/// <param name="Port">The port bound.</param>
/// <param name="TokenRequired">Whether the page and socket need the bot's token.</param>
internal sealed record ListeningData(string Url, string Host, int Port, bool TokenRequired);
