using Microsoft.Extensions.Logging;

namespace Plugboard.Cli.Mcp;

/// <summary>Log messages of the CLI's MCP endpoints (source-generated).</summary>
internal static partial class McpCliLog
{
    [LoggerMessage(5100, LogLevel.Warning, "Refused an MCP request from {Remote}: {Reason}")]
    public static partial void Refused(ILogger logger, string remote, string reason);

    [LoggerMessage(5101, LogLevel.Information, "MCP session {Session} opened")]
    public static partial void SessionOpened(ILogger logger, string session);

    [LoggerMessage(5102, LogLevel.Debug, "MCP session {Session} refused a GET stream: {Reason}")]
    public static partial void StreamRefused(ILogger logger, string session, string reason);

    [LoggerMessage(5103, LogLevel.Information, "Plugboard MCP server on stdio: {Count} tool(s) exposed, data folder {DataDirectory}")]
    public static partial void ServingStdio(ILogger logger, int count, string dataDirectory);
}
