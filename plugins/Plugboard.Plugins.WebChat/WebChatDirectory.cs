using System.Collections.Concurrent;

namespace Plugboard.Plugins.WebChat;

/// <summary>Where a running web chat bot can be reached.</summary>
/// <param name="BotId">The bot.</param>
/// <param name="Url">Its chat page.</param>
/// <param name="TokenRequired">Whether the page needs <c>?token=</c>.</param>
internal sealed record WebChatEndpoint(string BotId, string Url, bool TokenRequired);

/// <summary>The chat addresses of the bots this plugin serves, for the <c>webchat_url</c> tool.</summary>
internal sealed class WebChatDirectory
{
    private readonly ConcurrentDictionary<string, WebChatEndpoint> _endpoints = new(StringComparer.Ordinal);

    public void Register(WebChatEndpoint endpoint) => _endpoints[endpoint.BotId] = endpoint;

    public void Unregister(string botId) => _endpoints.TryRemove(botId, out _);

    public IReadOnlyList<WebChatEndpoint> List(string? botId)
        => [.. _endpoints.Values.Where(e => botId is null || e.BotId == botId).OrderBy(e => e.BotId, StringComparer.Ordinal)];
}
