using System.Text.Json.Serialization;

namespace Plugboard.Plugins.WeComBot.LongConnection;

/// <summary>Where a long connection is in its life.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<WeComConnectionState>))]
internal enum WeComConnectionState
{
    /// <summary>Not started.</summary>
    Idle,

    /// <summary>Opening the socket or waiting for the subscribe ack.</summary>
    Connecting,

    /// <summary>Subscribed; callbacks flow and frames can be sent.</summary>
    Connected,

    /// <summary>Waiting to reconnect after a lost connection or a rejected subscribe.</summary>
    Reconnecting,

    /// <summary>Stopped for good; <see cref="WeComConnectionStatus.Reason"/> says why.</summary>
    Stopped,
}

/// <summary>Why a long connection stopped for good.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<WeComStopCause>))]
internal enum WeComStopCause
{
    /// <summary>Still running.</summary>
    None,

    /// <summary>Stopped by the adapter (bot stopped or process exiting).</summary>
    Stopped,

    /// <summary>WeCom sent <c>disconnected_event</c>: another connection subscribed with this bot id.</summary>
    TakenOver,

    /// <summary>Too many subscribe rejections in a row (wrong bot id or secret).</summary>
    AuthFailuresExhausted,

    /// <summary>Too many failed reconnect attempts in a row.</summary>
    ReconnectsExhausted,
}

/// <summary>A snapshot of a long connection's state, as <c>callPlatformApi getConnectionMode</c> reports it.</summary>
/// <param name="State">The state.</param>
/// <param name="Cause">Why it stopped, when <see cref="WeComConnectionState.Stopped"/>.</param>
/// <param name="Reason">A sentence on the last failure or the stop, saying what to do.</param>
/// <param name="Subscriptions">Successful subscribes so far (1 + reconnects that worked).</param>
/// <param name="ReconnectAttempts">Reconnect attempts since the last successful subscribe.</param>
/// <param name="AuthFailures">Subscribe rejections since the last successful subscribe.</param>
internal sealed record WeComConnectionStatus(
    WeComConnectionState State,
    WeComStopCause Cause,
    string? Reason,
    int Subscriptions,
    int ReconnectAttempts,
    int AuthFailures);
