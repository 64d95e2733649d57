using System.Text.Json;

namespace Plugboard.Plugins.QQBot.Gateway;

/// <summary>
/// One gateway frame. <see cref="D"/> stays a <see cref="JsonElement"/>: its shape depends on the opcode
/// (RESUMED has <c>""</c>, op 9 has <c>false</c>, a heartbeat has a number or null).
/// </summary>
/// <param name="Op">The opcode.</param>
/// <param name="D">The payload.</param>
/// <param name="S">The sequence (dispatches).</param>
/// <param name="T">The event name (dispatches).</param>
/// <param name="Id">The event id (dispatches), needed as <c>event_id</c> for some passive replies.</param>
/// <param name="Raw">The whole frame.</param>
internal sealed record GatewayFrame(int Op, JsonElement D, long? S, string? T, string? Id, JsonElement Raw)
{
    /// <summary>Parses a frame; <see langword="null"/> if it is not a JSON object with a numeric <c>op</c>.</summary>
    public static GatewayFrame? Parse(ReadOnlySpan<byte> utf8)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(utf8.ToArray());
            root = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }

        if (root.ValueKind != JsonValueKind.Object || QQJson.Long(root, "op") is not { } op)
        {
            return null;
        }

        var d = root.TryGetProperty("d", out var data) ? data : default;
        return new GatewayFrame((int)op, d, QQJson.Long(root, "s"), QQJson.String(root, "t"), QQJson.String(root, "id"), root);
    }
}

/// <summary>An event the gateway delivered, in sequence order.</summary>
/// <param name="Seq">Its sequence number.</param>
/// <param name="Type">The event name, e.g. <c>C2C_MESSAGE_CREATE</c>.</param>
/// <param name="EventId">The top-level event id.</param>
/// <param name="Data">The <c>d</c> payload.</param>
/// <param name="Raw">The whole frame.</param>
internal sealed record GatewayDispatch(long Seq, string Type, string? EventId, JsonElement Data, JsonElement Raw)
{
    /// <summary>
    /// The conversation the event belongs to; events of one conversation are delivered in order, different
    /// conversations in parallel. Events without a conversation share one lane.
    /// </summary>
    public string LaneKey()
    {
        var d = Data;
        if (QQJson.String(d, "group_openid") is { Length: > 0 } group)
        {
            return "group:" + group;
        }

        if (QQJson.Bool(d, "direct_message") == true && QQJson.String(d, "guild_id") is { Length: > 0 } guild)
        {
            return "dm:" + guild;
        }

        if (QQJson.String(d, "channel_id") is { Length: > 0 } channel)
        {
            return "channel:" + channel;
        }

        var author = QQJson.Object(d, "author");
        var user = (author is { } a ? QQJson.String(a, "user_openid") : null) ?? QQJson.String(d, "user_openid") ?? QQJson.String(d, "openid");
        return user is { Length: > 0 } ? "c2c:" + user : "*";
    }

    /// <summary>The keys that identify this event for de-duplication: the event id, and the message id of message events.</summary>
    public IEnumerable<string> DedupeKeys()
    {
        if (!string.IsNullOrEmpty(EventId))
        {
            yield return "e:" + EventId;
        }

        if (Type.EndsWith("MESSAGE_CREATE", StringComparison.Ordinal) && QQJson.String(Data, "id") is { Length: > 0 } messageId)
        {
            yield return "m:" + messageId;
        }
    }
}

/// <summary>The connection state of a bot's gateway.</summary>
internal enum GatewayState
{
    /// <summary>Not started, or stopped.</summary>
    Stopped,

    /// <summary>Connecting or waiting to reconnect.</summary>
    Connecting,

    /// <summary>Identify sent, waiting for READY.</summary>
    Identifying,

    /// <summary>Resume sent, waiting for RESUMED.</summary>
    Resuming,

    /// <summary>Receiving events.</summary>
    Ready,

    /// <summary>Waiting before the next attempt.</summary>
    Reconnecting,

    /// <summary>Stopped for good after a fatal error (see the last error).</summary>
    Failed,
}

/// <summary>A snapshot of the gateway's state and counters.</summary>
internal sealed record GatewayStatus(
    GatewayState State,
    string? SessionId,
    long Seq,
    string? BotUserId,
    string? BotUsername,
    int? LastCloseCode,
    string? LastError,
    int Identifies,
    int Resumes,
    int Connections,
    int DuplicatesDropped,
    TimeSpan? HeartbeatInterval);

/// <summary>The gateway stopped for good; the message names the cause and what to do.</summary>
internal sealed class GatewayFatalException(string message, int? closeCode) : Exception(message)
{
    /// <summary>The close code that caused it, if any.</summary>
    public int? CloseCode { get; } = closeCode;
}
