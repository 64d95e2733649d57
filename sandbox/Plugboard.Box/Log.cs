using Microsoft.Extensions.Logging;

namespace Plugboard.Box;

/// <summary>The Box's log messages.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Box {InstanceId} started: backend {Backend}, data {DataDirectory}, relay {RelayUrl}")]
    public static partial void Started(ILogger logger, string instanceId, string backend, string dataDirectory, string relayUrl);

    [LoggerMessage(2, LogLevel.Warning, "Box configuration: {Problem}")]
    public static partial void ConfigurationProblem(ILogger logger, string problem);

    [LoggerMessage(3, LogLevel.Information, "Box shutting down: {Reason}")]
    public static partial void ShuttingDown(ILogger logger, string reason);

    [LoggerMessage(4, LogLevel.Information, "Client {Client} authenticated ({Transport})")]
    public static partial void ClientAuthenticated(ILogger logger, string client, string transport);

    [LoggerMessage(5, LogLevel.Warning, "Rejected a {Transport} client: {Reason}")]
    public static partial void AuthenticationFailed(ILogger logger, string transport, string reason);

    [LoggerMessage(10, LogLevel.Information, "Backend {Backend} selected ({Version}; previously {Previous})")]
    public static partial void BackendSelected(ILogger logger, string backend, string version, string previous);

    [LoggerMessage(11, LogLevel.Warning, "{Reason}")]
    public static partial void NoBackend(ILogger logger, string reason);

    [LoggerMessage(20, LogLevel.Information, "Session {SessionId} created on {Backend} (image {Image}, workspace {Workspace})")]
    public static partial void SessionCreated(ILogger logger, string sessionId, string backend, string image, string workspace);

    [LoggerMessage(21, LogLevel.Information, "Session {SessionId} expired after {TtlSeconds} s idle")]
    public static partial void SessionExpired(ILogger logger, string sessionId, int ttlSeconds);

    [LoggerMessage(22, LogLevel.Information, "Session {SessionId} deleted")]
    public static partial void SessionDeleted(ILogger logger, string sessionId);

    [LoggerMessage(23, LogLevel.Warning, "Deleting session {SessionId} failed: {Message}")]
    public static partial void SessionDeleteFailed(ILogger logger, string sessionId, string message);

    [LoggerMessage(24, LogLevel.Warning, "Session {SessionId}: command ended with {Status}: {Message}")]
    public static partial void CommandKilled(ILogger logger, string sessionId, string status, string message);

    [LoggerMessage(25, LogLevel.Warning, "Session {SessionId}: recreating its sandbox ({Reason})")]
    public static partial void SandboxRecreating(ILogger logger, string sessionId, string reason);

    [LoggerMessage(26, LogLevel.Warning, "Session {SessionId}: the in-sandbox kill failed: {Message}")]
    public static partial void KillFailed(ILogger logger, string sessionId, string message);

    [LoggerMessage(27, LogLevel.Warning, "Container {ContainerId}: updating its pids limit failed: {Message}")]
    public static partial void PidsUpdateFailed(ILogger logger, string containerId, string message);

    [LoggerMessage(28, LogLevel.Warning, "The reaper failed: {Message}")]
    public static partial void ReaperFailed(ILogger logger, string message);

    [LoggerMessage(29, LogLevel.Information, "Removed orphaned container {ContainerId} (session {SessionId}, Box instance {InstanceId})")]
    public static partial void OrphanRemoved(ILogger logger, string containerId, string sessionId, string instanceId);

    [LoggerMessage(30, LogLevel.Warning, "Removing orphaned container {ContainerId} failed: {Message}")]
    public static partial void OrphanRemoveFailed(ILogger logger, string containerId, string message);

    [LoggerMessage(31, LogLevel.Warning, "Deleting workspace {Path} failed: {Message}")]
    public static partial void WorkspaceDeleteFailed(ILogger logger, string path, string message);

    [LoggerMessage(40, LogLevel.Information, "Session {SessionId}: managed process {ProcessId} started ({Program})")]
    public static partial void ProcessStarted(ILogger logger, string sessionId, string processId, string program);

    [LoggerMessage(41, LogLevel.Warning, "Session {SessionId}: stopping managed process {ProcessId} failed: {Message}")]
    public static partial void ProcessStopFailed(ILogger logger, string sessionId, string processId, string message);

    [LoggerMessage(42, LogLevel.Warning, "Session {SessionId}: managed process {ProcessId} output pump failed: {Message}")]
    public static partial void ProcessPumpFailed(ILogger logger, string sessionId, string processId, string message);

    [LoggerMessage(43, LogLevel.Information, "Relay client attached to {SessionId}/{ProcessId}")]
    public static partial void RelayAttached(ILogger logger, string sessionId, string processId);

    [LoggerMessage(44, LogLevel.Warning, "Relay request for {SessionId}/{ProcessId} rejected with {Status}: {Reason}")]
    public static partial void RelayRejected(ILogger logger, string sessionId, string processId, int status, string reason);
}
