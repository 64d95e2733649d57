namespace Plugboard.Plugins.QQBot.Tests.Simulator;

/// <summary>
/// How the QQ platform simulator behaves. Defaults follow the reference (platform-protocols-qq-wecom.md, part A);
/// where the reference marks a behaviour [UNVERIFIED] the option says so, and tests set short intervals.
/// </summary>
public sealed class QQSimulatorOptions
{
    /// <summary>The Hello <c>heartbeat_interval</c>. The platform sends 45000 ms; tests use less.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromMilliseconds(1000);

    /// <summary>
    /// Close with 4009 "Session timed out" after this many heartbeat intervals without a heartbeat (0: never).
    /// [UNVERIFIED] the real timeout; the reference suggests 2 intervals.
    /// </summary>
    public int HeartbeatTimeoutIntervals { get; set; } = 3;

    /// <summary>The access-token lifetime (<c>expires_in</c>, sent as a string). The platform uses 7200 s.</summary>
    public int TokenLifetimeSeconds { get; set; } = 7200;

    /// <summary>The final stretch of a token's life in which a token request returns a new token (60 s on the platform).</summary>
    public int TokenOverlapSeconds { get; set; } = 60;

    /// <summary>Passive-reply window for person (C2C) messages (60 min per the docs; disputed, see part C).</summary>
    public TimeSpan C2CReplyWindow { get; set; } = TimeSpan.FromMinutes(60);

    /// <summary>Passive-reply window for group and guild messages (5 min).</summary>
    public TimeSpan GroupReplyWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Passive replies allowed per message (5).</summary>
    public int MaxRepliesPerMessage { get; set; } = 5;

    /// <summary>Whether proactive messages (no msg_id/event_id) are accepted; discontinued since 2025-04-21, so off.</summary>
    public bool AllowProactive { get; set; }

    /// <summary>How long after a disconnect a session can be resumed. [UNVERIFIED] "a short time".</summary>
    public TimeSpan ResumeWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary><c>session_start_limit.total</c>.</summary>
    public int SessionStartTotal { get; set; } = 1000;

    /// <summary><c>session_start_limit.remaining</c> at start.</summary>
    public int SessionStartRemaining { get; set; } = 999;

    /// <summary><c>session_start_limit.reset_after</c> in ms.</summary>
    public long SessionStartResetAfterMs { get; set; } = 14_400_000;

    /// <summary><c>session_start_limit.max_concurrency</c>.</summary>
    public int SessionStartMaxConcurrency { get; set; } = 1;

    /// <summary>Send op 9 as <c>{"can_resume":false}</c> (LangBot's reading) instead of <c>false</c>. [UNVERIFIED] either form.</summary>
    public bool InvalidSessionAsObject { get; set; }

    /// <summary>The close code after op 9 for unauthorized intents: 4903 as observed (iss/ocq18), or 4014 as documented.</summary>
    public int UnauthorizedIntentsCloseCode { get; set; } = 4903;

    /// <summary>The block size of chunked uploads.</summary>
    public int ChunkBlockSize { get; set; } = 4096;

    /// <summary>How many upload_part_finish calls answer the transient code 40093001 before succeeding.</summary>
    public int RetryablePartFinishes { get; set; }
}
