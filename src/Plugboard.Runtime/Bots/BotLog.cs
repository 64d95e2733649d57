using Microsoft.Extensions.Logging;

namespace Plugboard.Runtime.Bots;

/// <summary>Bot and routing log messages (source-generated).</summary>
internal static partial class BotLog
{
    [LoggerMessage(200, LogLevel.Information, "[bot {BotId}] {EventType} {EventId} → rule '{Rule}' ({Handler}): {Outcome}")]
    public static partial void Routed(ILogger logger, string botId, string eventType, string eventId, string rule, RouteHandlerKind handler, string outcome);

    [LoggerMessage(201, LogLevel.Warning, "[bot {BotId}] {EventType} {EventId} → rule '{Rule}' ({Handler}) failed: {Error}")]
    public static partial void RouteFailed(ILogger logger, string botId, string eventType, string eventId, string rule, RouteHandlerKind handler, string error);

    [LoggerMessage(202, LogLevel.Information, "[bot {BotId}] started on adapter {AdapterPlugin} ({Platform})")]
    public static partial void BotStarted(ILogger logger, string botId, string adapterPlugin, string platform);

    [LoggerMessage(203, LogLevel.Warning, "[bot {BotId}] could not start on adapter {AdapterPlugin}: {Error}")]
    public static partial void BotStartFailed(ILogger logger, string botId, string adapterPlugin, string error);

    [LoggerMessage(204, LogLevel.Debug, "Webhook {Url} accepted {EventType} on attempt {Attempt} (HTTP {Status})")]
    public static partial void WebhookDelivered(ILogger logger, string url, string eventType, int attempt, int status);

    [LoggerMessage(205, LogLevel.Warning, "Webhook {Url} attempt {Attempt}/{Attempts} for {EventType} failed: {Error}")]
    public static partial void WebhookAttemptFailed(ILogger logger, string url, string eventType, int attempt, int attempts, string? error);

    [LoggerMessage(206, LogLevel.Warning, "[bot {BotId}] action '{Api}' failed: {Error}")]
    public static partial void ActionFailed(ILogger logger, string botId, string api, string error);
}
