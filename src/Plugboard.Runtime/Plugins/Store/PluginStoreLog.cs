using Microsoft.Extensions.Logging;

namespace Plugboard.Runtime.Plugins;

/// <summary>Log messages of the plugin store (event ids 5400–5449).</summary>
internal static partial class PluginStoreLog
{
    [LoggerMessage(EventId = 5400, Level = LogLevel.Information, Message = "Installed plugin {Id} {Version} from {Source} (content {ContentHash}, outcome {Outcome})")]
    public static partial void Installed(ILogger logger, string id, string version, string source, string contentHash, PluginInstallOutcome outcome);

    [LoggerMessage(EventId = 5401, Level = LogLevel.Warning, Message = "Rejected plugin package {Source}: {Kind}: {Reason}")]
    public static partial void PackageRejected(ILogger logger, string source, PluginInstallErrorKind kind, string reason);

    [LoggerMessage(EventId = 5402, Level = LogLevel.Information, Message = "Uninstalled plugin {Id} (data {DataAction})")]
    public static partial void Uninstalled(ILogger logger, string id, string dataAction);

    [LoggerMessage(EventId = 5403, Level = LogLevel.Information, Message = "Plugin {Id} {State}")]
    public static partial void EnabledChanged(ILogger logger, string id, string state);

    [LoggerMessage(EventId = 5404, Level = LogLevel.Warning, Message = "Plugin discovery skipped {Location}: {Reason}")]
    public static partial void DiscoveryIssue(ILogger logger, string location, string reason);

    [LoggerMessage(EventId = 5405, Level = LogLevel.Information, Message = "Plugin discovery found {Count} plugin(s) and {IssueCount} issue(s)")]
    public static partial void Discovered(ILogger logger, int count, int issueCount);

    [LoggerMessage(EventId = 5406, Level = LogLevel.Information, Message = "Plugin store cleanup removed {Count} unused content folder(s)")]
    public static partial void Pruned(ILogger logger, int count);

    [LoggerMessage(EventId = 5407, Level = LogLevel.Warning, Message = "Could not delete {Path}; the next cleanup will retry")]
    public static partial void DeleteFailed(ILogger logger, string path, Exception exception);
}
