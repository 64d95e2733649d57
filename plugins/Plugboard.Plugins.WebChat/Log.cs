using Microsoft.Extensions.Logging;

namespace Plugboard.Plugins.WebChat;

/// <summary>The web chat adapter's log messages.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Web chat bot {BotId} is listening: open {Url} in a browser.")]
    public static partial void Listening(ILogger logger, string botId, string url);

    [LoggerMessage(2, LogLevel.Information, "Web chat bot {BotId} is listening beyond loopback: open {Url}?token=<the bot's token> in a browser.")]
    public static partial void ListeningWithToken(ILogger logger, string botId, string url);

    [LoggerMessage(3, LogLevel.Debug, "[bot {BotId}] connection {ConnectionId} joined {Session}.")]
    public static partial void Connected(ILogger logger, string botId, string connectionId, string session);

    [LoggerMessage(4, LogLevel.Debug, "[bot {BotId}] connection {ConnectionId} left.")]
    public static partial void Disconnected(ILogger logger, string botId, string connectionId);

    [LoggerMessage(5, LogLevel.Warning, "[bot {BotId}] refused a connection: {Count} are open (maxConnections).")]
    public static partial void ConnectionRefused(ILogger logger, string botId, int count);

    [LoggerMessage(6, LogLevel.Warning, "[bot {BotId}] connection {ConnectionId} does not read its frames ({Max} queued); disconnecting it.")]
    public static partial void SlowClient(ILogger logger, string botId, string connectionId, int max);

    [LoggerMessage(7, LogLevel.Debug, "[bot {BotId}] connection {ConnectionId} failed: {Reason}")]
    public static partial void ConnectionFailed(ILogger logger, string botId, string connectionId, string reason);

    [LoggerMessage(8, LogLevel.Warning, "[bot {BotId}] could not emit {What}: {Reason}")]
    public static partial void EmitFailed(ILogger logger, string botId, string what, string reason);

    [LoggerMessage(9, LogLevel.Information, "[bot {BotId}] session {Session} reset ({Cleared} messages cleared).")]
    public static partial void SessionReset(ILogger logger, string botId, string session, int cleared);
}
