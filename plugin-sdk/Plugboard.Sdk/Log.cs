using Microsoft.Extensions.Logging;

namespace Plugboard.Sdk;

/// <summary>The SDK's log messages.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Warning, "plugin.json check, {Kind} {Name}: {Problem}")]
    public static partial void ManifestMismatch(this ILogger logger, string kind, string name, string problem);

    [LoggerMessage(2, LogLevel.Warning, "PluginAppOptions.PluginId is '{Configured}' but {ManifestPath} declares id '{Declared}'; the handshake sends '{Configured}'. Make them equal.")]
    public static partial void PluginIdDiffersFromManifest(this ILogger logger, string configured, string declared, string manifestPath);

    [LoggerMessage(3, LogLevel.Debug, "No plugin.json in {BaseDirectory} or {WorkingDirectory}; the registrations are not checked against a manifest.")]
    public static partial void ManifestNotFound(this ILogger logger, string baseDirectory, string workingDirectory);

    [LoggerMessage(4, LogLevel.Warning, "Cannot read the manifest {ManifestPath}, so the registrations are not checked against it: {Reason}")]
    public static partial void ManifestUnreadable(this ILogger logger, string manifestPath, string reason);

    [LoggerMessage(10, LogLevel.Information, "Handshake complete: protocol {ProtocolVersion} with {RuntimeName} {RuntimeVersion} as plugin '{PluginId}'.")]
    public static partial void HandshakeCompleted(this ILogger logger, string protocolVersion, string runtimeName, string runtimeVersion, string pluginId);

    [LoggerMessage(11, LogLevel.Error, "Protocol version mismatch: the runtime speaks [{RuntimeVersions}], this plugin speaks [{PluginVersions}]. Update Plugboard.Sdk or the runtime.")]
    public static partial void ProtocolVersionMismatch(this ILogger logger, string runtimeVersions, string pluginVersions);

    [LoggerMessage(12, LogLevel.Warning, "The runtime knows this plugin as '{RuntimeId}' but the plugin's id is '{PluginId}'; the runtime will reject the handshake. Make the manifest id and PluginAppOptions.PluginId agree.")]
    public static partial void PluginIdDiffersFromRuntime(this ILogger logger, string runtimeId, string pluginId);

    [LoggerMessage(13, LogLevel.Error, "The {Kind} '{Name}' failed.")]
    public static partial void HandlerFailed(this ILogger logger, string kind, string name, Exception exception);

    [LoggerMessage(14, LogLevel.Error, "An OnInitialized callback failed.")]
    public static partial void InitializedCallbackFailed(this ILogger logger, Exception exception);

    [LoggerMessage(20, LogLevel.Information, "Shutting down ({Reason}); waiting up to {Timeout} for {Running} running handler(s).")]
    public static partial void ShuttingDown(this ILogger logger, string reason, TimeSpan timeout, int running);

    [LoggerMessage(21, LogLevel.Warning, "{Running} handler(s) were still running after {Timeout}; cancelling them.")]
    public static partial void ShutdownDrainTimedOut(this ILogger logger, int running, TimeSpan timeout);

    [LoggerMessage(22, LogLevel.Information, "The runtime closed the connection ({Description}); exiting.")]
    public static partial void RuntimeClosedConnection(this ILogger logger, string description);

    [LoggerMessage(23, LogLevel.Error, "The connection to the runtime failed ({Reason}: {Description}); exiting with code 1.")]
    public static partial void ConnectionFailed(this ILogger logger, string reason, string description);

    [LoggerMessage(24, LogLevel.Warning, "The runtime process {Pid} is gone; exiting.")]
    public static partial void RuntimeProcessGone(this ILogger logger, int pid);

    [LoggerMessage(25, LogLevel.Information, "Received {Signal}; shutting down gracefully (send it again to exit at once).")]
    public static partial void SignalReceived(this ILogger logger, string signal);

    [LoggerMessage(26, LogLevel.Warning, "{Variable}='{Value}' is not a process id; the runtime process is not watched.")]
    public static partial void InvalidRuntimePid(this ILogger logger, string variable, string value);

    [LoggerMessage(30, LogLevel.Information, "Connecting to the runtime's debug endpoint {Url} as plugin '{PluginId}'.")]
    public static partial void DebugConnecting(this ILogger logger, string url, string pluginId);

    [LoggerMessage(31, LogLevel.Error, "Cannot connect to the debug endpoint {Url}: {Reason}. Check that the runtime runs with its debug endpoint enabled and that PLUGBOARD_DEBUG_TOKEN is current.")]
    public static partial void DebugConnectFailed(this ILogger logger, string url, string reason);
}
