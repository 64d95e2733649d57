using Microsoft.Extensions.Logging;

namespace Plugboard.Cli.Server;

/// <summary>Log messages of the <c>plugboard run</c> process (source-generated).</summary>
internal static partial class ServerLog
{
    [LoggerMessage(400, LogLevel.Warning, "Refused a {Endpoint} connection from {Remote}: {Reason}")]
    public static partial void Refused(ILogger logger, string endpoint, string remote, string reason);

    [LoggerMessage(401, LogLevel.Debug, "Control client {Remote} connected")]
    public static partial void ControlConnected(ILogger logger, string remote);

    [LoggerMessage(402, LogLevel.Debug, "Control client {Remote} disconnected: {Reason}")]
    public static partial void ControlDisconnected(ILogger logger, string remote, string reason);

    [LoggerMessage(403, LogLevel.Warning, "Control client {Remote} is not reading its notifications; dropped the oldest ones.")]
    public static partial void NotificationsDropped(ILogger logger, string remote);

    [LoggerMessage(404, LogLevel.Warning, "The token file {Path} was readable by other users; its mode is now 0600.")]
    public static partial void TokenTightened(ILogger logger, string path);

    [LoggerMessage(405, LogLevel.Information, "Generated a new {Kind} token in {Path} (mode 0600).")]
    public static partial void TokenCreated(ILogger logger, string kind, string path);

    [LoggerMessage(406, LogLevel.Warning, "The control endpoint listens on {Address}, which other machines can reach (control:allowRemote is true). Anyone with the token controls this runtime.")]
    public static partial void RemoteBind(ILogger logger, string address);

    [LoggerMessage(407, LogLevel.Error, "Control method {Method} failed unexpectedly")]
    public static partial void ControlMethodFailed(ILogger logger, string method, Exception exception);
}
