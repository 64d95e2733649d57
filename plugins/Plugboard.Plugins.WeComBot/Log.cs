using Microsoft.Extensions.Logging;

namespace Plugboard.Plugins.WeComBot;

/// <summary>The adapter's log messages; every one names the Plugboard bot it concerns.</summary>
internal static partial class WeComLog
{
    [LoggerMessage(1, LogLevel.Information, "WeCom bot {BotId}: subscribed on {Url}.")]
    public static partial void Subscribed(ILogger logger, string botId, string url);

    [LoggerMessage(2, LogLevel.Warning, "WeCom bot {BotId}: subscribe rejected ({Detail}); auth failure {Count} of {Max}, retrying in {DelayMs} ms. Check the bot id and secret.")]
    public static partial void SubscribeRejected(ILogger logger, string botId, string detail, int count, int max, double delayMs);

    [LoggerMessage(3, LogLevel.Warning, "WeCom bot {BotId}: connection lost ({Detail}); reconnect attempt {Count} of {Max} in {DelayMs} ms.")]
    public static partial void Reconnecting(ILogger logger, string botId, string detail, int count, int max, double delayMs);

    [LoggerMessage(4, LogLevel.Error, "WeCom bot {BotId}: long connection stopped ({Cause}): {Reason}")]
    public static partial void ConnectionStopped(ILogger logger, string botId, string cause, string reason);

    [LoggerMessage(5, LogLevel.Warning, "WeCom bot {BotId}: {Missed} pings were not acked; reconnecting.")]
    public static partial void HeartbeatDead(ILogger logger, string botId, int missed);

    [LoggerMessage(6, LogLevel.Warning, "WeCom bot {BotId}: {Cmd} (req_id {ReqId}) conflicted (errcode 6000); retry {Retry} in {DelayMs} ms.")]
    public static partial void CommandConflict(ILogger logger, string botId, string cmd, string reqId, int retry, double delayMs);

    [LoggerMessage(7, LogLevel.Warning, "WeCom bot {BotId}: no ack for {Cmd} (req_id {ReqId}) within {TimeoutMs} ms; sending the next frame of that req_id.")]
    public static partial void AckTimeout(ILogger logger, string botId, string cmd, string reqId, double timeoutMs);

    [LoggerMessage(8, LogLevel.Warning, "WeCom bot {BotId}: ignored a frame that is not JSON: {Detail}")]
    public static partial void BadFrame(ILogger logger, string botId, string detail);

    [LoggerMessage(9, LogLevel.Debug, "WeCom bot {BotId}: ack for req_id {ReqId} (errcode {ErrCode}) matches no frame in flight.")]
    public static partial void UnmatchedAck(ILogger logger, string botId, string reqId, int errCode);

    [LoggerMessage(10, LogLevel.Error, "WeCom bot {BotId}: handling {Cmd} (req_id {ReqId}) failed.")]
    public static partial void CallbackFailed(ILogger logger, string botId, string cmd, string reqId, Exception exception);

    [LoggerMessage(11, LogLevel.Warning, "WeCom bot {BotId}: the receive loop failed.")]
    public static partial void ReceiveLoopFailed(ILogger logger, string botId, Exception exception);

    [LoggerMessage(20, LogLevel.Information, "WeCom bot {BotId}: started in {Mode} mode ({Why}).")]
    public static partial void BotStarted(ILogger logger, string botId, string mode, string why);

    [LoggerMessage(21, LogLevel.Information, "WeCom bot {BotId}: stopped.")]
    public static partial void BotStopped(ILogger logger, string botId);

    [LoggerMessage(22, LogLevel.Warning, "WeCom bot {BotId}: could not download {Kind} of message {MessageId}: {Error}")]
    public static partial void MediaFailed(ILogger logger, string botId, string kind, string messageId, string error);

    [LoggerMessage(23, LogLevel.Warning, "WeCom bot {BotId}: emitting {EventType} failed: {Error}")]
    public static partial void EmitFailed(ILogger logger, string botId, string eventType, string error);

    [LoggerMessage(24, LogLevel.Warning, "WeCom bot {BotId}: sending the welcome for {MessageId} failed: {Error}")]
    public static partial void WelcomeFailed(ILogger logger, string botId, string messageId, string error);

    [LoggerMessage(25, LogLevel.Warning, "WeCom bot {BotId}: stream {StreamId} cut to 20480 UTF-8 bytes (WeCom's limit).")]
    public static partial void StreamTruncated(ILogger logger, string botId, string streamId);

    [LoggerMessage(26, LogLevel.Debug, "WeCom bot {BotId}: duplicate message {MessageId} ignored.")]
    public static partial void DuplicateMessage(ILogger logger, string botId, string messageId);

    [LoggerMessage(27, LogLevel.Warning, "WeCom bot {BotId}: rejected a webhook {Method} from {Remote}: {Reason}")]
    public static partial void WebhookRejected(ILogger logger, string botId, string method, string remote, string reason);

    [LoggerMessage(28, LogLevel.Information, "WeCom webhook endpoint listening on {Url}.")]
    public static partial void WebhookListening(ILogger logger, string url);

    [LoggerMessage(29, LogLevel.Warning, "WeCom bot {BotId}: ignored a callback without msgtype.")]
    public static partial void NoMsgType(ILogger logger, string botId);

    [LoggerMessage(30, LogLevel.Information, "WeCom bot {BotId}: {EventType} event received ({Detail}).")]
    public static partial void EventReceived(ILogger logger, string botId, string eventType, string detail);
}
