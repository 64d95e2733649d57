using System.Text;
using System.Text.Json;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Sdk;

/// <summary>
/// Answering the event a listener handles, through the bot that received it (<c>bot/call</c>). They need an event
/// with a bot id whose data has <c>chat</c> and <c>messageId</c> (<see cref="MessageEventData"/>, as in
/// <c>message.received</c>); otherwise they throw <see cref="InvalidOperationException"/>.
/// </summary>
public static class EventContextReplyExtensions
{
    /// <summary>Replies to the current message with plain text.</summary>
    public static Task<SendResult> ReplyAsync(this EventContext context, string text, bool quote = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        return context.ReplyAsync([new PlainComponent(text)], quote);
    }

    /// <summary>Replies to the current message with a message chain.</summary>
    public static async Task<SendResult> ReplyAsync(this EventContext context, IReadOnlyList<MessageComponent> chain, bool quote = false)
    {
        ArgumentNullException.ThrowIfNull(chain);
        var (botId, chat, messageId) = Conversation(context);
        var runtime = context.Runtime;
        var parameters = new JsonObjectBuilder(runtime.SerializerOptions)
            .Add("chat", chat)
            .Add("messageId", messageId)
            .Add("chain", chain)
            .Add("quote", quote)
            .Build();
        var result = await runtime.CallBotAsync(botId, AdapterApis.Reply, parameters, context.CancellationToken).ConfigureAwait(false);
        return BotRuntimeExtensions.ReadSendResult(runtime, result);
    }

    /// <summary>
    /// Streams a reply to the current message: each chunk goes out as <c>bot/call replyStream</c> with one stream id, in
    /// order, and the last one carries <c>final: true</c> (an empty final chunk when <paramref name="chunks"/> yields
    /// nothing). When the bot's adapter does not support streaming, the chunks are collected and sent as one
    /// <c>reply</c> instead. Returns the adapter's result for the final chunk (or the reply).
    /// </summary>
    public static async Task<SendResult> ReplyStreamAsync(this EventContext context, IAsyncEnumerable<string> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        var (botId, chat, messageId) = Conversation(context);
        var runtime = context.Runtime;
        var streamId = Guid.NewGuid().ToString("N");
        var cancellationToken = context.CancellationToken;
        var collected = new StringBuilder();
        var streaming = true;
        string? pending = null;

        async Task<SendResult?> SendChunkAsync(string text, bool final)
        {
            var parameters = new JsonObjectBuilder(runtime.SerializerOptions)
                .Add("chat", chat)
                .Add("messageId", messageId)
                .Add("streamId", streamId)
                .Add("text", text)
                .Add("final", final)
                .Build();
            try
            {
                var result = await runtime.CallBotAsync(botId, AdapterApis.ReplyStream, parameters, cancellationToken).ConfigureAwait(false);
                return BotRuntimeExtensions.ReadSendResult(runtime, result);
            }
            catch (JsonRpcException ex) when (ex.Code == PlugboardErrorCodes.AdapterNotSupported && collected.Length == text.Length)
            {
                // Nothing was streamed yet: fall back to one reply at the end.
                streaming = false;
                return null;
            }
        }

        // One chunk is held back so the last one can carry the final marker.
        await foreach (var chunk in chunks.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (chunk is null)
            {
                continue;
            }

            if (pending is not null && streaming)
            {
                collected.Append(pending);
                await SendChunkAsync(pending, final: false).ConfigureAwait(false);
            }
            else if (pending is not null)
            {
                collected.Append(pending);
            }

            pending = chunk;
        }

        collected.Append(pending);
        if (streaming && await SendChunkAsync(pending ?? string.Empty, final: true).ConfigureAwait(false) is { } last)
        {
            return last;
        }

        return await context.ReplyAsync(collected.ToString()).ConfigureAwait(false);
    }

    /// <summary>Sends a message chain to any person or group through the current event's bot.</summary>
    public static Task<SendResult> SendAsync(this EventContext context, ChatTarget target, IReadOnlyList<MessageComponent> chain)
    {
        ArgumentNullException.ThrowIfNull(context);
        var botId = context.Event.BotId ?? throw new InvalidOperationException($"Event {context.Event.Type} ({context.Event.Id}) came from no bot, so there is no bot to send through; use IPluginRuntime.SendAsync with a bot id.");
        return context.Runtime.SendAsync(botId, target, chain, context.CancellationToken);
    }

    /// <summary>Calls any adapter API through the current event's bot (parameters without <c>botId</c>).</summary>
    public static Task<JsonElement> CallBotAsync(this EventContext context, string api, JsonElement parameters)
    {
        ArgumentNullException.ThrowIfNull(context);
        var botId = context.Event.BotId ?? throw new InvalidOperationException($"Event {context.Event.Type} ({context.Event.Id}) came from no bot; there is no bot to call.");
        return context.Runtime.CallBotAsync(botId, api, parameters, context.CancellationToken);
    }

    private static (string BotId, JsonElement Chat, JsonElement MessageId) Conversation(EventContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var pluginEvent = context.Event;
        if (pluginEvent.BotId is not { Length: > 0 } botId)
        {
            throw new InvalidOperationException($"Cannot reply to event {pluginEvent.Type} ({pluginEvent.Id}): it came from no bot.");
        }

        var data = pluginEvent.Data;
        if (data.ValueKind != JsonValueKind.Object || !data.TryGetProperty("chat", out var chat) || !data.TryGetProperty("messageId", out var messageId))
        {
            throw new InvalidOperationException($"Cannot reply to event {pluginEvent.Type} ({pluginEvent.Id}): its data has no \"chat\" and \"messageId\" (only message events can be replied to).");
        }

        return (botId, chat, messageId);
    }
}
