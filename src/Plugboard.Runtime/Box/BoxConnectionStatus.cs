namespace Plugboard.Runtime.Box;

/// <summary>Whether the runtime can use its Box.</summary>
public enum BoxConnectionState
{
    /// <summary>No Box is configured (<see cref="PlugboardBoxOptions.Enabled"/> is false).</summary>
    Disabled,

    /// <summary>Starting or connecting to the Box.</summary>
    Connecting,

    /// <summary>Connected and authenticated; the sandbox tools are offered.</summary>
    Connected,

    /// <summary>The Box cannot be used now (see the reason); the runtime retries with exponential backoff.</summary>
    Unavailable,

    /// <summary>The runtime stopped.</summary>
    Stopped,
}

/// <summary>The runtime's view of its Box.</summary>
/// <param name="State">Whether it can be used.</param>
/// <param name="Reason">Why it cannot, and what to do.</param>
/// <param name="Backend">The Box's sandbox backend when connected (null when it has none available).</param>
/// <param name="RelayUrl">The Box's managed-process relay base URL when connected.</param>
/// <param name="Since">When the state last changed.</param>
/// <param name="Reconnects">How many times the runtime reconnected after losing the Box.</param>
public sealed record BoxConnectionStatus(BoxConnectionState State, string? Reason, string? Backend, string? RelayUrl, DateTimeOffset Since, int Reconnects);
