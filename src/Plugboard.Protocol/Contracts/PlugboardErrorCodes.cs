namespace Plugboard.Protocol.Contracts;

/// <summary>
/// Plugboard's application error codes (outside the range JSON-RPC reserves). 1000-1999: runtime and plugins;
/// 2000-2999: tools and commands; 3000-3999: adapters; 4000-4999: the Box. Errors carry a <c>data</c> object with details.
/// </summary>
public static class PlugboardErrorCodes
{
    /// <summary>No plugin with that id is installed.</summary>
    public const int PluginNotFound = 1000;

    /// <summary>The plugin is not running (stopped, failed, disabled or restarting).</summary>
    public const int PluginNotRunning = 1001;

    /// <summary>The plugin and the runtime share no protocol version.</summary>
    public const int ProtocolVersionMismatch = 1002;

    /// <summary>The plugin's handshake disagrees with its manifest (id, tools).</summary>
    public const int ManifestMismatch = 1003;

    /// <summary>The plugin's configuration is invalid.</summary>
    public const int ConfigInvalid = 1004;

    /// <summary>A listener did not answer within the dispatch timeout.</summary>
    public const int ListenerTimeout = 1005;

    /// <summary>No bot with that id exists.</summary>
    public const int BotNotFound = 1006;

    /// <summary>A bot definition is invalid (id, adapter, platform, config or routes); data names the problems.</summary>
    public const int BotInvalid = 1007;

    /// <summary>A plugin could not be installed (bad package, unsafe archive, invalid manifest); data carries the kind.</summary>
    public const int PluginInstallFailed = 1008;

    /// <summary>A stored value or key exceeds a storage limit.</summary>
    public const int StorageLimitExceeded = 1100;

    /// <summary>The storage scope is not accessible to the caller.</summary>
    public const int StorageScopeDenied = 1101;

    /// <summary>No tool with that name is registered.</summary>
    public const int ToolNotFound = 2000;

    /// <summary>The tool arguments do not match the tool's JSON Schema.</summary>
    public const int ToolArgumentsInvalid = 2001;

    /// <summary>The tool did not finish within its timeout.</summary>
    public const int ToolTimeout = 2002;

    /// <summary>No command with that name is registered.</summary>
    public const int CommandNotFound = 2003;

    /// <summary>The adapter does not support the requested API.</summary>
    public const int AdapterNotSupported = 3000;

    /// <summary>The chat platform returned an error; data carries the platform's code and message.</summary>
    public const int PlatformError = 3001;

    /// <summary>
    /// A streamed reply can no longer be updated: the platform's update window has passed (or the adapter no longer
    /// holds the message it replies to). Data carries the platform's code and message; send the rest as a new message.
    /// </summary>
    public const int StreamExpired = 3002;

    /// <summary>The Box connection is not authenticated: call <c>box/hello</c> with the Box token first (or the token is wrong).</summary>
    public const int BoxUnauthorized = 4000;

    /// <summary>No sandbox backend is available (Docker, bubblewrap, nsjail); data says why each one is unavailable.</summary>
    public const int BoxBackendUnavailable = 4001;

    /// <summary>No Box session with that id exists.</summary>
    public const int BoxSessionNotFound = 4002;

    /// <summary>A session with that id exists with an incompatible spec; data lists the differing fields.</summary>
    public const int BoxSessionConflict = 4003;

    /// <summary>The Box already runs its maximum number of sessions; delete one or raise the limit.</summary>
    public const int BoxSessionLimitReached = 4004;

    /// <summary>A mount was rejected (not absolute or canonical, a symlink in the path, outside the allowed roots, or a denied path).</summary>
    public const int BoxMountRejected = 4005;

    /// <summary>The request sets a field the profile locks, or exceeds a profile ceiling.</summary>
    public const int BoxProfileViolation = 4006;

    /// <summary>The request is invalid (session id, command, working directory, environment, timeout, ...); data names the field.</summary>
    public const int BoxInvalidRequest = 4007;

    /// <summary>The sandbox backend failed the operation (e.g. the Docker engine returned an error); data carries its message.</summary>
    public const int BoxBackendError = 4008;

    /// <summary>No managed process with that id exists in the session.</summary>
    public const int BoxProcessNotFound = 4009;

    /// <summary>A managed process with that id is already running in the session.</summary>
    public const int BoxProcessConflict = 4010;

    /// <summary>A file operation was refused (a symlink, a path outside the workspace, not a regular file).</summary>
    public const int BoxFileAccessDenied = 4011;

    /// <summary>The file does not exist in the session.</summary>
    public const int BoxFileNotFound = 4012;

    /// <summary>The runtime has no connection to a Box (disabled, starting, or unavailable); data says why.</summary>
    public const int BoxUnavailable = 4013;

    /// <summary>The Box is shutting down and accepts no new work.</summary>
    public const int BoxShuttingDown = 4014;

    /// <summary>No hosted MCP server has that name.</summary>
    public const int McpServerNotFound = 5000;

    /// <summary>An MCP server definition is invalid, or conflicts with an existing one; data lists the problems.</summary>
    public const int McpServerInvalid = 5001;

    /// <summary>The MCP server is not Running (starting, restarting, failed or disabled); data carries its state.</summary>
    public const int McpServerNotRunning = 5002;

    /// <summary>The MCP server answered with an MCP protocol error; data carries its code.</summary>
    public const int McpServerError = 5003;
}
