using System.Collections.Concurrent;
using System.Text.Json;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Sdk.Tests.Infrastructure;

/// <summary>
/// The runtime side of the plugin-facing API, as simple as it can be: in-memory storage with versions, a fixed
/// configuration, a fixed tool and plugin list, and a record of emitted events. It is registered on a real connection
/// to a real plugin process, so the SDK's runtime client is exercised over the real wire.
/// </summary>
public sealed class FakeRuntimeApi
{
    private readonly ConcurrentDictionary<(string Scope, string Key), (JsonElement Value, long Version)> _storage = new();
    private long _nextVersion;

    public JsonElement Config { get; set; } = JsonSerializer.SerializeToElement(new Dictionary<string, object> { ["greeting"] = "Howdy" });

    public ConcurrentQueue<EventEmitParams> EmittedEvents { get; } = new();

    public IReadOnlyDictionary<(string Scope, string Key), (JsonElement Value, long Version)> Storage => _storage;

    public void Register(JsonRpcConnection connection)
    {
        connection.AddMethod<StorageKeyParams, StorageGetResult>(PluginMethods.StorageGet, p =>
            _storage.TryGetValue((p.Scope, p.Key), out var entry) ? new StorageGetResult(true, entry.Value, entry.Version) : new StorageGetResult(false));
        connection.AddMethod<StorageSetParams, StorageWriteResult>(PluginMethods.StorageSet, p =>
        {
            var version = Interlocked.Increment(ref _nextVersion);
            _storage[(p.Scope, p.Key)] = (p.Value.Clone(), version);
            return new StorageWriteResult(true, version);
        });
        connection.AddMethod<StorageKeyParams, StorageWriteResult>(PluginMethods.StorageDelete, p =>
            new StorageWriteResult(_storage.TryRemove((p.Scope, p.Key), out _), null));
        connection.AddMethod<StorageListParams, string[]>(PluginMethods.StorageList, p =>
            [.. _storage.Keys.Where(k => k.Scope == p.Scope && (p.Prefix is null || k.Key.StartsWith(p.Prefix, StringComparison.Ordinal))).Select(k => k.Key).Order(StringComparer.Ordinal).Take(p.Limit)]);
        connection.AddMethod<StorageCompareAndSetParams, StorageWriteResult>(PluginMethods.StorageCompareAndSet, p =>
        {
            lock (_storage)
            {
                var exists = _storage.TryGetValue((p.Scope, p.Key), out var current);
                if ((p.ExpectedVersion is null && exists) || (p.ExpectedVersion is { } expected && (!exists || current.Version != expected)))
                {
                    return new StorageWriteResult(false, exists ? current.Version : null);
                }

                var version = Interlocked.Increment(ref _nextVersion);
                _storage[(p.Scope, p.Key)] = (p.Value.Clone(), version);
                return new StorageWriteResult(true, version);
            }
        });
        connection.AddMethod<JsonElement, JsonElement>(PluginMethods.ConfigGet, _ => Config);
        connection.AddMethod<JsonElement, ToolInfo[]>(PluginMethods.ToolList, _ => [new ToolInfo("other.plugin/lookup", "other.plugin", "Looks things up.", null)]);
        connection.AddMethod<JsonElement, PluginSummary[]>(PluginMethods.PluginList, _ => [new PluginSummary("other.plugin", "2.0.0", "Running")]);
        connection.AddMethod<ToolCallParams, JsonElement>(PluginMethods.ToolCall, p =>
            JsonSerializer.SerializeToElement(new Dictionary<string, object> { ["called"] = p.Name, ["arguments"] = p.Arguments }));
        connection.AddMethod<EventEmitParams, JsonElement>(PluginMethods.EventEmit, p =>
        {
            EmittedEvents.Enqueue(p with { Data = p.Data.Clone() });
            return JsonSerializer.SerializeToElement(new Dictionary<string, object> { ["delivered"] = 0 });
        });
    }
}
