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
}
