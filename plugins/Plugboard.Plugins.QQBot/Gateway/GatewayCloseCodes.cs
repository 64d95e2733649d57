using System.Globalization;

namespace Plugboard.Plugins.QQBot.Gateway;

/// <summary>What the adapter does after the gateway closed the connection.</summary>
internal enum CloseAction
{
    /// <summary>Reconnect and resume the session (events missed meanwhile are replayed).</summary>
    Resume,

    /// <summary>Reconnect and resume after a long pause (4008: payloads sent too fast).</summary>
    ResumeAfterPause,

    /// <summary>Fetch a new access token, then reconnect (and resume if a session exists).</summary>
    RefreshToken,

    /// <summary>Drop the session and identify again.</summary>
    Identify,

    /// <summary>Stop for good: reconnecting cannot help until someone changes something.</summary>
    Stop,
}

/// <summary>One row of the close-code table.</summary>
/// <param name="Code">The close code.</param>
/// <param name="Meaning">What the platform means by it.</param>
/// <param name="Action">What the adapter does.</param>
/// <param name="Advice">What a person should do (for fatal codes).</param>
internal sealed record CloseCodeInfo(int? Code, string Meaning, CloseAction Action, string? Advice = null)
{
    /// <summary>A description for log lines and errors, e.g. <c>4014 (intent not authorized)</c>.</summary>
    public string Describe() => Code is { } code ? string.Create(CultureInfo.InvariantCulture, $"{code} ({Meaning})") : Meaning;
}

/// <summary>
/// The gateway close codes and what each one means for reconnecting, as the platform documents them
/// (reference A6): 4009 resumes, 4006/4007 and 4900-4913 identify again, 4914/4915 and the protocol/intents errors
/// stop for good. 4004 (authentication failed, from botpy and botgo) refetches the token. Anything else — network
/// drops, 1000/1001, unknown codes — resumes when a session exists.
/// </summary>
internal static class GatewayCloseCodes
{
    private static readonly Dictionary<int, CloseCodeInfo> Table = new()
    {
        [4000] = new(4000, "unknown error", CloseAction.Resume),
        [4001] = new(4001, "invalid opcode", CloseAction.Stop, "The adapter sent an opcode the gateway does not know; this is a bug in the adapter, please report it."),
        [4002] = new(4002, "invalid payload", CloseAction.Stop, "The adapter sent a payload the gateway could not read; this is a bug in the adapter, please report it."),
        [4003] = new(4003, "not authenticated", CloseAction.Identify),
        [4004] = new(4004, "authentication failed", CloseAction.RefreshToken),
        [4005] = new(4005, "already authenticated", CloseAction.Identify),
        [4006] = new(4006, "invalid session id, cannot resume", CloseAction.Identify),
        [4007] = new(4007, "invalid sequence on resume", CloseAction.Identify),
        [4008] = new(4008, "payloads sent too fast", CloseAction.ResumeAfterPause),
        [4009] = new(4009, "session timed out", CloseAction.Resume),
        [4010] = new(4010, "invalid shard", CloseAction.Stop, "Fix shardId/shardCount in the bot's configuration (shardId must be below shardCount)."),
        [4011] = new(4011, "too many guilds, sharding required", CloseAction.Stop, "The bot serves too many guilds for one session; configure shardCount (see GET /gateway/bot 'shards') and one bot per shard."),
        [4012] = new(4012, "invalid gateway version", CloseAction.Stop, "The gateway does not accept this protocol version; check gatewayUrl, or update the adapter."),
        [4013] = new(4013, "invalid intent", CloseAction.Stop, "Remove unknown bits from the bot's intents/intentsMask configuration."),
        [4014] = new(4014, "intent not authorized", CloseAction.Stop, "The bot is not allowed some of its intents; apply for them in the QQ Bot console or remove them from the bot's intents configuration."),
        [4914] = new(4914, "bot is offline or limited to the sandbox", CloseAction.Stop, "The bot is delisted or only allowed in the sandbox; set sandbox=true for testing, or get the bot approved in the QQ Bot console."),
        [4915] = new(4915, "bot is banned", CloseAction.Stop, "The bot is banned on the QQ platform; see the QQ Bot console."),
    };

    /// <summary>Looks up a close code (<see langword="null"/>: the connection dropped without a close frame).</summary>
    public static CloseCodeInfo Describe(int? code)
    {
        if (code is null)
        {
            return new CloseCodeInfo(null, "connection lost without a close frame", CloseAction.Resume);
        }

        if (Table.TryGetValue(code.Value, out var info))
        {
            return info;
        }

        if (code is >= 4900 and <= 4913)
        {
            return new CloseCodeInfo(code, "internal gateway error", CloseAction.Identify);
        }

        return new CloseCodeInfo(code, code is 1000 or 1001 ? "closed by the gateway" : "unknown close code", CloseAction.Resume);
    }
}
