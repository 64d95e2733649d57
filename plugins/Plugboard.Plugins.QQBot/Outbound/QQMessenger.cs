using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Plugboard.Plugins.QQBot.Api;
using Plugboard.Plugins.QQBot.Configuration;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Plugins.QQBot.Outbound;

/// <summary>
/// Sends message chains to QQ: passive replies keyed to a received message (<c>msg_id</c>) or event
/// (<c>event_id</c>) with <c>msg_seq</c> increasing per source message, proactive sends, media through rich-media
/// upload then a <c>msg_type</c> 7 message, guild images by URL or as <c>file_image</c>.
/// </summary>
internal sealed class QQMessenger
{
    private readonly QQBotConfig _config;
    private readonly QQOpenApiClient _api;
    private readonly MediaUploader _media;
    private readonly ReplyTracker _tracker;
    private readonly ILogger _logger;

    public QQMessenger(QQBotConfig config, QQOpenApiClient api, MediaUploader media, ReplyTracker tracker, ILogger logger)
    {
        _config = config;
        _api = api;
        _media = media;
        _tracker = tracker;
        _logger = logger;
    }

    /// <summary>Replies to a received message (or reply-keyed event) passively.</summary>
    public async Task<SendResult> ReplyAsync(QQChat chat, string messageId, IReadOnlyList<MessageComponent> chain, bool quote, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(messageId))
        {
            throw new QQApiException(QQErrorKind.InvalidRequest, "A reply needs the messageId of the received message (or the event id of an interaction).");
        }

        var (messages, quoteId) = OutboundComposer.Compose(chat, chain);
        var ticket = _tracker.Reserve(messageId, chat, messages.Count);
        return await DeliverAsync(chat, messages, ticket, quote ? quoteId ?? messageId : quoteId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends to a chat. When the chat has a still-valid reply-keyed event (a new friend, the bot added to a group, a
    /// button click) the message is sent passively with its event_id; otherwise it is a proactive message, which the
    /// platform limits strictly (and has discontinued for most bots since 2025-04-21).
    /// </summary>
    public async Task<SendResult> SendAsync(QQChat chat, IReadOnlyList<MessageComponent> chain, CancellationToken cancellationToken)
    {
        var (messages, quoteId) = OutboundComposer.Compose(chat, chain);
        var ticket = _tracker.ReserveForChat(chat, messages.Count);
        return await DeliverAsync(chat, messages, ticket, quoteId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Recalls a message the bot sent.</summary>
    public async Task RecallAsync(QQChat chat, string messageId, CancellationToken cancellationToken)
    {
        var path = chat.MessagePath(messageId);
        if (chat.Scene == QQScene.GuildChannel)
        {
            path += "?hidetip=false";
        }

        await _api.CallAsync(HttpMethod.Delete, path, null, cancellationToken).ConfigureAwait(false);
    }

    private async Task<SendResult> DeliverAsync(QQChat chat, IReadOnlyList<OutboundMessage> messages, ReplyTracker.ReplyTicket? ticket, string? quoteId, CancellationToken cancellationToken)
    {
        string? firstId = null;
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            var id = chat.IsQQ
                ? await SendQQAsync(chat, message, ticket, cancellationToken).ConfigureAwait(false)
                : await SendGuildAsync(chat, message, ticket, i == 0 ? quoteId : null, cancellationToken).ConfigureAwait(false);
            firstId ??= id;
        }

        Log.Sent(_logger, _config.AppId, messages.Count, chat.Describe(), ticket is null ? "proactive" : ticket.IsEventId ? "event_id " + ticket.Id : "msg_id " + ticket.Id);
        return new SendResult(firstId);
    }

    private async Task<string?> SendQQAsync(QQChat chat, OutboundMessage message, ReplyTracker.ReplyTicket? ticket, CancellationToken cancellationToken)
    {
        var body = new JsonObject();
        switch (message.Kind)
        {
            case OutboundKind.Text when _config.Markdown || message.Keyboard is not null:
                body["msg_type"] = 2;
                body["markdown"] = new JsonObject { ["content"] = message.Text };
                break;
            case OutboundKind.Text:
                body["content"] = message.Text;
                body["msg_type"] = 0;
                break;
            case OutboundKind.Markdown:
                body["msg_type"] = 2;
                body["markdown"] = message.Payload!.DeepClone();
                break;
            case OutboundKind.Ark:
                body["msg_type"] = 3;
                body["ark"] = message.Payload!.DeepClone();
                break;
            case OutboundKind.Embed:
                throw new QQApiException(QQErrorKind.Unsupported, $"Embeds work in guild channels only, not in a {chat.Describe()}.");
            case OutboundKind.Media:
                var uploaded = await _media.UploadAsync(chat, message.Media!, cancellationToken).ConfigureAwait(false);

                // msg_type 7 needs non-empty content in groups (the platform's documented quirk).
                body["content"] = " ";
                body["msg_type"] = 7;
                body["media"] = new JsonObject { ["file_info"] = uploaded.FileInfo };
                break;
        }

        if (message.Keyboard is not null)
        {
            body["keyboard"] = message.Keyboard.DeepClone();
        }

        if (ticket is not null)
        {
            body[ticket.IsEventId ? "event_id" : "msg_id"] = ticket.Id;
            body["msg_seq"] = ticket.NextSeq();
        }

        try
        {
            return QQJson.String(await _api.CallAsync(HttpMethod.Post, chat.MessagesPath, body, cancellationToken).ConfigureAwait(false), "id");
        }
        catch (QQApiException ex) when (ex.Kind == QQErrorKind.DuplicateMessage && ticket is not null)
        {
            // The msg_seq was used before (e.g. by an earlier run of the adapter): take the next one once.
            body["msg_seq"] = ticket.NextSeq();
            Log.DuplicateSeqRetried(_logger, _config.AppId, ticket.Id);
            return QQJson.String(await _api.CallAsync(HttpMethod.Post, chat.MessagesPath, body, cancellationToken).ConfigureAwait(false), "id");
        }
    }

    private async Task<string?> SendGuildAsync(QQChat chat, OutboundMessage message, ReplyTracker.ReplyTicket? ticket, string? quoteId, CancellationToken cancellationToken)
    {
        var body = new JsonObject();
        switch (message.Kind)
        {
            case OutboundKind.Text when _config.Markdown || message.Keyboard is not null:
                body["markdown"] = new JsonObject { ["content"] = message.Text };
                break;
            case OutboundKind.Text:
                body["content"] = message.Text;
                break;
            case OutboundKind.Markdown:
                body["markdown"] = message.Payload!.DeepClone();
                break;
            case OutboundKind.Ark:
                body["ark"] = message.Payload!.DeepClone();
                break;
            case OutboundKind.Embed:
                body["embed"] = message.Payload!.DeepClone();
                break;
            case OutboundKind.Media when message.Media is ImageComponent { Url.Length: > 0 } image:
                body["image"] = image.Url;
                break;
            case OutboundKind.Media when message.Media is ImageComponent { Base64.Length: > 0 } image:
                return await SendGuildImageAsync(chat, image, ticket, cancellationToken).ConfigureAwait(false);
            case OutboundKind.Media:
                throw new QQApiException(QQErrorKind.Unsupported, $"A {chat.Describe()} accepts images (by URL or base64) only; voice, video and files need a QQ person or group chat.");
        }

        if (message.Keyboard is not null)
        {
            body["keyboard"] = message.Keyboard.DeepClone();
        }

        if (quoteId is not null)
        {
            body["message_reference"] = new JsonObject { ["message_id"] = quoteId, ["ignore_get_message_error"] = true };
        }

        if (ticket is not null)
        {
            body[ticket.IsEventId ? "event_id" : "msg_id"] = ticket.Id;
        }

        return QQJson.String(await _api.CallAsync(HttpMethod.Post, chat.MessagesPath, body, cancellationToken).ConfigureAwait(false), "id");
    }

    private async Task<string?> SendGuildImageAsync(QQChat chat, ImageComponent image, ReplyTracker.ReplyTicket? ticket, CancellationToken cancellationToken)
    {
        var base64 = image.Base64!;
        var comma = base64.IndexOf(',', StringComparison.Ordinal);
        byte[] data;
        try
        {
            data = Convert.FromBase64String(base64.StartsWith("data:", StringComparison.OrdinalIgnoreCase) && comma > 0 ? base64[(comma + 1)..] : base64);
        }
        catch (FormatException)
        {
            throw new QQApiException(QQErrorKind.InvalidRequest, "The image's base64 content is not valid base64.");
        }

        var fields = new Dictionary<string, string>();
        if (ticket is not null)
        {
            fields[ticket.IsEventId ? "event_id" : "msg_id"] = ticket.Id;
        }

        var result = await _api.CallMultipartAsync(chat.MessagesPath, fields, data, "image" + (image.MimeType == "image/jpeg" ? ".jpg" : ".png"), cancellationToken).ConfigureAwait(false);
        return QQJson.String(result, "id");
    }
}
