namespace Plugboard.Plugins.QQBot.Gateway;

/// <summary>The opcodes of the QQ gateway envelope <c>{"op","d","s","t","id"}</c>.</summary>
internal static class GatewayOpcode
{
    /// <summary>S→C: an event (<c>t</c> names it, <c>s</c> is its sequence, <c>id</c> the event id).</summary>
    public const int Dispatch = 0;

    /// <summary>C→S (and S→C as a request): heartbeat carrying the last sequence or null.</summary>
    public const int Heartbeat = 1;

    /// <summary>C→S: authenticate a new session.</summary>
    public const int Identify = 2;

    /// <summary>C→S: resume a session with its id and the last sequence.</summary>
    public const int Resume = 6;

    /// <summary>S→C: reconnect (and resume).</summary>
    public const int Reconnect = 7;

    /// <summary>S→C: the Identify or Resume was rejected; <c>d</c> says whether resuming may work.</summary>
    public const int InvalidSession = 9;

    /// <summary>S→C: the first frame, with <c>heartbeat_interval</c> in ms.</summary>
    public const int Hello = 10;

    /// <summary>S→C: heartbeat acknowledged.</summary>
    public const int HeartbeatAck = 11;
}
