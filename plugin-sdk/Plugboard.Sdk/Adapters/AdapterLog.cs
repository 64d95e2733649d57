using Microsoft.Extensions.Logging;

namespace Plugboard.Sdk;

/// <summary>The adapter host's log messages (event ids 40-49).</summary>
internal static partial class Log
{
    [LoggerMessage(40, LogLevel.Information, "Bot {BotId} is now served on platform {Platform}.")]
    public static partial void BotServing(this ILogger logger, string botId, string platform);

    [LoggerMessage(41, LogLevel.Warning, "Bot {BotId} could not start on platform {Platform}: {Reason}")]
    public static partial void BotStartFailed(this ILogger logger, string botId, string platform, string reason);

    [LoggerMessage(42, LogLevel.Information, "Bot {BotId} stopped.")]
    public static partial void BotStopped(this ILogger logger, string botId);

    [LoggerMessage(43, LogLevel.Warning, "Bot {BotId} did not stop cleanly: {Reason}")]
    public static partial void BotStopFailed(this ILogger logger, string botId, string reason);

    [LoggerMessage(44, LogLevel.Error, "Bot {BotId}: the adapter failed in '{Api}'.")]
    public static partial void AdapterCallFailed(this ILogger logger, string botId, string api, Exception exception);
}
