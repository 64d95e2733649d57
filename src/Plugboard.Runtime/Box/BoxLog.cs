using Microsoft.Extensions.Logging;

namespace Plugboard.Runtime.Box;

/// <summary>Log messages of the runtime's Box integration.</summary>
internal static partial class BoxLog
{
    [LoggerMessage(400, LogLevel.Information, "Box connected ({Transport}; backend {Backend}, relay {RelayUrl})")]
    public static partial void Connected(ILogger logger, string transport, string backend, string relayUrl);

    [LoggerMessage(401, LogLevel.Warning, "Box unavailable: {Reason}. Retrying in {DelayMs} ms; the sandbox tools are not offered meanwhile.")]
    public static partial void Unavailable(ILogger logger, string reason, long delayMs);

    [LoggerMessage(402, LogLevel.Information, "[box] {Line}")]
    public static partial void Stderr(ILogger logger, string line);

    [LoggerMessage(403, LogLevel.Warning, "The Box did not exit within {TimeoutMs} ms of shutdown; it was killed.")]
    public static partial void KilledOnShutdown(ILogger logger, long timeoutMs);

    [LoggerMessage(404, LogLevel.Warning, "Box connected, but it has no sandbox backend: {Reason}")]
    public static partial void NoBackend(ILogger logger, string reason);
}
