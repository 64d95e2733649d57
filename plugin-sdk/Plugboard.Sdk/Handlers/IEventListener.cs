namespace Plugboard.Sdk;

/// <summary>
/// An event listener resolved from dependency injection (one instance per event, from its own service scope).
/// Register it with <see cref="PluginAppBuilder.AddListener{TListener}(string, IReadOnlyList{string}, int)"/>.
/// </summary>
public interface IEventListener
{
    /// <summary>Handles one event. Call <see cref="EventContext.StopPropagation"/> to keep lower-priority listeners from seeing it.</summary>
    ValueTask HandleAsync(EventContext context);
}
