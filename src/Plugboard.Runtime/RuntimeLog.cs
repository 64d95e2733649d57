using Microsoft.Extensions.Logging;
using Plugboard.Runtime.Supervision;

namespace Plugboard.Runtime;

/// <summary>The runtime's log messages (source-generated).</summary>
internal static partial class RuntimeLog
{
    [LoggerMessage(EventId = 100, Message = "[{Category}] {Message}{Exception}")]
    private static partial void PluginStructuredLogCore(ILogger logger, LogLevel level, string category, string message, string exception);

    public static void PluginStructuredLog(ILogger logger, LogLevel level, string category, string message, string? exception)
        => PluginStructuredLogCore(logger, level, category, message, exception is null ? string.Empty : Environment.NewLine + exception);

    [LoggerMessage(101, LogLevel.Information, "{Line}")]
    public static partial void PluginStderr(ILogger logger, string line);

    [LoggerMessage(102, LogLevel.Information, "Plugin {PluginId} is {State}{Reason}")]
    public static partial void StateChanged(ILogger logger, string pluginId, PluginState state, string reason);

    [LoggerMessage(103, LogLevel.Warning, "Plugin {PluginId} crashed ({Reason}); restart {Attempt} in {DelayMs} ms. Recent stderr:{Stderr}")]
    public static partial void Crashed(ILogger logger, string pluginId, string reason, int attempt, long delayMs, string stderr);

    [LoggerMessage(104, LogLevel.Error, "Plugin {PluginId} failed: {Reason}. It will not be restarted automatically; fix the cause and run `plugboard plugin restart {PluginId}`. Last stderr lines:{Stderr}")]
    public static partial void Failed(ILogger logger, string pluginId, string reason, string stderr);

    [LoggerMessage(105, LogLevel.Warning, "Plugin {PluginId} did not answer $/ping within {TimeoutMs} ms; it is Unresponsive and will be restarted.")]
    public static partial void Unresponsive(ILogger logger, string pluginId, long timeoutMs);

    [LoggerMessage(106, LogLevel.Warning, "Listener {PluginId}/{Listener} did not finish '{EventType}' within {TimeoutMs} ms; the next listener runs.")]
    public static partial void ListenerTimedOut(ILogger logger, string pluginId, string listener, string eventType, long timeoutMs);

    [LoggerMessage(107, LogLevel.Warning, "Listener {PluginId}/{Listener} failed on '{EventType}': {Error}")]
    public static partial void ListenerFailed(ILogger logger, string pluginId, string listener, string eventType, string error);

    [LoggerMessage(108, LogLevel.Warning, "Tool name '{Tool}' is served by several plugins ({Plugins}); call it by its qualified name.")]
    public static partial void ToolCollision(ILogger logger, string tool, string plugins);

    [LoggerMessage(109, LogLevel.Warning, "Plugin {PluginId} did not exit within {TimeoutMs} ms of shutdown; its process tree was killed.")]
    public static partial void KilledOnShutdown(ILogger logger, string pluginId, long timeoutMs);

    [LoggerMessage(110, LogLevel.Warning, "Skipping plugin folder {Path}: {Error}")]
    public static partial void PluginSkipped(ILogger logger, string path, string error);

    [LoggerMessage(111, LogLevel.Information, "Plugboard runtime started: {Count} plugin(s), data in {DataDirectory}")]
    public static partial void RuntimeStarted(ILogger logger, int count, string dataDirectory);

    [LoggerMessage(112, LogLevel.Warning, "Plugin {PluginId} declares tool '{Tool}' in its handshake but not in its manifest; it is registered anyway. Add it to plugin.json.")]
    public static partial void UndeclaredTool(ILogger logger, string pluginId, string tool);
}
