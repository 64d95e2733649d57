using System.Text.Json;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Sdk;

/// <summary>Typed helpers over <see cref="IPluginRuntime"/>; values are (de)serialized with <see cref="IPluginRuntime.SerializerOptions"/>.</summary>
public static class PluginRuntimeExtensions
{
    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    /// <summary>Reads a stored value as <typeparamref name="T"/>; <see langword="default"/> when the key is absent.</summary>
    public static async Task<T?> GetValueAsync<T>(this IPluginRuntime runtime, string key, string scope = StorageScopes.Plugin, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        var stored = await runtime.GetValueAsync(key, scope, cancellationToken).ConfigureAwait(false);
        return stored is { Found: true, Value: { } value } ? Deserialize<T>(runtime, value) : default;
    }

    /// <summary>Writes <paramref name="value"/> as JSON; returns the new version.</summary>
    public static Task<StorageWriteResult> SetValueAsync<T>(this IPluginRuntime runtime, string key, T value, string scope = StorageScopes.Plugin, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        return runtime.SetValueAsync(key, Serialize(runtime, value), scope, cancellationToken);
    }

    /// <summary>Writes <paramref name="value"/> only if the stored version is <paramref name="expectedVersion"/> (<see langword="null"/>: only if absent).</summary>
    public static Task<StorageWriteResult> CompareAndSetAsync<T>(this IPluginRuntime runtime, string key, long? expectedVersion, T value, string scope = StorageScopes.Plugin, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        return runtime.CompareAndSetAsync(key, expectedVersion, Serialize(runtime, value), scope, cancellationToken);
    }

    /// <summary>Reads the plugin's configuration into a POCO (property names as in the manifest's config fields, camelCase by default).</summary>
    public static async Task<T> GetConfigAsync<T>(this IPluginRuntime runtime, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        var config = await runtime.GetConfigAsync(cancellationToken).ConfigureAwait(false);
        return Deserialize<T>(runtime, config)
            ?? throw new InvalidOperationException($"The runtime returned no configuration for plugin '{runtime.PluginId}' (got {config.ValueKind}); check the plugin's config in the runtime.");
    }

    /// <summary>Invokes a tool with typed arguments and result.</summary>
    public static async Task<TResult?> CallToolAsync<TResult>(this IPluginRuntime runtime, string name, object? arguments, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        var args = arguments is null
            ? EmptyObject
            : JsonSerializer.SerializeToElement(arguments, runtime.SerializerOptions.GetTypeInfo(arguments.GetType()));
        var result = await runtime.CallToolAsync(name, args, cancellationToken).ConfigureAwait(false);
        return Deserialize<TResult>(runtime, result);
    }

    /// <summary>Emits an event with a typed payload; returns the runtime's dispatch outcome as JSON.</summary>
    public static Task<JsonElement> EmitEventAsync<T>(this IPluginRuntime runtime, string type, T data, string? botId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        return runtime.EmitEventAsync(type, Serialize(runtime, data), botId, cancellationToken);
    }

    private static JsonElement Serialize<T>(IPluginRuntime runtime, T value)
        => JsonSerializer.SerializeToElement(value, runtime.SerializerOptions.GetTypeInfo(typeof(T)));

    private static T? Deserialize<T>(IPluginRuntime runtime, JsonElement value)
        => (T?)value.Deserialize(runtime.SerializerOptions.GetTypeInfo(typeof(T)));
}
