using System.Text.Json;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Sdk;

/// <summary>Typed <c>bot/call</c> helpers over <see cref="IPluginRuntime"/>: talk through any bot by its id.</summary>
public static class BotRuntimeExtensions
{
    /// <summary>Sends a message chain to a person or group through a bot (<see cref="AdapterApis.Send"/>).</summary>
    public static async Task<SendResult> SendAsync(this IPluginRuntime runtime, string botId, ChatTarget target, IReadOnlyList<MessageComponent> chain, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(chain);
        var parameters = new JsonObjectBuilder(runtime.SerializerOptions).Add("target", target).Add("chain", chain).Build();
        return ReadSendResult(runtime, await runtime.CallBotAsync(botId, AdapterApis.Send, parameters, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Sends plain text to a person or group through a bot.</summary>
    public static Task<SendResult> SendTextAsync(this IPluginRuntime runtime, string botId, ChatTarget target, string text, CancellationToken cancellationToken = default)
        => runtime.SendAsync(botId, target, [new PlainComponent(text)], cancellationToken);

    /// <summary>Calls an adapter API through a bot with typed parameters (serialized without <c>botId</c>; the runtime adds it).</summary>
    public static async Task<TResult?> CallBotAsync<TResult>(this IPluginRuntime runtime, string botId, string api, object? parameters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        var element = parameters is null
            ? JsonDocument.Parse("{}").RootElement.Clone()
            : JsonSerializer.SerializeToElement(parameters, runtime.SerializerOptions.GetTypeInfo(parameters.GetType()));
        var result = await runtime.CallBotAsync(botId, api, element, cancellationToken).ConfigureAwait(false);
        return (TResult?)result.Deserialize(runtime.SerializerOptions.GetTypeInfo(typeof(TResult)));
    }

    /// <summary>Runs a platform-specific action through a bot (<see cref="AdapterApis.CallPlatformApi"/>).</summary>
    public static Task<JsonElement> CallPlatformApiAsync(this IPluginRuntime runtime, string botId, string action, JsonElement parameters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentException.ThrowIfNullOrEmpty(action);
        var call = new JsonObjectBuilder(runtime.SerializerOptions).Add("action", action).Add("params", parameters).Build();
        return runtime.CallBotAsync(botId, AdapterApis.CallPlatformApi, call, cancellationToken);
    }

    internal static SendResult ReadSendResult(IPluginRuntime runtime, JsonElement result)
        => result.ValueKind == JsonValueKind.Object
            ? (SendResult?)result.Deserialize(runtime.SerializerOptions.GetTypeInfo(typeof(SendResult))) ?? new SendResult(null)
            : new SendResult(null);
}

/// <summary>Builds a small JSON object from typed values with given serializer options.</summary>
internal sealed class JsonObjectBuilder(JsonSerializerOptions options)
{
    private readonly System.Text.Json.Nodes.JsonObject _object = [];

    public JsonObjectBuilder Add<T>(string name, T value)
    {
        _object[name] = JsonSerializer.SerializeToNode(value, options.GetTypeInfo(typeof(T)));
        return this;
    }

    public JsonElement Build() => JsonSerializer.SerializeToElement(_object, options.GetTypeInfo(typeof(System.Text.Json.Nodes.JsonObject)));
}
