using System.Text.Json;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Runtime.Supervision;

namespace Plugboard.Cli.Control;

/// <summary>Result of <see cref="ControlMethods.RuntimeInfo"/>.</summary>
/// <param name="Version">The runtime version.</param>
/// <param name="ProcessId">The <c>plugboard run</c> process id.</param>
/// <param name="DataDirectory">The data folder.</param>
/// <param name="PluginDirectories">The folders scanned for plugins.</param>
/// <param name="ControlUrl">The control endpoint.</param>
/// <param name="DebugUrl">The debug-attach endpoint, when enabled.</param>
/// <param name="ProtocolVersions">The plugin protocol versions the runtime speaks.</param>
/// <param name="StartedAt">When the runtime started.</param>
internal sealed record RuntimeInfoResult(
    string Version,
    int ProcessId,
    string DataDirectory,
    IReadOnlyList<string> PluginDirectories,
    string ControlUrl,
    string? DebugUrl,
    IReadOnlyList<string> ProtocolVersions,
    DateTimeOffset StartedAt);

/// <summary>Parameters naming one plugin.</summary>
/// <param name="PluginId">The plugin id.</param>
internal sealed record PluginIdParams(string PluginId);

/// <summary>Parameters of <see cref="ControlMethods.PluginLogs"/>.</summary>
/// <param name="PluginId">The plugin id.</param>
/// <param name="MaxLines">How many of the last lines to return (default 200).</param>
/// <param name="Follow">Also send every new line as a <see cref="ControlMethods.PluginLog"/> notification until the connection closes.</param>
internal sealed record PluginLogsParams(string PluginId, int MaxLines = 200, bool Follow = false);

/// <summary>Parameters of <see cref="ControlMethods.PluginInstall"/>.</summary>
/// <param name="Path">An absolute path, on the runtime's machine, of a plugin folder (with plugin.json) or a .zip package.</param>
/// <param name="ProgressToken">A token for <c>$/progress</c> notifications carrying <c>PluginInstallProgress</c> values.</param>
internal sealed record PluginInstallParams(string Path, ProgressToken? ProgressToken = null);

/// <summary>Parameters of <see cref="ControlMethods.PluginWaitUntilRunning"/>.</summary>
/// <param name="PluginId">The plugin id.</param>
/// <param name="TimeoutMs">How long to wait (default 30000).</param>
internal sealed record PluginWaitParams(string PluginId, int TimeoutMs = 30_000);

/// <summary>Parameters of <see cref="ControlMethods.ToolInvoke"/>.</summary>
/// <param name="Name">The tool name, qualified (<c>plugin-id/tool</c>) or unqualified when unique.</param>
/// <param name="Arguments">The arguments object (default <c>{}</c>).</param>
/// <param name="TimeoutMs">The timeout (default: the runtime's limits:toolTimeout).</param>
/// <param name="ProgressToken">A token for <c>$/progress</c> notifications carrying the tool's progress values.</param>
internal sealed record ToolInvokeRequest(string Name, JsonElement? Arguments = null, int? TimeoutMs = null, ProgressToken? ProgressToken = null);

/// <summary>Parameters of <see cref="ControlMethods.CommandExecute"/>.</summary>
/// <param name="Command">The command name or alias.</param>
/// <param name="Arguments">The arguments after the name.</param>
/// <param name="ProgressToken">A token for <c>$/progress</c> notifications carrying output chunks (strings).</param>
internal sealed record CommandExecuteRequest(string Command, IReadOnlyList<string>? Arguments = null, ProgressToken? ProgressToken = null);

/// <summary>Parameters of <see cref="ControlMethods.EventDispatch"/>.</summary>
/// <param name="Type">The event type, e.g. <c>message.received</c>.</param>
/// <param name="Data">The payload (default <c>{}</c>).</param>
/// <param name="Id">The event id (default: a new one).</param>
/// <param name="BotId">The bot the event concerns.</param>
/// <param name="Adapter">The adapter that produced it.</param>
/// <param name="Raw">The platform's raw payload.</param>
internal sealed record EventDispatchRequest(string Type, JsonElement? Data = null, string? Id = null, string? BotId = null, string? Adapter = null, JsonElement? Raw = null);

/// <summary>Parameters of <see cref="ControlMethods.RuntimeSubscribe"/>.</summary>
/// <param name="Events">The notifications wanted (default: all of <see cref="ControlMethods.SubscribableEvents"/>).</param>
/// <param name="Plugins">Only events of these plugins (default: every plugin).</param>
internal sealed record SubscribeParams(IReadOnlyList<string>? Events = null, IReadOnlyList<string>? Plugins = null);

/// <summary>Result of <see cref="ControlMethods.RuntimeSubscribe"/>.</summary>
/// <param name="Subscription">The subscription id, for <see cref="ControlMethods.RuntimeUnsubscribe"/>.</param>
/// <param name="Events">The notifications that will be sent.</param>
internal sealed record SubscribeResult(string Subscription, IReadOnlyList<string> Events);

/// <summary>Parameters of <see cref="ControlMethods.RuntimeUnsubscribe"/>.</summary>
/// <param name="Subscription">The id <see cref="ControlMethods.RuntimeSubscribe"/> returned.</param>
internal sealed record UnsubscribeParams(string Subscription);

/// <summary>Notification <see cref="ControlMethods.PluginStateChanged"/>.</summary>
/// <param name="PluginId">The plugin.</param>
/// <param name="Previous">Its state before.</param>
/// <param name="Current">Its state now.</param>
/// <param name="Reason">Why, when not obvious.</param>
/// <param name="Timestamp">When.</param>
internal sealed record PluginStateChangedNotification(string PluginId, PluginState Previous, PluginState Current, string? Reason, DateTimeOffset Timestamp);

/// <summary>Notification <see cref="ControlMethods.PluginLog"/>.</summary>
/// <param name="PluginId">The plugin.</param>
/// <param name="Line">The stderr line.</param>
/// <param name="Timestamp">When it was read.</param>
internal sealed record PluginLogNotification(string PluginId, string Line, DateTimeOffset Timestamp);

/// <summary>The error body of a refused <c>/control</c> or <c>/debug</c> connection (HTTP 401/404/409).</summary>
/// <param name="Code">A <see cref="Protocol.Contracts.PlugboardErrorCodes"/> code or the HTTP status.</param>
/// <param name="Message">What is wrong and what to do.</param>
internal sealed record EndpointError(int Code, string Message);

/// <summary>Body of <c>GET /healthz</c>.</summary>
/// <param name="Status"><c>ok</c>.</param>
/// <param name="Version">The runtime version.</param>
/// <param name="Plugins">How many plugins are in each state.</param>
internal sealed record HealthReport(string Status, string Version, IReadOnlyDictionary<string, int> Plugins);

/// <summary>What <c>plugboard run</c> writes to <c>&lt;data&gt;/runtime.json</c> so commands can find it.</summary>
/// <param name="ProcessId">The process id.</param>
/// <param name="Version">The runtime version.</param>
/// <param name="ControlUrl">The control endpoint.</param>
/// <param name="DebugUrl">The debug endpoint, when enabled.</param>
/// <param name="HealthUrl">The health endpoint.</param>
/// <param name="ControlTokenFile">Where the control token is.</param>
/// <param name="DebugTokenFile">Where the debug token is.</param>
/// <param name="StartedAt">When the runtime started.</param>
internal sealed record RuntimeInfoFile(int ProcessId, string Version, string ControlUrl, string? DebugUrl, string HealthUrl, string ControlTokenFile, string? DebugTokenFile, DateTimeOffset StartedAt);
