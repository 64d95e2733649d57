using Microsoft.Extensions.Logging;

namespace Plugboard.Plugins.QQBot;

/// <summary>
/// The adapter's log messages. Every entry starts with <c>[QQBot:&lt;appId&gt;]</c> (and carries <c>AppId</c> as a
/// structured property), so the lines of several bots in one process stay apart. No message takes a secret or a token.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "[QQBot:{AppId}] Bot {BotId} created: {Config}; REST proxy {HttpProxy}, gateway proxy {GatewayProxy}.")]
    public static partial void BotCreated(ILogger logger, string appId, string botId, string config, string httpProxy, string gatewayProxy);

    [LoggerMessage(2, LogLevel.Information, "[QQBot:{AppId}] Bot {BotId} stopped.")]
    public static partial void BotStopped(ILogger logger, string appId, string botId);

    [LoggerMessage(3, LogLevel.Warning, "[QQBot:{AppId}] Not ready after {Timeout}; still connecting in the background ({Status}).")]
    public static partial void StillConnecting(ILogger logger, string appId, TimeSpan timeout, string status);

    [LoggerMessage(10, LogLevel.Information, "[QQBot:{AppId}] Access token fetched, valid for {Seconds} s (until {ExpiresAt:O}).")]
    public static partial void TokenFetched(ILogger logger, string appId, long seconds, DateTimeOffset expiresAt);

    [LoggerMessage(11, LogLevel.Information, "[QQBot:{AppId}] Access token dropped; the next call fetches a new one.")]
    public static partial void TokenInvalidated(ILogger logger, string appId);

    [LoggerMessage(12, LogLevel.Warning, "[QQBot:{AppId}] {Endpoint} rejected the access token (HTTP {Status}, code {Code}); retrying once with a new token.")]
    public static partial void TokenRejected(ILogger logger, string appId, string endpoint, int status, long? code);

    [LoggerMessage(20, LogLevel.Warning, "[QQBot:{AppId}] {Endpoint} is rate limited (HTTP {Status}, code {Code}); retry {Retry} of {MaxRetries} in {Delay}.")]
    public static partial void RateLimited(ILogger logger, string appId, string endpoint, int status, long? code, TimeSpan delay, int retry, int maxRetries);

    [LoggerMessage(21, LogLevel.Warning, "[QQBot:{AppId}] {Endpoint} failed: HTTP {Status}, code {Code}, \"{PlatformMessage}\", trace id {TraceId}.")]
    public static partial void ApiFailed(ILogger logger, string appId, string endpoint, int status, long? code, string? platformMessage, string? traceId);

    [LoggerMessage(22, LogLevel.Information, "[QQBot:{AppId}] {Endpoint} accepted the message pending audit (code {Code}, trace id {TraceId}).")]
    public static partial void PendingAudit(ILogger logger, string appId, string endpoint, long code, string? traceId);

    [LoggerMessage(30, LogLevel.Information, "[QQBot:{AppId}] Gateway connected: {Url}.")]
    public static partial void Connected(ILogger logger, string appId, string url);

    [LoggerMessage(31, LogLevel.Information, "[QQBot:{AppId}] Identify with intents {Intents}, shard [{ShardId}, {ShardCount}].")]
    public static partial void Identifying(ILogger logger, string appId, string intents, int shardId, int shardCount);

    [LoggerMessage(32, LogLevel.Information, "[QQBot:{AppId}] Resume session {SessionId} from sequence {Seq}.")]
    public static partial void Resuming(ILogger logger, string appId, string sessionId, long seq);

    [LoggerMessage(33, LogLevel.Information, "[QQBot:{AppId}] READY: session {SessionId} as {BotName}.")]
    public static partial void Ready(ILogger logger, string appId, string? sessionId, string? botName);

    [LoggerMessage(34, LogLevel.Information, "[QQBot:{AppId}] RESUMED session {SessionId} at sequence {Seq}.")]
    public static partial void Resumed(ILogger logger, string appId, string? sessionId, long seq);

    [LoggerMessage(35, LogLevel.Information, "[QQBot:{AppId}] The gateway asked to reconnect (op 7); resuming.")]
    public static partial void ReconnectRequested(ILogger logger, string appId);

    [LoggerMessage(36, LogLevel.Warning, "[QQBot:{AppId}] Invalid Session (op 9, can resume: {CanResume}, d: {Data}).")]
    public static partial void InvalidSession(ILogger logger, string appId, bool canResume, string data);

    [LoggerMessage(37, LogLevel.Warning, "[QQBot:{AppId}] Gateway closed with {Code} \"{Description}\"; next: {Action}.")]
    public static partial void Closed(ILogger logger, string appId, string code, string? description, string action);

    [LoggerMessage(38, LogLevel.Warning, "[QQBot:{AppId}] No heartbeat ACK within {Interval}; the connection is dead, reconnecting.")]
    public static partial void HeartbeatAckMissed(ILogger logger, string appId, TimeSpan interval);

    [LoggerMessage(39, LogLevel.Warning, "[QQBot:{AppId}] Reconnecting ({Action}) in {Delay} after: {Reason} (attempt {Attempt}).")]
    public static partial void Reconnecting(ILogger logger, string appId, string reason, string action, TimeSpan delay, int attempt);

    [LoggerMessage(40, LogLevel.Error, "[QQBot:{AppId}] Gateway stopped: {Message}")]
    public static partial void GatewayFailed(ILogger logger, string appId, string message);

    [LoggerMessage(41, LogLevel.Debug, "[QQBot:{AppId}] Dropped duplicate {EventType} {EventId} (seq {Seq}).")]
    public static partial void DuplicateDropped(ILogger logger, string appId, string eventType, string? eventId, long seq);

    [LoggerMessage(42, LogLevel.Debug, "[QQBot:{AppId}] Ignored gateway opcode {Op}.")]
    public static partial void UnknownOpcode(ILogger logger, string appId, int op);

    [LoggerMessage(43, LogLevel.Warning, "[QQBot:{AppId}] Skipped an unreadable gateway frame ({Bytes} bytes).")]
    public static partial void UnreadableFrame(ILogger logger, string appId, int bytes);

    [LoggerMessage(44, LogLevel.Error, "[QQBot:{AppId}] Delivering {EventType} {EventId} failed.")]
    public static partial void DispatchFailed(ILogger logger, string appId, string eventType, string? eventId, Exception exception);

    [LoggerMessage(45, LogLevel.Warning, "[QQBot:{AppId}] Session-start limit reached ({Total} per day); waiting {ResetAfter} before identifying.")]
    public static partial void SessionStartLimitReached(ILogger logger, string appId, int total, TimeSpan resetAfter);

    [LoggerMessage(46, LogLevel.Information, "[QQBot:{AppId}] {MaxConcurrency} session start(s) per {Window} used; waiting {Wait} before identifying.")]
    public static partial void SessionStartThrottled(ILogger logger, string appId, int maxConcurrency, TimeSpan window, TimeSpan wait);

    [LoggerMessage(47, LogLevel.Warning, "[QQBot:{AppId}] Session storage {Operation} failed: {Reason}.")]
    public static partial void SessionStoreFailed(ILogger logger, string appId, string operation, string reason);

    [LoggerMessage(48, LogLevel.Information, "[QQBot:{AppId}] Stored session {SessionId} not resumed: {Reason}; identifying instead.")]
    public static partial void StoredSessionIgnored(ILogger logger, string appId, string sessionId, string reason);

    [LoggerMessage(49, LogLevel.Information, "[QQBot:{AppId}] Stored session {SessionId} at sequence {Seq} ({Age} old) will be resumed.")]
    public static partial void StoredSessionLoaded(ILogger logger, string appId, string sessionId, long seq, TimeSpan age);

    [LoggerMessage(60, LogLevel.Debug, "[QQBot:{AppId}] {QQEvent} #{Seq} → {EventType}.")]
    public static partial void Received(ILogger logger, string appId, string qqEvent, string eventType, long seq);

    [LoggerMessage(61, LogLevel.Warning, "[QQBot:{AppId}] Acknowledging interaction {InteractionId} failed: {Reason}")]
    public static partial void InteractionAckFailed(ILogger logger, string appId, string interactionId, string reason);

    [LoggerMessage(70, LogLevel.Debug, "[QQBot:{AppId}] Sent {Count} message(s) to {Chat} ({Mode}).")]
    public static partial void Sent(ILogger logger, string appId, int count, string chat, string mode);

    [LoggerMessage(71, LogLevel.Information, "[QQBot:{AppId}] msg_seq already used for {ReplyId}; retried with the next one.")]
    public static partial void DuplicateSeqRetried(ILogger logger, string appId, string replyId);

    [LoggerMessage(80, LogLevel.Debug, "[QQBot:{AppId}] Uploading {What} to {Chat}.")]
    public static partial void Uploading(ILogger logger, string appId, string what, string chat);

    [LoggerMessage(81, LogLevel.Warning, "[QQBot:{AppId}] The platform could not fetch {What} (code {Code}); retrying once.")]
    public static partial void UploadRetry(ILogger logger, string appId, string what, long code);

    [LoggerMessage(82, LogLevel.Information, "[QQBot:{AppId}] Chunked upload of {What} to {Chat}.")]
    public static partial void ChunkedUpload(ILogger logger, string appId, string what, string chat);

    [LoggerMessage(83, LogLevel.Information, "[QQBot:{AppId}] Chunked upload of {What} done ({Parts} parts).")]
    public static partial void ChunkedUploadDone(ILogger logger, string appId, string what, int parts);

    [LoggerMessage(84, LogLevel.Warning, "[QQBot:{AppId}] Storing part {Index} of {Total} of {What} failed, retrying: {Reason}")]
    public static partial void PartRetry(ILogger logger, string appId, string what, long index, int total, string reason);
}
