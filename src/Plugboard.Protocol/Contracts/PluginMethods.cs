namespace Plugboard.Protocol.Contracts;

/// <summary>Method names of the plugin protocol (<c>area/verb</c>). See docs/plugins.md for the lifecycle.</summary>
public static class PluginMethods
{
    /// <summary>Runtime → plugin request: handshake (<see cref="InitializeParams"/> → <see cref="InitializeResult"/>).</summary>
    public const string Initialize = "initialize";

    /// <summary>Runtime → plugin notification sent after a successful handshake; the plugin may now call the runtime.</summary>
    public const string Initialized = "initialized";

    /// <summary>Runtime → plugin request: finish in-flight work and release resources; answer, then wait for <see cref="Exit"/>.</summary>
    public const string Shutdown = "shutdown";

    /// <summary>Runtime → plugin notification: exit the process now.</summary>
    public const string Exit = "exit";

    /// <summary>Either direction: liveness check, answered with an empty object.</summary>
    public const string Ping = "$/ping";

    /// <summary>Runtime → plugin request: deliver an event to one of the plugin's listeners.</summary>
    public const string EventDispatch = "event/dispatch";

    /// <summary>Runtime → plugin request: run one of the plugin's tools.</summary>
    public const string ToolInvoke = "tool/invoke";

    /// <summary>Runtime → plugin request: run one of the plugin's commands.</summary>
    public const string CommandExecute = "command/execute";

    /// <summary>Plugin → runtime: read a stored value.</summary>
    public const string StorageGet = "storage/get";

    /// <summary>Plugin → runtime: write a stored value.</summary>
    public const string StorageSet = "storage/set";

    /// <summary>Plugin → runtime: delete a stored value.</summary>
    public const string StorageDelete = "storage/delete";

    /// <summary>Plugin → runtime: list stored keys.</summary>
    public const string StorageList = "storage/list";

    /// <summary>Plugin → runtime: atomic compare-and-set of a stored value.</summary>
    public const string StorageCompareAndSet = "storage/compareAndSet";

    /// <summary>Plugin → runtime: read the plugin's current configuration (secrets included).</summary>
    public const string ConfigGet = "config/get";

    /// <summary>Plugin → runtime: invoke a tool of any plugin by its qualified name.</summary>
    public const string ToolCall = "tool/call";

    /// <summary>Plugin → runtime: list the registered tools.</summary>
    public const string ToolList = "tool/list";

    /// <summary>Plugin → runtime: list plugins and their states.</summary>
    public const string PluginList = "plugin/list";

    /// <summary>Plugin → runtime: emit an event into the runtime (used by adapters).</summary>
    public const string EventEmit = "event/emit";
}

/// <summary>Protocol versions of the plugin protocol.</summary>
public static class ProtocolVersions
{
    /// <summary>The newest version this build speaks.</summary>
    public const string Current = "1.0";

    /// <summary>Every version this build speaks, newest first; the runtime offers these and the plugin picks one.</summary>
    public static IReadOnlyList<string> Supported { get; } = [Current];
}

/// <summary>Environment variables the runtime sets for plugin processes.</summary>
public static class PluginEnvironment
{
    /// <summary>The plugin id.</summary>
    public const string PluginId = "PLUGBOARD_PLUGIN_ID";

    /// <summary>The runtime's process id; the SDK exits when that process is gone.</summary>
    public const string RuntimePid = "PLUGBOARD_RUNTIME_PID";

    /// <summary>The plugin's data folder.</summary>
    public const string DataDirectory = "PLUGBOARD_DATA_DIR";

    /// <summary>The protocol versions the runtime speaks, comma-separated.</summary>
    public const string ProtocolVersions = "PLUGBOARD_PROTOCOL_VERSIONS";

    /// <summary>Set by a debug launch profile: the runtime's debug WebSocket URL. When present the SDK connects there instead of using stdio.</summary>
    public const string DebugUrl = "PLUGBOARD_DEBUG_URL";

    /// <summary>The token for <see cref="DebugUrl"/>.</summary>
    public const string DebugToken = "PLUGBOARD_DEBUG_TOKEN";
}
