namespace Plugboard.Runtime.Supervision;

/// <summary>The observable lifecycle state of a plugin.</summary>
public enum PluginState
{
    /// <summary>Installed but not started yet.</summary>
    Stopped,

    /// <summary>The process is starting and the handshake is in progress.</summary>
    Starting,

    /// <summary>Handshake done; the plugin serves requests.</summary>
    Running,

    /// <summary>The plugin stopped answering <c>$/ping</c>; it is about to be restarted.</summary>
    Unresponsive,

    /// <summary>The plugin crashed or was unresponsive and waits for its next start (exponential backoff).</summary>
    Restarting,

    /// <summary>The plugin exhausted its crash budget or cannot start (e.g. a protocol version mismatch); see the last error and stderr lines.</summary>
    Failed,

    /// <summary>Disabled by an operator; it does not start.</summary>
    Disabled,
}

/// <summary>A plugin's state transition.</summary>
public sealed class PluginStateChangedEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    public PluginStateChangedEventArgs(string pluginId, PluginState previous, PluginState current, string? reason)
    {
        PluginId = pluginId;
        Previous = previous;
        Current = current;
        Reason = reason;
        Timestamp = DateTimeOffset.UtcNow;
    }

    /// <summary>The plugin id.</summary>
    public string PluginId { get; }

    /// <summary>The state before.</summary>
    public PluginState Previous { get; }

    /// <summary>The state now.</summary>
    public PluginState Current { get; }

    /// <summary>Why the transition happened, when not obvious (exit code, unresponsive, crash budget).</summary>
    public string? Reason { get; }

    /// <summary>When it happened.</summary>
    public DateTimeOffset Timestamp { get; }
}
