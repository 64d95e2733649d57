using System.Text.Json;
using Microsoft.Extensions.Logging;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Runtime.Storage;

namespace Plugboard.Runtime.Bots;

/// <summary>
/// The bots a runtime creates for itself when <see cref="Hosting.PlugboardOptions.SeedDefaultBots"/> is on, so that a
/// fresh <c>plugboard run</c> has something to chat with: the bot <c>webchat</c> on the bundled web chat adapter
/// (<c>plugboard.webchat</c>, platform <c>webchat</c>, default configuration: 127.0.0.1 on a free port, no token) with
/// no routing rules, i.e. every event goes to every plugin listener. Each default bot is seeded once per data folder:
/// a bot the operator removed stays removed, and one whose adapter plugin is not installed yet is seeded at the first
/// start that finds the plugin.
/// </summary>
public static partial class DefaultBots
{
    /// <summary>The id of the default web chat bot.</summary>
    public const string WebChatBotId = "webchat";

    /// <summary>The id of the bundled web chat adapter plugin.</summary>
    public const string WebChatPluginId = "plugboard.webchat";

    /// <summary>The web chat adapter's platform name.</summary>
    public const string WebChatPlatform = "webchat";

    private static readonly StorageScope SeededScope = StorageScope.Of("runtime.defaultbots");

    /// <summary>The default web chat bot.</summary>
    public static BotDefinition WebChat { get; } = new(WebChatBotId, "Web chat", WebChatPluginId, WebChatPlatform, JsonDocument.Parse("{}").RootElement.Clone());

    /// <summary>Every default bot, in seeding order.</summary>
    public static IReadOnlyList<BotDefinition> All { get; } = [WebChat];

    /// <summary>Adds each default bot that was not seeded before and whose adapter plugin is known, and marks it seeded.</summary>
    internal static async Task SeedAsync(PlugboardRuntime runtime, IPlugboardStorage storage, ILogger logger, CancellationToken cancellationToken)
    {
        foreach (var bot in All)
        {
            if (await storage.GetAsync(SeededScope, bot.Id, cancellationToken).ConfigureAwait(false) is not null)
            {
                continue;
            }

            if (!runtime.GetPlugins().Any(p => p.Id == bot.AdapterPlugin))
            {
                AdapterMissing(logger, bot.Id, bot.AdapterPlugin);
                continue;
            }

            if (!runtime.GetBots().Any(b => b.Id == bot.Id))
            {
                try
                {
                    await runtime.AddBotAsync(bot, replace: false, cancellationToken).ConfigureAwait(false);
                    Seeded(logger, bot.Id, bot.AdapterPlugin);
                }
                catch (JsonRpcException ex)
                {
                    SeedFailed(logger, bot.Id, ex.Message);
                    continue;
                }
            }

            await storage.SetAsync(SeededScope, bot.Id, "true"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(220, LogLevel.Information, "Created the default bot {BotId} on {AdapterPlugin} (remove it with `plugboard bot remove {BotId}`; it is not created again).")]
    private static partial void Seeded(ILogger logger, string botId, string adapterPlugin);

    [LoggerMessage(221, LogLevel.Information, "The default bot {BotId} needs the plugin {AdapterPlugin}, which is not installed; it is created once the plugin is there.")]
    private static partial void AdapterMissing(ILogger logger, string botId, string adapterPlugin);

    [LoggerMessage(222, LogLevel.Warning, "Could not create the default bot {BotId}: {Error}")]
    private static partial void SeedFailed(ILogger logger, string botId, string error);
}
