using Microsoft.Extensions.Logging;

namespace Plugboard.Protocol.JsonRpc;

/// <summary>The engine's log messages (source-generated).</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Trace, "<-- {Message}")]
    public static partial void MessageReceived(this ILogger logger, string message);

    [LoggerMessage(2, LogLevel.Trace, "--> {Message}")]
    public static partial void MessageSent(this ILogger logger, string message);

    [LoggerMessage(3, LogLevel.Warning, "Received unparseable JSON ({Bytes} bytes): {Detail}. Answered with a parse error; the connection continues.")]
    public static partial void ParseError(this ILogger logger, long bytes, string detail);

    [LoggerMessage(4, LogLevel.Warning, "Received an invalid JSON-RPC message: {Detail}. Answered with an invalid-request error.")]
    public static partial void InvalidRequest(this ILogger logger, string detail);

    [LoggerMessage(5, LogLevel.Warning, "Received a message of {Bytes} bytes, over the limit of {Limit} bytes. It was discarded and answered with error -32002; raise MaxMessageSize if such messages are expected.")]
    public static partial void MessageTooLarge(this ILogger logger, long bytes, int limit);

    [LoggerMessage(6, LogLevel.Warning, "Method '{Method}' failed with an unhandled {ExceptionType}. Throw JsonRpcException to send a specific error.")]
    public static partial void HandlerFailed(this ILogger logger, string method, string exceptionType, Exception exception);

    [LoggerMessage(7, LogLevel.Debug, "No handler for notification '{Method}'; ignored.")]
    public static partial void UnknownNotification(this ILogger logger, string method);

    [LoggerMessage(8, LogLevel.Debug, "Received a response for id {Id}, which has no pending call (cancelled, timed out or never sent); ignored.")]
    public static partial void UnexpectedResponse(this ILogger logger, string id);

    [LoggerMessage(9, LogLevel.Information, "JSON-RPC connection ended ({Reason}): {Description}")]
    public static partial void Disconnected(this ILogger logger, DisconnectReason reason, string description);

    [LoggerMessage(10, LogLevel.Warning, "JSON-RPC connection ended by a protocol violation: {Description}. The peer must send Content-Length framed UTF-8 JSON (see docs/protocol.md).")]
    public static partial void ProtocolViolation(this ILogger logger, string description);

    [LoggerMessage(11, LogLevel.Warning, "Too many requests in flight ({Limit}); request '{Method}' was rejected with error -32001.")]
    public static partial void TooManyRequests(this ILogger logger, string method, int limit);

    [LoggerMessage(12, LogLevel.Warning, "Notification '{Method}' failed: {Detail}")]
    public static partial void NotificationFailed(this ILogger logger, string method, string detail);

    [LoggerMessage(13, LogLevel.Debug, "Received $/progress for unknown token {Token}; ignored.")]
    public static partial void UnknownProgressToken(this ILogger logger, string token);
}
