using System.Text.Json;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Runtime.Storage;
using Plugboard.Runtime.Supervision;

namespace Plugboard.Runtime;

/// <summary>The runtime API plugins call over their connection: storage, config, tools, plugins, events.</summary>
public sealed partial class PlugboardRuntime
{
    private void RegisterRuntimeApi(PluginSupervisor supervisor, JsonRpcConnection connection)
    {
        var pluginId = supervisor.Spec.Id;
        connection.AddMethod<StorageKeyParams, StorageGetResult>(PluginMethods.StorageGet, async (p, context) =>
        {
            var entry = await StorageCall(() => _storage.GetAsync(Scope(pluginId, p.Scope), p.Key, context.CancellationToken)).ConfigureAwait(false);
            if (entry is null)
            {
                return new StorageGetResult(false);
            }

            using var document = JsonDocument.Parse(entry.Value);
            return new StorageGetResult(true, document.RootElement.Clone(), entry.Version);
        });
        connection.AddMethod<StorageSetParams, StorageWriteResult>(PluginMethods.StorageSet, async (p, context) =>
        {
            var version = await StorageCall(() => _storage.SetAsync(Scope(pluginId, p.Scope), p.Key, Utf8(p.Value), context.CancellationToken)).ConfigureAwait(false);
            return new StorageWriteResult(true, version);
        });
        connection.AddMethod<StorageKeyParams, StorageWriteResult>(PluginMethods.StorageDelete, async (p, context) =>
        {
            var deleted = await StorageCall(() => _storage.DeleteAsync(Scope(pluginId, p.Scope), p.Key, context.CancellationToken)).ConfigureAwait(false);
            return new StorageWriteResult(deleted, null);
        });
        connection.AddMethod<StorageCompareAndSetParams, StorageWriteResult>(PluginMethods.StorageCompareAndSet, async (p, context) =>
        {
            var result = await StorageCall(() => _storage.CompareAndSetAsync(Scope(pluginId, p.Scope), p.Key, p.ExpectedVersion, Utf8(p.Value), context.CancellationToken)).ConfigureAwait(false);
            return new StorageWriteResult(result.Succeeded, result.CurrentVersion);
        });
        connection.AddMethod<StorageListParams, string[]>(PluginMethods.StorageList, async (p, context) =>
        {
            var keys = await StorageCall(() => _storage.ListKeysAsync(Scope(pluginId, p.Scope), p.Prefix, null, p.Limit, context.CancellationToken)).ConfigureAwait(false);
            return [.. keys];
        });
        connection.AddMethod<JsonElement, JsonElement>(PluginMethods.ConfigGet, _ => supervisor.Spec.Config);
        connection.AddMethod<JsonElement, ToolInfo[]>(PluginMethods.ToolList, _ => [.. GetTools()]);
        connection.AddMethod<JsonElement, PluginSummary[]>(PluginMethods.PluginList, _ => [.. GetPlugins().Select(p => new PluginSummary(p.Id, p.Version, p.State.ToString()))]);
        connection.AddMethod<ToolCallParams, JsonElement>(PluginMethods.ToolCall, (p, context) => new ValueTask<JsonElement>(InvokeToolAsync(p.Name, p.Arguments, null, null, context.CancellationToken)));
        connection.AddMethod<EventEmitParams, JsonElement>(PluginMethods.EventEmit, async (p, context) =>
        {
            var pluginEvent = new PluginEvent(Guid.NewGuid().ToString("N"), p.Type, DateTimeOffset.UtcNow, p.Data, p.BotId, pluginId, p.Raw);
            if (p.BotId is { } botId)
            {
                var record = await RouteEventAsync(pluginEvent, context.CancellationToken).ConfigureAwait(false);
                return JsonSerializer.SerializeToElement(record, Bots.BotJsonContext.Default.BotEventRecord);
            }

            var outcome = await DispatchEventAsync(pluginEvent, context.CancellationToken).ConfigureAwait(false);
            return JsonSerializer.SerializeToElement(outcome, RuntimeJsonContext.Default.EventDispatchOutcome);
        });
        connection.AddMethod<BotCallParams, JsonElement>(BotMethods.Call, (p, context) => new ValueTask<JsonElement>(CallBotAsync(p.BotId, p.Api, p.Params, context.CancellationToken)));
        connection.AddMethod<BotParams, BotCapabilities>(BotMethods.Capabilities, p => GetBotCapabilities(p.BotId));
        connection.AddMethod<JsonElement, BotSummary[]>(BotMethods.List, _ => [.. GetBots().Select(b => new BotSummary(b.Id, b.Name, b.AdapterPlugin, b.Platform, b.Enabled, b.State))]);
    }

    private static StorageScope Scope(string pluginId, string? scope) => scope switch
    {
        null or StorageScopes.Plugin => StorageScope.ForPlugin(pluginId),
        StorageScopes.Shared => StorageScope.Shared,
        _ => throw JsonRpcException.WithData(PlugboardErrorCodes.StorageScopeDenied, $"Unknown storage scope '{scope}': use \"plugin\" or \"shared\".", ("scope", scope)),
    };

    private static byte[] Utf8(JsonElement value) => JsonSerializer.SerializeToUtf8Bytes(value, ContractsJsonContext.Default.JsonElement);

    private static async Task<T> StorageCall<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (StorageLimitExceededException ex)
        {
            throw JsonRpcException.WithData(PlugboardErrorCodes.StorageLimitExceeded, ex.Message, ("option", ex.OptionName));
        }
        catch (ArgumentException ex)
        {
            throw JsonRpcException.WithData(JsonRpcErrorCodes.InvalidParams, ex.Message, ("parameter", ex.ParamName));
        }
    }
}
