using Plugboard.Protocol.Contracts;

namespace Plugboard.Sdk.Adapters;

/// <summary>
/// The adapter does not support an API; the caller receives <see cref="PlugboardErrorCodes.AdapterNotSupported"/>.
/// Thrown by the default implementations of the optional <see cref="IChatAdapter"/> members.
/// </summary>
public sealed class AdapterNotSupportedException : NotSupportedException
{
    /// <summary>Creates the exception for <paramref name="api"/>.</summary>
    /// <param name="api">The API name (<see cref="AdapterApis"/>).</param>
    public AdapterNotSupportedException(string api)
        : base($"This adapter does not support '{api}'.")
    {
        Api = api;
    }

    /// <summary>The unsupported API.</summary>
    public string Api { get; }
}

/// <summary>
/// The chat platform answered with an error. The caller receives <see cref="PlugboardErrorCodes.PlatformError"/> whose
/// data carries <see cref="PlatformCode"/> and <see cref="PlatformMessage"/> unchanged.
/// </summary>
public sealed class PlatformException : Exception
{
    /// <summary>Creates the exception from the platform's own error.</summary>
    /// <param name="platformCode">The platform's error code (as text, e.g. <c>"40001"</c> or <c>"rate_limited"</c>).</param>
    /// <param name="platformMessage">The platform's error message.</param>
    /// <param name="innerException">The underlying exception, if any.</param>
    public PlatformException(string platformCode, string platformMessage, Exception? innerException = null)
        : base($"The platform answered {platformCode}: {platformMessage}", innerException)
    {
        PlatformCode = platformCode;
        PlatformMessage = platformMessage;
    }

    /// <summary>The platform's error code.</summary>
    public string PlatformCode { get; }

    /// <summary>The platform's error message.</summary>
    public string PlatformMessage { get; }
}

/// <summary>
/// A bot's adapter configuration is unusable (thrown from <see cref="IChatAdapter.StartAsync"/>). The runtime receives
/// <see cref="PlugboardErrorCodes.ConfigInvalid"/> with the message and marks the bot Failed; say which field is wrong
/// and how to fix it.
/// </summary>
public sealed class AdapterConfigException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="field">The configuration field at fault.</param>
    /// <param name="message">What is wrong and what to do.</param>
    public AdapterConfigException(string field, string message)
        : base(message)
    {
        Field = field;
    }

    /// <summary>The configuration field at fault.</summary>
    public string Field { get; }
}
