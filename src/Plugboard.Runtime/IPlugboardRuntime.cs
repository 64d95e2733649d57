using System.Text.Json;
using Plugboard.Protocol.Contracts;
using Plugboard.Runtime.Bots;
using Plugboard.Runtime.Dispatch;
using Plugboard.Runtime.Supervision;

namespace Plugboard.Runtime;

/// <summary>
/// The runtime facade for hosts: plugins and their states, installation, enable/disable/restart, event dispatch,
/// tool invocation and commands. Errors are <see cref="Protocol.JsonRpc.JsonRpcException"/>s carrying a
/// <see cref="PlugboardErrorCodes"/> code, so they cross the control endpoint unchanged.
/// </summary>
public interface IPlugboardRuntime
{
    /// <summary>Raised on every plugin state transition.</summary>
    event EventHandler<PluginStateChangedEventArgs>? PluginStateChanged;

    /// <summary>Raised when the tool registry changes (a plugin started or stopped, an MCP server's tools changed).</summary>
    event EventHandler? ToolsChanged;

    /// <summary>All known plugins, ordered by id.</summary>
    IReadOnlyList<PluginStatus> GetPlugins();

    /// <summary>One plugin; throws <see cref="PlugboardErrorCodes.PluginNotFound"/> if unknown.</summary>
    PluginStatus GetPlugin(string pluginId);

    /// <summary>The last stderr lines of a plugin, oldest first.</summary>
    IReadOnlyList<string> GetPluginLogs(string pluginId, int maxLines = 200);

    /// <summary>Installs a plugin from a folder or a .zip package, and starts it.</summary>
    Task<PluginStatus> InstallAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Stops and removes an installed plugin (its data folder is kept).</summary>
    Task UninstallAsync(string pluginId, CancellationToken cancellationToken = default);

    /// <summary>Enables a plugin (persisted) and starts it.</summary>
    Task EnableAsync(string pluginId, CancellationToken cancellationToken = default);

    /// <summary>Stops a plugin and disables it (persisted).</summary>
    Task DisableAsync(string pluginId, CancellationToken cancellationToken = default);

    /// <summary>Restarts a plugin (also brings a Failed plugin back).</summary>
    Task RestartAsync(string pluginId, CancellationToken cancellationToken = default);

    /// <summary>Waits until a plugin is Running; throws if it is Failed, Disabled or Stopped.</summary>
    Task WaitUntilRunningAsync(string pluginId, CancellationToken cancellationToken = default);

    /// <summary>Delivers an event to matching listeners in priority order until one stops propagation.</summary>
    Task<EventDispatchOutcome> DispatchEventAsync(PluginEvent pluginEvent, CancellationToken cancellationToken = default);

    /// <summary>All registered tools, by qualified name.</summary>
    IReadOnlyList<ToolInfo> GetTools();

    /// <summary>Validates the arguments and invokes a tool; <paramref name="progress"/> receives the tool's progress values.</summary>
    Task<JsonElement> InvokeToolAsync(string name, JsonElement arguments, IProgress<JsonElement>? progress = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default);

    /// <summary>Runs a command; <paramref name="output"/> receives streamed output chunks.</summary>
    Task<CommandExecuteResult> ExecuteCommandAsync(string command, IReadOnlyList<string> arguments, IProgress<string>? output = null, CancellationToken cancellationToken = default);

    /// <summary>All bots, ordered by id.</summary>
    IReadOnlyList<BotStatus> GetBots();

    /// <summary>One bot; throws <see cref="PlugboardErrorCodes.BotNotFound"/> if unknown.</summary>
    BotStatus GetBot(string botId);

    /// <summary>Adds (or replaces) a bot after validating it against its adapter, persists it and starts it.</summary>
    Task<BotStatus> AddBotAsync(BotDefinition bot, bool replace = false, CancellationToken cancellationToken = default);

    /// <summary>Stops and deletes a bot.</summary>
    Task RemoveBotAsync(string botId, CancellationToken cancellationToken = default);

    /// <summary>Enables a bot (persisted) and starts it.</summary>
    Task EnableBotAsync(string botId, CancellationToken cancellationToken = default);

    /// <summary>Stops and disables a bot (persisted).</summary>
    Task DisableBotAsync(string botId, CancellationToken cancellationToken = default);

    /// <summary>The last routed events of a bot with their outcome, newest last.</summary>
    IReadOnlyList<BotEventRecord> GetRecentEvents(string botId, int max = 100);

    /// <summary>What a bot's adapter supports.</summary>
    BotCapabilities GetBotCapabilities(string botId);

    /// <summary>Calls an adapter API through a bot.</summary>
    Task<JsonElement> CallBotAsync(string botId, string api, JsonElement parameters, CancellationToken cancellationToken = default);

    /// <summary>Routes an event that carries a bot id through that bot's rules.</summary>
    Task<BotEventRecord> RouteEventAsync(PluginEvent pluginEvent, CancellationToken cancellationToken = default);
}

/// <summary>A plugin's status.</summary>
/// <param name="Id">The plugin id.</param>
/// <param name="Version">Its version.</param>
/// <param name="DisplayName">Its display name.</param>
/// <param name="State">Its lifecycle state.</param>
/// <param name="Enabled">Whether it is enabled.</param>
/// <param name="Directory">The folder it runs from.</param>
/// <param name="ProcessId">Its process id, when running.</param>
/// <param name="RestartCount">How many times it was restarted after crashes.</param>
/// <param name="LastError">The last crash or failure reason.</param>
public sealed record PluginStatus(string Id, string Version, string DisplayName, PluginState State, bool Enabled, string Directory, int? ProcessId, int RestartCount, string? LastError);
