using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Plugboard.Protocol.Contracts;
using Plugboard.Sdk.Adapters;

namespace Company.Adapter1;

/// <summary>
/// The "sampleplatform" adapter for one bot. This skeleton talks to no real platform: sent messages go to an in-memory
/// outbox, and the <c>inject</c> platform action plays an incoming message. Replace the parts marked "platform" with
/// calls to your platform's API, and keep the rest: it is how Plugboard expects an adapter to behave.
/// </summary>
public sealed class PlatformAdapter : IChatAdapter
{
    private readonly ConcurrentQueue<SentMessage> _outbox = new();
    private BotContext? _bot;
    private int _nextMessageId;

    /// <inheritdoc/>
    public ValueTask StartAsync(BotContext bot, CancellationToken cancellationToken)
    {
        var settings = bot.GetConfig<AdapterSettings>();
        if (!Uri.TryCreate(settings.Endpoint, UriKind.Absolute, out _))
        {
            throw new AdapterConfigException("endpoint", $"endpoint must be an absolute URL such as https://chat.example.com/api (got '{settings.Endpoint}').");
        }

        // Platform: connect here (open the long connection, register the webhook, ...) and start a background loop
        // that turns platform events into Plugboard events with bot.EmitMessageReceivedAsync, until bot.Stopping fires.
        _bot = bot;
        bot.Logger.LogBotStarted(bot.BotId, settings.Endpoint);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask StopAsync(CancellationToken cancellationToken)
    {
        // Platform: disconnect and release what StartAsync acquired.
        _bot = null;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask<SendResult> SendAsync(SendParams request, CancellationToken cancellationToken)
        => ValueTask.FromResult(Deliver(request.Target, request.Chain, replyTo: null));

    /// <inheritdoc/>
    public ValueTask<SendResult> ReplyAsync(ReplyParams request, CancellationToken cancellationToken)
        => ValueTask.FromResult(Deliver(request.Chat, request.Chain, replyTo: request.MessageId));

    /// <inheritdoc/>
    public async ValueTask<JsonElement> CallPlatformApiAsync(string action, JsonElement parameters, CancellationToken cancellationToken)
    {
        switch (action)
        {
            case "outbox":
                return JsonSerializer.SerializeToElement(_outbox.ToArray(), JsonSerializerOptions.Web);
            case "inject":
                var bot = _bot ?? throw new PlatformException("not_started", "The bot is not started.");
                var user = parameters.TryGetProperty("userId", out var id) ? id.GetString() ?? "user" : "user";
                var text = parameters.TryGetProperty("text", out var t) ? t.GetString() ?? string.Empty : string.Empty;
                var message = new MessageEventData(
                    NextMessageId(),
                    new ChatTarget(ChatType.Person, user),
                    new User(user),
                    [new PlainComponent(text)]);
                return await bot.EmitMessageReceivedAsync(message, cancellationToken: cancellationToken);
            default:
                throw new AdapterNotSupportedException(AdapterApis.CallPlatformApi);
        }
    }

    private SendResult Deliver(ChatTarget target, IReadOnlyList<MessageComponent> chain, string? replyTo)
    {
        // Platform: send the chain (convert Plain, Image, At, ... to the platform's format) and return its message id.
        var messageId = NextMessageId();
        var text = string.Concat(chain.OfType<PlainComponent>().Select(p => p.Text));
        _outbox.Enqueue(new SentMessage(messageId, target.Type.ToString(), target.Id, text, replyTo));
        return new SendResult(messageId);
    }

    private string NextMessageId() => "m" + Interlocked.Increment(ref _nextMessageId).ToString(CultureInfo.InvariantCulture);
}

/// <summary>The bot configuration (the manifest's <c>components.adapters[0].config</c> fields).</summary>
/// <param name="Endpoint">The platform's API address.</param>
/// <param name="Token">The bot's credential (a secret: redacted in logs and listings).</param>
public sealed record AdapterSettings(string Endpoint = "", string? Token = null);

/// <summary>A message in the skeleton's outbox.</summary>
/// <param name="MessageId">Its id.</param>
/// <param name="ChatType">person or group.</param>
/// <param name="ChatId">The conversation.</param>
/// <param name="Text">Its plain text.</param>
/// <param name="ReplyTo">The message it answers, if any.</param>
public sealed record SentMessage(string MessageId, string ChatType, string ChatId, string Text, string? ReplyTo);
