namespace Plugboard.Cli.Control;

/// <summary>
/// Method names of the control endpoint (<c>/control</c>, JSON-RPC 2.0 over WebSocket). They mirror
/// <see cref="Runtime.IPlugboardRuntime"/>; docs/cli.md is the reference for hosts in other languages.
/// </summary>
internal static class ControlMethods
{
    /// <summary>Runtime version, process, data folder and endpoint addresses → <see cref="RuntimeInfoResult"/>.</summary>
    public const string RuntimeInfo = "runtime/info";

    /// <summary>Start receiving runtime events as notifications (<see cref="SubscribeParams"/> → <see cref="SubscribeResult"/>).</summary>
    public const string RuntimeSubscribe = "runtime/subscribe";

    /// <summary>Stop a subscription (<see cref="UnsubscribeParams"/>).</summary>
    public const string RuntimeUnsubscribe = "runtime/unsubscribe";

    /// <summary>All plugins with their states → <c>PluginStatus[]</c>.</summary>
    public const string PluginList = "plugin/list";

    /// <summary>One plugin (<see cref="PluginIdParams"/> → <c>PluginStatus</c>).</summary>
    public const string PluginGet = "plugin/get";

    /// <summary>A plugin's last stderr lines, optionally followed (<see cref="PluginLogsParams"/> → <c>string[]</c>, then <see cref="PluginLog"/> notifications).</summary>
    public const string PluginLogs = "plugin/logs";

    /// <summary>Install a folder or .zip on the runtime's machine and start it (<see cref="PluginInstallParams"/> → <c>PluginStatus</c>).</summary>
    public const string PluginInstall = "plugin/install";

    /// <summary>Stop and remove a plugin (<see cref="PluginIdParams"/>).</summary>
    public const string PluginUninstall = "plugin/uninstall";

    /// <summary>Enable (persisted) and start a plugin (<see cref="PluginIdParams"/>).</summary>
    public const string PluginEnable = "plugin/enable";

    /// <summary>Stop and disable (persisted) a plugin (<see cref="PluginIdParams"/>).</summary>
    public const string PluginDisable = "plugin/disable";

    /// <summary>Restart a plugin, also a Failed one (<see cref="PluginIdParams"/>).</summary>
    public const string PluginRestart = "plugin/restart";

    /// <summary>Wait until a plugin is Running (<see cref="PluginWaitParams"/> → <c>PluginStatus</c>).</summary>
    public const string PluginWaitUntilRunning = "plugin/waitUntilRunning";

    /// <summary>All registered tools → <c>ToolInfo[]</c>.</summary>
    public const string ToolList = "tool/list";

    /// <summary>Validate arguments and invoke a tool (<see cref="ToolInvokeRequest"/> → the tool's JSON result; progress as <c>$/progress</c>).</summary>
    public const string ToolInvoke = "tool/invoke";

    /// <summary>Run a command (<see cref="CommandExecuteRequest"/> → <c>CommandExecuteResult</c>; output chunks as <c>$/progress</c>).</summary>
    public const string CommandExecute = "command/execute";

    /// <summary>Deliver an event to listeners (<see cref="EventDispatchRequest"/> → <c>EventDispatchOutcome</c>).</summary>
    public const string EventDispatch = "event/dispatch";

    /// <summary>Plugins currently served by a debug-attached process → <c>DebugSessionInfo[]</c>.</summary>
    public const string DebugList = "debug/list";

    /// <summary>Notification: a plugin changed state (<see cref="PluginStateChangedNotification"/>).</summary>
    public const string PluginStateChanged = "plugin/stateChanged";

    /// <summary>Notification: a plugin wrote a stderr line (<see cref="PluginLogNotification"/>).</summary>
    public const string PluginLog = "plugin/log";

    /// <summary>The event names <see cref="RuntimeSubscribe"/> accepts.</summary>
    public static IReadOnlyList<string> SubscribableEvents { get; } = [PluginStateChanged, PluginLog];
}
