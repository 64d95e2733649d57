using System.Text.Json;

namespace Plugboard.Runtime.Dispatch;

/// <summary>What happened when an event was dispatched.</summary>
/// <param name="EventId">The event id.</param>
/// <param name="Listeners">Each listener that ran, in order.</param>
/// <param name="StoppedBy">The listener that stopped propagation (<c>plugin-id/listener</c>), if any.</param>
public sealed record EventDispatchOutcome(string EventId, IReadOnlyList<ListenerOutcome> Listeners, string? StoppedBy);

/// <summary>One listener's part in a dispatch.</summary>
/// <param name="PluginId">The plugin.</param>
/// <param name="Listener">The listener name.</param>
/// <param name="Status">Handled, TimedOut or Failed.</param>
/// <param name="Result">The listener's result, if any.</param>
/// <param name="Error">The error message when it failed or timed out.</param>
public sealed record ListenerOutcome(string PluginId, string Listener, ListenerStatus Status, JsonElement? Result = null, string? Error = null);

/// <summary>How a listener's turn ended.</summary>
public enum ListenerStatus
{
    /// <summary>It answered.</summary>
    Handled,

    /// <summary>It did not answer within the listener timeout.</summary>
    TimedOut,

    /// <summary>It answered with an error, or its plugin went away.</summary>
    Failed,
}
