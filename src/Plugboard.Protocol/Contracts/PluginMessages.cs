using System.Text.Json;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Protocol.Contracts;

/// <summary>Who is on the other end of a handshake.</summary>
/// <param name="Name">Product name, e.g. "plugboard" or the plugin's display name.</param>
/// <param name="Version">Product version.</param>
public sealed record PeerInfo(string Name, string Version);

/// <summary>Parameters of <see cref="PluginMethods.Initialize"/>.</summary>
/// <param name="ProtocolVersions">The protocol versions the runtime speaks, newest first.</param>
/// <param name="Runtime">The runtime's identity.</param>
/// <param name="PluginId">The id the runtime knows this plugin by (from its manifest).</param>
/// <param name="Config">The plugin's validated configuration (a JSON object; secrets included).</param>
/// <param name="DataDirectory">The plugin's private data folder.</param>
/// <param name="Manifest">The plugin's manifest as the runtime loaded it.</param>
public sealed record InitializeParams(
    IReadOnlyList<string> ProtocolVersions,
    PeerInfo Runtime,
    string PluginId,
    JsonElement Config,
    string? DataDirectory,
    JsonElement? Manifest);

/// <summary>Result of <see cref="PluginMethods.Initialize"/>.</summary>
/// <param name="ProtocolVersion">The version the plugin picked from <see cref="InitializeParams.ProtocolVersions"/>.</param>
/// <param name="PluginId">The plugin's own idea of its id; must equal the manifest's.</param>
/// <param name="Plugin">The plugin's identity (SDK name and version).</param>
/// <param name="Capabilities">What the plugin implements.</param>
public sealed record InitializeResult(string ProtocolVersion, string PluginId, PeerInfo? Plugin, PluginCapabilities Capabilities);

/// <summary>What a plugin implements, declared in its handshake.</summary>
/// <param name="Listeners">Listener names with their event patterns and priorities.</param>
/// <param name="Tools">Tool names (unqualified) with their parameter schemas.</param>
/// <param name="Commands">Command names.</param>
public sealed record PluginCapabilities(
    IReadOnlyList<ListenerDescriptor>? Listeners = null,
    IReadOnlyList<ToolDescriptor>? Tools = null,
    IReadOnlyList<CommandDescriptor>? Commands = null);

/// <summary>A listener a plugin serves.</summary>
/// <param name="Name">The listener name, unique within the plugin.</param>
/// <param name="Events">Event patterns: exact (<c>message.received</c>), prefix (<c>message.*</c>) or <c>*</c>.</param>
/// <param name="Priority">Higher runs first.</param>
public sealed record ListenerDescriptor(string Name, IReadOnlyList<string> Events, int Priority = 0);

/// <summary>A tool a plugin serves.</summary>
/// <param name="Name">The tool name, unique within the plugin.</param>
/// <param name="Description">What the tool does (shown to models and users).</param>
/// <param name="Parameters">The JSON Schema of the arguments object.</param>
/// <param name="Result">The JSON Schema of the result, if declared.</param>
public sealed record ToolDescriptor(string Name, string? Description, JsonElement? Parameters, JsonElement? Result = null);

/// <summary>A command a plugin serves.</summary>
/// <param name="Name">The command name.</param>
/// <param name="Description">What it does.</param>
/// <param name="Aliases">Other names.</param>
/// <param name="Usage">A usage line, e.g. <c>weather &lt;city&gt;</c>.</param>
public sealed record CommandDescriptor(string Name, string? Description = null, IReadOnlyList<string>? Aliases = null, string? Usage = null);

/// <summary>An event as it travels between the runtime and plugins.</summary>
/// <param name="Id">A unique id of this event.</param>
/// <param name="Type">The namespaced type, e.g. <c>message.received</c>.</param>
/// <param name="Timestamp">When the event happened.</param>
/// <param name="Data">The event payload (type-specific JSON).</param>
/// <param name="BotId">The bot it concerns, if any.</param>
/// <param name="Adapter">The adapter that produced it, if any.</param>
/// <param name="Raw">The platform's raw payload, if any.</param>
public sealed record PluginEvent(string Id, string Type, DateTimeOffset Timestamp, JsonElement Data, string? BotId = null, string? Adapter = null, JsonElement? Raw = null);

/// <summary>Parameters of <see cref="PluginMethods.EventDispatch"/>.</summary>
/// <param name="Listener">The listener to run.</param>
/// <param name="Event">The event.</param>
public sealed record EventDispatchParams(string Listener, PluginEvent Event);

/// <summary>Result of <see cref="PluginMethods.EventDispatch"/>.</summary>
/// <param name="StopPropagation">Whether lower-priority listeners must not see the event.</param>
/// <param name="Result">An optional result (e.g. a reply) returned to whoever dispatched the event.</param>
public sealed record EventDispatchResult(bool StopPropagation = false, JsonElement? Result = null);

/// <summary>Parameters of <see cref="PluginMethods.ToolInvoke"/> (runtime → plugin).</summary>
/// <param name="Tool">The unqualified tool name.</param>
/// <param name="Arguments">The arguments object, already validated against the tool's schema.</param>
/// <param name="ProgressToken">A token for <c>$/progress</c> reports (streamed output), if the caller wants them.</param>
public sealed record ToolInvokeParams(string Tool, JsonElement Arguments, ProgressToken? ProgressToken = null);

/// <summary>Parameters of <see cref="PluginMethods.CommandExecute"/>.</summary>
/// <param name="Command">The command name (or alias).</param>
/// <param name="Arguments">The command-line arguments after the name.</param>
/// <param name="ProgressToken">A token for streamed output: each <c>$/progress</c> value is a text chunk.</param>
public sealed record CommandExecuteParams(string Command, IReadOnlyList<string> Arguments, ProgressToken? ProgressToken = null);

/// <summary>Result of <see cref="PluginMethods.CommandExecute"/>.</summary>
/// <param name="ExitCode">0 for success.</param>
/// <param name="Output">The complete output, when not streamed.</param>
public sealed record CommandExecuteResult(int ExitCode, string? Output = null);

/// <summary>The storage scopes a plugin may address.</summary>
public static class StorageScopes
{
    /// <summary>The calling plugin's private scope.</summary>
    public const string Plugin = "plugin";

    /// <summary>The scope shared by all plugins.</summary>
    public const string Shared = "shared";
}

/// <summary>Parameters of <see cref="PluginMethods.StorageGet"/> and <see cref="PluginMethods.StorageDelete"/>.</summary>
/// <param name="Key">The key.</param>
/// <param name="Scope"><see cref="StorageScopes.Plugin"/> (default) or <see cref="StorageScopes.Shared"/>.</param>
public sealed record StorageKeyParams(string Key, string Scope = StorageScopes.Plugin);

/// <summary>Result of <see cref="PluginMethods.StorageGet"/>: <see langword="null"/> fields when the key is absent.</summary>
/// <param name="Found">Whether the key exists.</param>
/// <param name="Value">The stored JSON value.</param>
/// <param name="Version">The value's version, for compare-and-set.</param>
public sealed record StorageGetResult(bool Found, JsonElement? Value = null, long? Version = null);

/// <summary>Parameters of <see cref="PluginMethods.StorageSet"/>.</summary>
/// <param name="Key">The key.</param>
/// <param name="Value">Any JSON value.</param>
/// <param name="Scope">The scope.</param>
public sealed record StorageSetParams(string Key, JsonElement Value, string Scope = StorageScopes.Plugin);

/// <summary>Parameters of <see cref="PluginMethods.StorageCompareAndSet"/>.</summary>
/// <param name="Key">The key.</param>
/// <param name="ExpectedVersion">The version the caller last read; <see langword="null"/> means "only if absent".</param>
/// <param name="Value">The new value.</param>
/// <param name="Scope">The scope.</param>
public sealed record StorageCompareAndSetParams(string Key, long? ExpectedVersion, JsonElement Value, string Scope = StorageScopes.Plugin);

/// <summary>Result of a storage write.</summary>
/// <param name="Success">Whether the write happened (always true for set).</param>
/// <param name="Version">The current version after the operation (null if absent).</param>
public sealed record StorageWriteResult(bool Success, long? Version);

/// <summary>Parameters of <see cref="PluginMethods.StorageList"/>.</summary>
/// <param name="Prefix">Only keys starting with this.</param>
/// <param name="Limit">At most this many keys.</param>
/// <param name="Scope">The scope.</param>
public sealed record StorageListParams(string? Prefix = null, int Limit = 1000, string Scope = StorageScopes.Plugin);

/// <summary>Parameters of <see cref="PluginMethods.ToolCall"/>.</summary>
/// <param name="Name">The qualified tool name (<c>plugin-id/tool</c>).</param>
/// <param name="Arguments">The arguments object.</param>
public sealed record ToolCallParams(string Name, JsonElement Arguments);

/// <summary>A tool as listed by the runtime.</summary>
/// <param name="Name">The qualified name, <c>plugin-id/tool</c>.</param>
/// <param name="PluginId">The plugin serving it.</param>
/// <param name="Description">What it does.</param>
/// <param name="Parameters">The JSON Schema of its arguments.</param>
public sealed record ToolInfo(string Name, string PluginId, string? Description, JsonElement? Parameters);

/// <summary>A plugin as listed by the runtime.</summary>
/// <param name="Id">The plugin id.</param>
/// <param name="Version">The installed version.</param>
/// <param name="State">The lifecycle state name.</param>
public sealed record PluginSummary(string Id, string Version, string State);

/// <summary>Parameters of <see cref="PluginMethods.EventEmit"/>.</summary>
/// <param name="Type">The event type.</param>
/// <param name="Data">The payload.</param>
/// <param name="BotId">The bot it concerns.</param>
/// <param name="Raw">The platform's raw payload.</param>
public sealed record EventEmitParams(string Type, JsonElement Data, string? BotId = null, JsonElement? Raw = null);

/// <summary>An empty object, for methods without parameters or results.</summary>
public sealed record Empty
{
    /// <summary>The single instance.</summary>
    public static Empty Instance { get; } = new();
}
