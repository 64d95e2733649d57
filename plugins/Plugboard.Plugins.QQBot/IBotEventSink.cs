using System.Text.Json;

namespace Plugboard.Plugins.QQBot;

/// <summary>Where a bot's normalised events go: <c>event/emit</c> on the runtime connection (or a list in tests).</summary>
internal interface IBotEventSink
{
    /// <summary>Emits one event of a bot.</summary>
    /// <param name="botId">The bot.</param>
    /// <param name="type">The Plugboard event type.</param>
    /// <param name="data">The event data.</param>
    /// <param name="raw">The platform's raw payload.</param>
    /// <param name="cancellationToken">Cancels the emission.</param>
    Task EmitAsync(string botId, string type, JsonElement data, JsonElement? raw, CancellationToken cancellationToken);
}
