using Microsoft.Extensions.Logging;

namespace Company.Adapter1;

/// <summary>The adapter's log messages (source-generated).</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Bot {BotId} started against {Endpoint}")]
    public static partial void LogBotStarted(this ILogger logger, string botId, string endpoint);
}
