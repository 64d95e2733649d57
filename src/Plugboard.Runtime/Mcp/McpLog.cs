using Microsoft.Extensions.Logging;
using Plugboard.Runtime.Supervision;

namespace Plugboard.Runtime.Mcp;

/// <summary>Log messages of MCP hosting and serving (source-generated).</summary>
internal static partial class McpLog
{
    [LoggerMessage(5000, LogLevel.Information, "MCP server {Name} is {State}{Reason}")]
    public static partial void StateChanged(ILogger logger, string name, PluginState state, string reason);

    [LoggerMessage(5001, LogLevel.Warning, "MCP server {Name} crashed ({Reason}); restart {Attempt} in {DelayMs} ms. Recent stderr:{Stderr}")]
    public static partial void Crashed(ILogger logger, string name, string reason, int attempt, long delayMs, string stderr);

    [LoggerMessage(5002, LogLevel.Error, "MCP server {Name} failed: {Reason}. It will not be restarted automatically; fix the cause and run `plugboard mcp enable {Name}` (or restart it through the API). Last stderr lines:{Stderr}")]
    public static partial void Failed(ILogger logger, string name, string reason, string stderr);

    [LoggerMessage(5003, LogLevel.Warning, "MCP server {Name} did not answer ping within {TimeoutMs} ms; it is Unresponsive and will be restarted.")]
    public static partial void Unresponsive(ILogger logger, string name, long timeoutMs);

    [LoggerMessage(5004, LogLevel.Information, "MCP server {Name} ({ServerInfo}, protocol {ProtocolVersion}) offers {Count} tool(s){Filtered}")]
    public static partial void ToolsListed(ILogger logger, string name, string serverInfo, string protocolVersion, int count, string filtered);

    [LoggerMessage(5005, LogLevel.Warning, "MCP server {Name} did not exit within {TimeoutMs} ms of closing its input; its process tree was killed.")]
    public static partial void KilledOnShutdown(ILogger logger, string name, long timeoutMs);

    [LoggerMessage(5006, LogLevel.Warning, "Refreshing the tools of MCP server {Name} after tools/list_changed failed: {Error}")]
    public static partial void RefreshFailed(ILogger logger, string name, string error);

    [LoggerMessage(5007, LogLevel.Warning, "Skipping MCP server {Name} from storage: {Error}")]
    public static partial void StoredServerSkipped(ILogger logger, string name, string error);

    [LoggerMessage(5008, LogLevel.Warning, "Tool '{Tool}' of MCP server {Name} is not registered: {Reason}")]
    public static partial void ToolSkipped(ILogger logger, string name, string tool, string reason);

    [LoggerMessage(5009, LogLevel.Debug, "Could not tell MCP server {Name} that request {RequestId} was cancelled: {Error}")]
    public static partial void CancelNotSent(ILogger logger, string name, string requestId, string error);

    [LoggerMessage(5010, LogLevel.Information, "MCP server {Name} failed the handshake with protocol {Version} ({Error}); trying {Next}")]
    public static partial void NegotiationRetry(ILogger logger, string name, string version, string next, string error);

    [LoggerMessage(5011, LogLevel.Debug, "MCP server {Name} logged: {Message}")]
    public static partial void ServerLogMessage(ILogger logger, string name, string message);

    [LoggerMessage(5020, LogLevel.Information, "MCP session {Session} started ({Client} {ClientVersion}, protocol {ProtocolVersion})")]
    public static partial void SessionStarted(ILogger logger, string session, string client, string clientVersion, string protocolVersion);

    [LoggerMessage(5021, LogLevel.Information, "MCP session {Session} ended{Reason}")]
    public static partial void SessionEnded(ILogger logger, string session, string reason);

    [LoggerMessage(5022, LogLevel.Warning, "Registry tool '{Tool}' is not exposed over MCP: {Reason}")]
    public static partial void ToolNotExposed(ILogger logger, string tool, string reason);

    [LoggerMessage(5023, LogLevel.Debug, "Sending tools/list_changed to MCP session {Session} failed: {Error}")]
    public static partial void ListChangedFailed(ILogger logger, string session, string error);
}
