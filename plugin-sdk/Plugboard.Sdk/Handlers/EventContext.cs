using System.Text.Json;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Sdk;

/// <summary>What a listener knows about the event it handles, and how it answers.</summary>
public sealed class EventContext
{
    private readonly JsonSerializerOptions _serializer;

    internal EventContext(PluginEvent @event, string listener, IServiceProvider services, IPluginRuntime runtime, JsonSerializerOptions serializer, CancellationToken cancellationToken)
    {
        Event = @event;
        Listener = listener;
        Services = services;
        Runtime = runtime;
        _serializer = serializer;
        CancellationToken = cancellationToken;
    }

    /// <summary>The event being dispatched.</summary>
    public PluginEvent Event { get; }

    /// <summary>The name of the listener the runtime dispatched to.</summary>
    public string Listener { get; }

    /// <summary>The services of this dispatch's scope.</summary>
    public IServiceProvider Services { get; }

    /// <summary>The client for the runtime API (storage, config, tools, events).</summary>
    public IPluginRuntime Runtime { get; }

    /// <summary>Fires when the runtime cancels the dispatch (timeout, shutdown) or the connection ends.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Whether <see cref="StopPropagation"/> was called.</summary>
    public bool IsPropagationStopped { get; private set; }

    /// <summary>The result set with <see cref="SetResult{T}(T)"/>, returned to whoever dispatched the event.</summary>
    public JsonElement? Result { get; private set; }

    /// <summary>Keeps listeners with a lower priority (in any plugin) from receiving this event.</summary>
    public void StopPropagation() => IsPropagationStopped = true;

    /// <summary>Sets the result returned to the dispatcher (e.g. a reply), serialized with the app's serializer options.</summary>
    public void SetResult<T>(T value) => Result = JsonSerializer.SerializeToElement(value, _serializer.GetTypeInfo(typeof(T)));

    /// <summary>Sets the result returned to the dispatcher as raw JSON.</summary>
    public void SetResult(JsonElement value) => Result = value;

    /// <summary>Deserializes the event payload (<see cref="PluginEvent.Data"/>) with the app's serializer options.</summary>
    /// <exception cref="JsonException">The payload does not match <typeparamref name="T"/>.</exception>
    public T? GetData<T>() => (T?)Event.Data.Deserialize(_serializer.GetTypeInfo(typeof(T)));
}
