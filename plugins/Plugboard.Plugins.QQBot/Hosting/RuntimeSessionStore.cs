using System.Text.Json;
using Plugboard.Plugins.QQBot.Gateway;
using Plugboard.Sdk;

namespace Plugboard.Plugins.QQBot.Hosting;

/// <summary>Gateway sessions in the plugin's own storage scope, key <c>qqbot.session.&lt;botId&gt;</c>.</summary>
internal sealed class RuntimeSessionStore(IPluginRuntime runtime) : ISessionStore
{
    /// <summary>The storage key of a bot's session.</summary>
    public static string Key(string botId) => "qqbot.session." + botId;

    public async Task<SessionSnapshot?> LoadAsync(string botId, CancellationToken cancellationToken)
    {
        var stored = await runtime.GetValueAsync(Key(botId), cancellationToken: cancellationToken).ConfigureAwait(false);
        return stored.Found && stored.Value is { ValueKind: JsonValueKind.Object } value
            ? value.Deserialize(QQJsonContext.Default.SessionSnapshot)
            : null;
    }

    public Task SaveAsync(string botId, SessionSnapshot snapshot, CancellationToken cancellationToken)
        => runtime.SetValueAsync(Key(botId), JsonSerializer.SerializeToElement(snapshot, QQJsonContext.Default.SessionSnapshot), cancellationToken: cancellationToken);

    public Task DeleteAsync(string botId, CancellationToken cancellationToken)
        => runtime.DeleteValueAsync(Key(botId), cancellationToken: cancellationToken);
}
