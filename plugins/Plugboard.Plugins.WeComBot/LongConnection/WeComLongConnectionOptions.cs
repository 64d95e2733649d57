namespace Plugboard.Plugins.WeComBot.LongConnection;

/// <summary>Settings of one bot's long connection. Defaults follow WeCom's official Node SDK.</summary>
internal sealed class WeComLongConnectionOptions
{
    /// <summary>WeCom's long-connection endpoint.</summary>
    public const string DefaultUrl = "wss://openws.work.weixin.qq.com";

    /// <summary>The WebSocket URL. Default <see cref="DefaultUrl"/>.</summary>
    public Uri Url { get; set; } = new(DefaultUrl);

    /// <summary>The bot id (<c>bot_id</c> of the subscribe frame).</summary>
    public string BotId { get; set; } = string.Empty;

    /// <summary>The bot secret.</summary>
    public string Secret { get; set; } = string.Empty;

    /// <summary>Time between pings after a successful subscribe. Default 30 s.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Unanswered pings after which the connection is treated as dead. Default 2.</summary>
    public int MaxMissedHeartbeats { get; set; } = 2;

    /// <summary>How long to wait for the subscribe ack (and for the socket to open). Default 10 s.</summary>
    public TimeSpan SubscribeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a frame waits for its ack before the next frame of its req_id is sent. Default 5 s.</summary>
    public TimeSpan AckTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>First reconnect delay; doubles per attempt. Default 1 s.</summary>
    public TimeSpan ReconnectBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest reconnect delay. Default 30 s.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Reconnect attempts after a lost connection before giving up (−1: never give up). Default 10.</summary>
    public int MaxReconnectAttempts { get; set; } = 10;

    /// <summary>Subscribe rejections in a row before giving up (−1: never give up). Default 5.</summary>
    public int MaxAuthFailures { get; set; } = 5;

    /// <summary>Retries of a command answered with errcode 6000 (conflict). Default 3.</summary>
    public int ConflictRetries { get; set; } = 3;

    /// <summary>First conflict retry delay; doubles per retry, capped at <see cref="ConflictMaxDelay"/>. Default 200 ms.</summary>
    public TimeSpan ConflictBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest conflict retry delay. Default 2 s.</summary>
    public TimeSpan ConflictMaxDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The exponential backoff before reconnect attempt <paramref name="attempt"/> (1-based): base·2^(n−1), capped.</summary>
    public TimeSpan ReconnectDelay(int attempt) => Backoff(ReconnectBaseDelay, ReconnectMaxDelay, attempt);

    /// <summary>The delay before conflict retry <paramref name="retry"/> (1-based).</summary>
    public TimeSpan ConflictDelay(int retry) => Backoff(ConflictBaseDelay, ConflictMaxDelay, retry);

    private static TimeSpan Backoff(TimeSpan baseDelay, TimeSpan maxDelay, int attempt)
    {
        var factor = Math.Pow(2, Math.Clamp(attempt - 1, 0, 30));
        var ticks = Math.Min(baseDelay.Ticks * factor, maxDelay.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }
}
