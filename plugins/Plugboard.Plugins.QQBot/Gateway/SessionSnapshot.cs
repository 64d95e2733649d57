namespace Plugboard.Plugins.QQBot.Gateway;

/// <summary>
/// A gateway session as persisted in plugin storage, so a restarted adapter resumes instead of identifying again.
/// <see cref="Seq"/> is the sequence of the last event delivered to the runtime (not merely received), so a resume
/// replays whatever was received but not delivered; <see cref="RecentEventIds"/> dedupes the replay.
/// </summary>
/// <param name="AppId">The app the session belongs to.</param>
/// <param name="SessionId">The gateway session id.</param>
/// <param name="Seq">The last delivered sequence.</param>
/// <param name="Intents">The intents the session was identified with.</param>
/// <param name="ShardId">The shard.</param>
/// <param name="ShardCount">The shard count.</param>
/// <param name="BotUserId">The bot's user id from READY.</param>
/// <param name="BotUsername">The bot's name from READY.</param>
/// <param name="SavedAt">When it was saved.</param>
/// <param name="RecentEventIds">The ids of the last delivered events.</param>
internal sealed record SessionSnapshot(
    string AppId,
    string SessionId,
    long Seq,
    int Intents,
    int ShardId,
    int ShardCount,
    string? BotUserId,
    string? BotUsername,
    DateTimeOffset SavedAt,
    IReadOnlyList<string> RecentEventIds);

/// <summary>Where sessions are kept between adapter runs (plugin storage in the plugin; memory in tests).</summary>
internal interface ISessionStore
{
    /// <summary>The saved session of a bot, if any.</summary>
    Task<SessionSnapshot?> LoadAsync(string botId, CancellationToken cancellationToken);

    /// <summary>Saves the session of a bot.</summary>
    Task SaveAsync(string botId, SessionSnapshot snapshot, CancellationToken cancellationToken);

    /// <summary>Forgets the session of a bot.</summary>
    Task DeleteAsync(string botId, CancellationToken cancellationToken);
}

/// <summary>Sessions in memory (tests; plugins started without a runtime).</summary>
internal sealed class InMemorySessionStore : ISessionStore
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SessionSnapshot> _sessions = new(StringComparer.Ordinal);

    public Task<SessionSnapshot?> LoadAsync(string botId, CancellationToken cancellationToken)
        => Task.FromResult(_sessions.TryGetValue(botId, out var snapshot) ? snapshot : null);

    public Task SaveAsync(string botId, SessionSnapshot snapshot, CancellationToken cancellationToken)
    {
        _sessions[botId] = snapshot;
        return Task.CompletedTask;
    }

    public Task DeleteAsync(string botId, CancellationToken cancellationToken)
    {
        _sessions.TryRemove(botId, out _);
        return Task.CompletedTask;
    }
}
