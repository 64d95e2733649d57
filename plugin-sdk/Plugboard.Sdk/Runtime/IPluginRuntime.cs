using System.Text.Json;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Sdk;

/// <summary>
/// The runtime API as a plugin sees it: storage, configuration, other plugins' tools, the plugin list and event
/// emission. Available from dependency injection and from every handler context; calls made before the handshake
/// completes throw <see cref="InvalidOperationException"/>. Typed helpers are in <see cref="PluginRuntimeExtensions"/>.
/// Runtime errors surface as <see cref="Protocol.JsonRpc.JsonRpcException"/> with a code from <see cref="PlugboardErrorCodes"/>.
/// </summary>
public interface IPluginRuntime
{
    /// <summary>Whether the handshake has completed and the runtime can be called.</summary>
    bool IsConnected { get; }

    /// <summary>This plugin's id, as sent in the handshake.</summary>
    string PluginId { get; }

    /// <summary>The protocol version agreed in the handshake.</summary>
    string ProtocolVersion { get; }

    /// <summary>The plugin's private data folder, when the runtime provides one.</summary>
    string? DataDirectory { get; }

    /// <summary>The serializer options used for typed values (the app's <see cref="PluginAppOptions.SerializerOptions"/>).</summary>
    JsonSerializerOptions SerializerOptions { get; }

    /// <summary>Reads a stored value.</summary>
    /// <param name="key">The key.</param>
    /// <param name="scope"><see cref="StorageScopes.Plugin"/> (this plugin's own keys) or <see cref="StorageScopes.Shared"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<StorageGetResult> GetValueAsync(string key, string scope = StorageScopes.Plugin, CancellationToken cancellationToken = default);

    /// <summary>Writes a stored value (any JSON value); returns the new version.</summary>
    Task<StorageWriteResult> SetValueAsync(string key, JsonElement value, string scope = StorageScopes.Plugin, CancellationToken cancellationToken = default);

    /// <summary>Deletes a stored value; returns whether it existed.</summary>
    Task<bool> DeleteValueAsync(string key, string scope = StorageScopes.Plugin, CancellationToken cancellationToken = default);

    /// <summary>Lists stored keys, optionally only those starting with <paramref name="prefix"/>.</summary>
    Task<IReadOnlyList<string>> ListKeysAsync(string? prefix = null, int limit = 1000, string scope = StorageScopes.Plugin, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes a value only if its current version is <paramref name="expectedVersion"/> (<see langword="null"/>: only if
    /// the key is absent). <see cref="StorageWriteResult.Success"/> tells whether the write happened.
    /// </summary>
    Task<StorageWriteResult> CompareAndSetAsync(string key, long? expectedVersion, JsonElement value, string scope = StorageScopes.Plugin, CancellationToken cancellationToken = default);

    /// <summary>Reads the plugin's current configuration (a JSON object, secrets included).</summary>
    Task<JsonElement> GetConfigAsync(CancellationToken cancellationToken = default);

    /// <summary>Invokes any plugin's tool by its qualified name (<c>plugin-id/tool</c>) and returns its JSON result.</summary>
    Task<JsonElement> CallToolAsync(string name, JsonElement arguments, CancellationToken cancellationToken = default);

    /// <summary>Lists the tools registered in the runtime.</summary>
    Task<IReadOnlyList<ToolInfo>> ListToolsAsync(CancellationToken cancellationToken = default);

    /// <summary>Lists the plugins and their states.</summary>
    Task<IReadOnlyList<PluginSummary>> ListPluginsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Emits an event into the runtime, which routes it to listeners by priority (used by adapters). Returns the
    /// runtime's dispatch outcome (which listeners ran, their results, whether propagation stopped) as JSON.
    /// </summary>
    Task<JsonElement> EmitEventAsync(string type, JsonElement data, string? botId = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Emits an event with every field of <c>event/emit</c>, including the platform's raw payload (used by adapters;
    /// <see cref="Adapters.BotContext.EmitAsync"/> fills in the bot id). Returns the runtime's outcome as JSON: the bot's
    /// routing record when <see cref="EventEmitParams.BotId"/> is set, else the dispatch outcome.
    /// </summary>
    Task<JsonElement> EmitEventAsync(EventEmitParams parameters, CancellationToken cancellationToken = default);

    /// <summary>
    /// Calls an adapter API through a bot (<c>bot/call</c>): <paramref name="api"/> is a name from
    /// <see cref="AdapterApis"/> and <paramref name="parameters"/> its parameters without <c>botId</c>. APIs the bot's
    /// adapter does not support fail with <see cref="PlugboardErrorCodes.AdapterNotSupported"/>; platform failures with
    /// <see cref="PlugboardErrorCodes.PlatformError"/>. Typed helpers: <see cref="BotRuntimeExtensions"/>.
    /// </summary>
    Task<JsonElement> CallBotAsync(string botId, string api, JsonElement parameters, CancellationToken cancellationToken = default);

    /// <summary>What a bot supports: its platform, the events its adapter emits, the APIs and platform actions it serves.</summary>
    Task<BotCapabilities> GetBotCapabilitiesAsync(string botId, CancellationToken cancellationToken = default);

    /// <summary>Lists the runtime's bots (without their configuration).</summary>
    Task<IReadOnlyList<BotSummary>> ListBotsAsync(CancellationToken cancellationToken = default);
}
