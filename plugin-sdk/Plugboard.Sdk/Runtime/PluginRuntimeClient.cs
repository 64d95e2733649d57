using System.Text.Json;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Sdk;

/// <summary>The <see cref="IPluginRuntime"/> implementation: plugin → runtime calls over the plugin's connection.</summary>
internal sealed class PluginRuntimeClient : IPluginRuntime
{
    private JsonRpcConnection? _connection;
    private string? _pluginId;
    private string? _protocolVersion;

    public PluginRuntimeClient(JsonSerializerOptions serializerOptions)
    {
        SerializerOptions = serializerOptions;
    }

    public bool IsConnected => _connection is { IsDisconnected: false };

    public string PluginId => _pluginId ?? throw NotConnected();

    public string ProtocolVersion => _protocolVersion ?? throw NotConnected();

    public string? DataDirectory { get; private set; }

    public JsonSerializerOptions SerializerOptions { get; }

    /// <summary>Binds the client to the connection once the handshake has agreed a version.</summary>
    public void Attach(JsonRpcConnection connection, string pluginId, string protocolVersion, string? dataDirectory)
    {
        _pluginId = pluginId;
        _protocolVersion = protocolVersion;
        DataDirectory = dataDirectory;
        Volatile.Write(ref _connection, connection);
    }

    public Task<StorageGetResult> GetValueAsync(string key, string scope = StorageScopes.Plugin, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return Connection.InvokeAsync<StorageGetResult>(PluginMethods.StorageGet, new StorageKeyParams(key, scope), cancellationToken);
    }

    public Task<StorageWriteResult> SetValueAsync(string key, JsonElement value, string scope = StorageScopes.Plugin, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return Connection.InvokeAsync<StorageWriteResult>(PluginMethods.StorageSet, new StorageSetParams(key, value, scope), cancellationToken);
    }

    public async Task<bool> DeleteValueAsync(string key, string scope = StorageScopes.Plugin, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var result = await Connection.InvokeAsync<JsonElement>(PluginMethods.StorageDelete, new StorageKeyParams(key, scope), cancellationToken).ConfigureAwait(false);

        // The runtime answers a boolean or a StorageWriteResult-like object; anything else means "done".
        return result.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Object when TryGetBoolean(result, out var found) => found,
            _ => true,
        };
    }

    public async Task<IReadOnlyList<string>> ListKeysAsync(string? prefix = null, int limit = 1000, string scope = StorageScopes.Plugin, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var result = await Connection.InvokeAsync<JsonElement>(PluginMethods.StorageList, new StorageListParams(prefix, limit, scope), cancellationToken).ConfigureAwait(false);

        // A JSON array of keys, or an object with a "keys" array.
        var keys = result.ValueKind == JsonValueKind.Object && result.TryGetProperty("keys", out var inner) ? inner : result;
        if (keys.ValueKind != JsonValueKind.Array)
        {
            throw new JsonRpcException(JsonRpcErrorCodes.InternalError, $"The runtime answered {PluginMethods.StorageList} with {result.ValueKind}; expected an array of keys.");
        }

        var list = new List<string>(keys.GetArrayLength());
        foreach (var item in keys.EnumerateArray())
        {
            list.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : item.TryGetProperty("key", out var k) ? k.GetString()! : item.GetRawText());
        }

        return list;
    }

    public Task<StorageWriteResult> CompareAndSetAsync(string key, long? expectedVersion, JsonElement value, string scope = StorageScopes.Plugin, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return Connection.InvokeAsync<StorageWriteResult>(PluginMethods.StorageCompareAndSet, new StorageCompareAndSetParams(key, expectedVersion, value, scope), cancellationToken);
    }

    public Task<JsonElement> GetConfigAsync(CancellationToken cancellationToken = default)
        => Connection.InvokeAsync<JsonElement>(PluginMethods.ConfigGet, Empty.Instance, cancellationToken);

    public Task<JsonElement> CallToolAsync(string name, JsonElement arguments, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return Connection.InvokeAsync<JsonElement>(PluginMethods.ToolCall, new ToolCallParams(name, arguments), cancellationToken);
    }

    public async Task<IReadOnlyList<ToolInfo>> ListToolsAsync(CancellationToken cancellationToken = default)
        => await Connection.InvokeAsync<ToolInfo[]>(PluginMethods.ToolList, Empty.Instance, cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<PluginSummary>> ListPluginsAsync(CancellationToken cancellationToken = default)
        => await Connection.InvokeAsync<PluginSummary[]>(PluginMethods.PluginList, Empty.Instance, cancellationToken).ConfigureAwait(false);

    public Task<JsonElement> EmitEventAsync(string type, JsonElement data, string? botId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        return Connection.InvokeAsync<JsonElement>(PluginMethods.EventEmit, new EventEmitParams(type, data, botId), cancellationToken);
    }

    public Task<JsonElement> EmitEventAsync(EventEmitParams parameters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentException.ThrowIfNullOrEmpty(parameters.Type);
        return Connection.InvokeAsync<JsonElement>(PluginMethods.EventEmit, parameters, cancellationToken);
    }

    public Task<JsonElement> CallBotAsync(string botId, string api, JsonElement parameters, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(botId);
        ArgumentException.ThrowIfNullOrEmpty(api);
        return Connection.InvokeAsync<JsonElement>(BotMethods.Call, new BotCallParams(botId, api, parameters), cancellationToken);
    }

    public Task<BotCapabilities> GetBotCapabilitiesAsync(string botId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(botId);
        return Connection.InvokeAsync<BotCapabilities>(BotMethods.Capabilities, new BotParams(botId), cancellationToken);
    }

    public async Task<IReadOnlyList<BotSummary>> ListBotsAsync(CancellationToken cancellationToken = default)
        => await Connection.InvokeAsync<BotSummary[]>(BotMethods.List, Empty.Instance, cancellationToken).ConfigureAwait(false);

    private JsonRpcConnection Connection => Volatile.Read(ref _connection) ?? throw NotConnected();

    private static InvalidOperationException NotConnected() => new(
        "The runtime is not connected yet: runtime calls work once the handshake has completed, i.e. inside listener, tool and command handlers and in PluginAppBuilder.OnInitialized callbacks.");

    private static bool TryGetBoolean(JsonElement result, out bool value)
    {
        foreach (var name in (ReadOnlySpan<string>)["deleted", "found", "existed", "success"])
        {
            if (result.TryGetProperty(name, out var property) && property.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                value = property.GetBoolean();
                return true;
            }
        }

        value = false;
        return false;
    }
}
