using System.Text.Json;
using Plugboard.Protocol.Contracts;
using Plugboard.Sdk.Adapters;

namespace Plugboard.Plugins.WeComBot.Adapter;

/// <summary>
/// The SDK's per-bot adapter instance for platform <c>wecombot</c>: starts the bot on the process-wide
/// <see cref="WeComAdapter"/> (which keeps each bot's state apart) and forwards the adapter APIs to it.
/// </summary>
internal sealed class WeComChatAdapter(WeComAdapter adapter) : IChatAdapter
{
    private WeComAiBot? _bot;

    private WeComAiBot Bot => _bot ?? throw new InvalidOperationException("The WeCom bot is not started.");

    /// <inheritdoc/>
    public async ValueTask StartAsync(BotContext bot, CancellationToken cancellationToken)
        => _bot = await adapter.StartBotAsync(bot.BotId, bot.Config, (type, data, raw, ct) => bot.EmitAsync(type, data, raw, ct), cancellationToken, bot.Logger).ConfigureAwait(false);

    /// <inheritdoc/>
    public async ValueTask StopAsync(CancellationToken cancellationToken)
    {
        if (_bot is { } bot)
        {
            await adapter.StopBotAsync(bot.Id, bot).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public async ValueTask<SendResult> SendAsync(SendParams request, CancellationToken cancellationToken) => await Bot.SendAsync(request, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc/>
    public async ValueTask<SendResult> ReplyAsync(ReplyParams request, CancellationToken cancellationToken) => await Bot.ReplyAsync(request, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc/>
    public async ValueTask<SendResult> ReplyStreamAsync(ReplyStreamParams chunk, CancellationToken cancellationToken) => await Bot.ReplyStreamAsync(chunk, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc/>
    public async ValueTask<JsonElement> CallPlatformApiAsync(string action, JsonElement parameters, CancellationToken cancellationToken)
        => await Bot.CallPlatformApiAsync(action, parameters, cancellationToken).ConfigureAwait(false);
}
