using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Plugboard.Plugins.WeComBot.LongConnection;
using Plugboard.Plugins.WeComBot.Messages;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Plugins.WeComBot.Adapter;

/// <summary>Replies, streams, proactive sends and uploads.</summary>
internal sealed partial class WeComAiBot
{
    /// <summary>Largest upload chunk before base64.</summary>
    public const int UploadChunkBytes = 512 * 1024;

    /// <summary>
    /// One chunk of a streamed reply (the runtime's <c>replyStream</c>): appended to the stream's text, and sent as a
    /// full snapshot (long connection) or kept for WeCom's refresh polls (webhook). The last chunk finishes the stream.
    /// </summary>
    /// <exception cref="AdapterException">The message is unknown or too old, or WeCom rejected the frame.</exception>
    public async Task<SendResult> ReplyStreamAsync(ReplyStreamParams request, CancellationToken cancellationToken)
    {
        var context = FindReplyable(request.MessageId);
        StreamReply stream;
        lock (context.Sync)
        {
            if (!context.Streams.TryGetValue(request.StreamId, out stream!))
            {
                stream = BindStream(context);
                context.Streams[request.StreamId] = stream;
            }
        }

        if (stream.ExpiredReason is { } expired)
        {
            throw AdapterException.StreamExpired(stream.Id, request.MessageId, expired);
        }

        int version;
        try
        {
            version = stream.Append(request.Text, request.Final);
        }
        catch (InvalidOperationException ex)
        {
            throw AdapterException.InvalidParams(ex.Message);
        }

        if (stream.Truncated)
        {
            WeComLog.StreamTruncated(_logger, Id, stream.Id);
        }

        await DeliverAsync(stream, version, cancellationToken).ConfigureAwait(false);
        return new SendResult(stream.Id);
    }

    /// <summary>
    /// Replies to a callback: a message gets its open stream finished (or a new one-frame stream) with the chain's
    /// text and images, plus files and cards as their own replies; <c>enter_chat</c> gets the welcome. A message past
    /// the reply window is answered with a proactive send (long connection).
    /// </summary>
    public async Task<SendResult> ReplyAsync(ReplyParams request, CancellationToken cancellationToken)
    {
        var rendered = await RenderAsync(request.Chain, cancellationToken).ConfigureAwait(false);
        if (!_contexts.TryGetValue(request.MessageId, out var context))
        {
            if (_connection is null)
            {
                throw AdapterException.StreamExpired(null, request.MessageId, "webhook mode can only answer a callback within its reply window, and this message is unknown or older than that");
            }

            return await SendRenderedAsync(request.Chat.Id, rendered, cancellationToken).ConfigureAwait(false);
        }

        switch (context.Kind)
        {
            case CallbackKind.EnterChat:
                var welcome = rendered.Cards.Count > 0
                    ? new JsonObject { ["msgtype"] = "template_card", ["template_card"] = rendered.Cards[0].DeepClone() }
                    : TextBody(rendered.Markdown);
                await AnswerWelcomeAsync(context, welcome, cancellationToken).ConfigureAwait(false);
                return new SendResult(context.MessageId);
            case CallbackKind.Message:
                break;
            default:
                if (_connection is null)
                {
                    throw AdapterException.NotSupported($"webhook mode cannot reply to a {context.Kind} callback; use callPlatformApi updateTemplateCard for card events");
                }

                return await SendRenderedAsync(request.Chat.Id, rendered, cancellationToken).ConfigureAwait(false);
        }

        if (_connection is null && (rendered.Files.Count > 0 || rendered.Cards.Count > 0))
        {
            throw AdapterException.NotSupported("webhook mode answers a message with one stream (text and JPG/PNG images); files and template cards need long-connection mode");
        }

        StreamReply stream;
        lock (context.Sync)
        {
            stream = context.OpenStream ?? BindStream(context);
            if (!context.Streams.Values.Contains(stream))
            {
                context.Streams["reply:" + stream.Id] = stream;
            }
        }

        if (stream.ExpiredReason is { } expired)
        {
            throw AdapterException.StreamExpired(stream.Id, request.MessageId, expired);
        }

        var version = stream.Append(rendered.Markdown, final: true, rendered.Images.Select(i => i.ToMsgItem()));
        await DeliverAsync(stream, version, cancellationToken).ConfigureAwait(false);
        foreach (var file in rendered.Files)
        {
            var upload = await UploadMediaAsync(file.MediaType, file.Name, file.Content, cancellationToken).ConfigureAwait(false);
            await SendCommandAsync(WeComCommands.RespondMessage, context.ReqId, MediaBody(file.MediaType, upload.MediaId), cancellationToken).ConfigureAwait(false);
        }

        foreach (var card in rendered.Cards)
        {
            await SendCommandAsync(WeComCommands.RespondMessage, context.ReqId, new JsonObject { ["msgtype"] = "template_card", ["template_card"] = card.DeepClone() }, cancellationToken).ConfigureAwait(false);
        }

        return new SendResult(stream.Id);
    }

    /// <summary>Sends a message on the bot's own initiative (<c>aibot_send_msg</c>; long connection only).</summary>
    public async Task<SendResult> SendAsync(SendParams request, CancellationToken cancellationToken)
    {
        if (_connection is null)
        {
            throw AdapterException.NotSupported("webhook mode has no proactive send: WeCom only accepts answers to its callbacks. Use long-connection mode (botId and secret) to send");
        }

        var rendered = await RenderAsync(request.Chain, cancellationToken).ConfigureAwait(false);
        return await SendRenderedAsync(request.Target.Id, rendered, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends Markdown proactively to a user id or group chat id.</summary>
    public async Task<string> SendMarkdownAsync(string chatId, string content, CancellationToken cancellationToken)
    {
        RequireConnection("sendMarkdown");
        var reqId = WeComFrames.NewReqId(WeComCommands.SendMessage);
        var body = new JsonObject { ["chatid"] = chatId, ["msgtype"] = "markdown", ["markdown"] = new JsonObject { ["content"] = Utf8Text.Truncate(content, WeComBotSettings.StreamContentLimit, out _) } };
        await SendCommandAsync(WeComCommands.SendMessage, reqId, body, cancellationToken).ConfigureAwait(false);
        return reqId;
    }

    /// <summary>Updates the template card of a <c>template_card_event</c> (within WeCom's 5 s window).</summary>
    public async Task UpdateTemplateCardAsync(string messageId, JsonObject templateCard, IReadOnlyList<string>? userIds, CancellationToken cancellationToken)
    {
        if (!_contexts.TryGetValue(messageId, out var context) || context.Kind != CallbackKind.TemplateCardEvent)
        {
            throw AdapterException.InvalidParams($"No template_card_event {messageId} is waiting for an update; pass the messageId of a platform.wecombot.template_card_event event received in the last few seconds.");
        }

        var body = new JsonObject { ["response_type"] = "update_template_card", ["template_card"] = templateCard.DeepClone() };
        if (userIds is { Count: > 0 })
        {
            body["userids"] = new JsonArray([.. userIds.Select(u => (JsonNode)JsonValue.Create(u))]);
        }

        await AnswerOnceAsync(context, WeComCommands.RespondUpdate, body, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Uploads temporary media (init, chunks of 512 KB, finish); returns WeCom's media id (valid 3 days).</summary>
    public async Task<UploadMediaResult> UploadMediaAsync(string type, string fileName, byte[] content, CancellationToken cancellationToken)
    {
        RequireConnection("uploadMedia");
        if (type is not ("file" or "image" or "voice" or "video"))
        {
            throw AdapterException.InvalidParams($"Media type '{type}' is not file, image, voice or video.");
        }

        var chunks = Math.Max(1, (content.Length + UploadChunkBytes - 1) / UploadChunkBytes);
        if (chunks > 100)
        {
            throw AdapterException.InvalidParams($"The file is {content.Length} bytes; WeCom takes at most 100 chunks of 512 KB (about 50 MB).");
        }

        var init = await SendCommandAsync(
            WeComCommands.UploadInit,
            WeComFrames.NewReqId(WeComCommands.UploadInit),
            new JsonObject { ["type"] = type, ["filename"] = fileName, ["total_size"] = content.Length, ["total_chunks"] = chunks, ["md5"] = Convert.ToHexStringLower(MD5.HashData(content)) },
            cancellationToken).ConfigureAwait(false);
        var uploadId = WeComFrames.Text(init, "body", "upload_id") ?? throw AdapterException.Platform(0, "the upload init ack carries no upload_id", "aibot_upload_media_init");
        for (var index = 0; index < chunks; index++)
        {
            var slice = content.AsMemory(index * UploadChunkBytes, Math.Min(UploadChunkBytes, content.Length - (index * UploadChunkBytes)));
            await SendCommandAsync(
                WeComCommands.UploadChunk,
                WeComFrames.NewReqId(WeComCommands.UploadChunk),
                new JsonObject { ["upload_id"] = uploadId, ["chunk_index"] = index, ["base64_data"] = Convert.ToBase64String(slice.Span) },
                cancellationToken).ConfigureAwait(false);
        }

        var finish = await SendCommandAsync(WeComCommands.UploadFinish, WeComFrames.NewReqId(WeComCommands.UploadFinish), new JsonObject { ["upload_id"] = uploadId }, cancellationToken).ConfigureAwait(false);
        var mediaId = WeComFrames.Text(finish, "body", "media_id") ?? throw AdapterException.Platform(0, "the upload finish ack carries no media_id", "aibot_upload_media_finish");
        var createdAt = finish["body"]?["created_at"]?.ToJsonString().Trim('"');
        return new UploadMediaResult(mediaId, WeComFrames.Text(finish, "body", "type") ?? type, createdAt);
    }

    private static JsonObject MediaBody(string type, string mediaId) => new() { ["msgtype"] = type, [type] = new JsonObject { ["media_id"] = mediaId } };

    private async Task<OutboundMessage> RenderAsync(IReadOnlyList<MessageComponent> chain, CancellationToken cancellationToken)
    {
        try
        {
            return await _outbound.RenderAsync(chain, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            throw AdapterException.InvalidParams(ex.Message);
        }
    }

    private async Task<SendResult> SendRenderedAsync(string chatId, OutboundMessage rendered, CancellationToken cancellationToken)
    {
        string? last = null;
        if (rendered.Markdown.Length > 0 || (rendered.Images.Count == 0 && rendered.Files.Count == 0 && rendered.Cards.Count == 0))
        {
            last = await SendMarkdownAsync(chatId, rendered.Markdown, cancellationToken).ConfigureAwait(false);
        }

        foreach (var file in rendered.Images.Select(i => new OutboundFile("image.png", i.Content, "image")).Concat(rendered.Files))
        {
            var upload = await UploadMediaAsync(file.MediaType, file.Name, file.Content, cancellationToken).ConfigureAwait(false);
            last = WeComFrames.NewReqId(WeComCommands.SendMessage);
            var body = MediaBody(file.MediaType, upload.MediaId);
            body["chatid"] = chatId;
            await SendCommandAsync(WeComCommands.SendMessage, last, body, cancellationToken).ConfigureAwait(false);
        }

        foreach (var card in rendered.Cards)
        {
            last = WeComFrames.NewReqId(WeComCommands.SendMessage);
            await SendCommandAsync(WeComCommands.SendMessage, last, new JsonObject { ["chatid"] = chatId, ["msgtype"] = "template_card", ["template_card"] = card.DeepClone() }, cancellationToken).ConfigureAwait(false);
        }

        return new SendResult(last);
    }

    private CallbackContext FindReplyable(string messageId)
    {
        if (_contexts.TryGetValue(messageId, out var context) && context.Kind == CallbackKind.Message)
        {
            return context;
        }

        throw AdapterException.StreamExpired(null, messageId, context is null
            ? $"no message {messageId} within the reply window ({Settings.ReplyWindow.TotalSeconds:0} s) of bot {Id}: it is older, unknown, or was received before the adapter restarted"
            : $"{messageId} is a {context.Kind} callback, which is answered with reply, not with a stream");
    }

    /// <summary>The stream a new reply on this context uses: webhook mode's announced stream, else a new one (call under the context lock).</summary>
    private StreamReply BindStream(CallbackContext context)
    {
        if (context.Announced is { } announced)
        {
            context.Announced = null;
            return announced;
        }

        if (_connection is null)
        {
            throw AdapterException.InvalidParams($"Message {context.MessageId} already has its stream; webhook mode answers each message with one stream.");
        }

        var stream = new StreamReply(NewStreamId(), context, _time.GetUtcNow());
        _streams[stream.Id] = stream;
        return stream;
    }

    /// <summary>Sends the snapshot covering <paramref name="version"/> unless a later one is already acked (long connection).</summary>
    private async Task DeliverAsync(StreamReply stream, int version, CancellationToken cancellationToken)
    {
        if (_connection is null || (!Settings.Streaming && !stream.Finished))
        {
            return;
        }

        await stream.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (stream.ExpiredReason is { } expired)
            {
                throw AdapterException.StreamExpired(stream.Id, stream.Context.MessageId, expired);
            }

            if (stream.DeliveredVersion >= version)
            {
                return;
            }

            var body = stream.Body(!stream.FirstSent && Settings.Feedback ? stream.Id : null, showContent: true, out var snapshot);
            try
            {
                await _connection.SendAsync(WeComCommands.RespondMessage, stream.Context.ReqId, body, cancellationToken).ConfigureAwait(false);
            }
            catch (WeComPlatformException ex) when (ex.ErrCode == WeComErrorCodes.StreamExpired)
            {
                stream.ExpiredReason = $"WeCom errcode {ex.ErrCode} {ex.ErrMsg}";
                _streams.TryRemove(stream.Id, out _);
                throw AdapterException.StreamExpired(stream.Id, stream.Context.MessageId, stream.ExpiredReason, ex.ErrCode, ex.ErrMsg);
            }
            catch (Exception ex) when (ex is WeComPlatformException or WeComAckTimeoutException or WeComNotConnectedException)
            {
                throw AdapterException.From(ex);
            }

            stream.FirstSent = true;
            stream.DeliveredVersion = snapshot;
            if (stream.Finished && snapshot == stream.Version)
            {
                _streams.TryRemove(stream.Id, out _);
            }
        }
        finally
        {
            stream.Gate.Release();
        }
    }

    /// <summary>The welcome answer to <c>enter_chat</c>: a frame (long connection) or the callback's HTTP answer (webhook).</summary>
    private async Task AnswerWelcomeAsync(CallbackContext context, JsonObject body, CancellationToken cancellationToken)
    {
        try
        {
            await AnswerOnceAsync(context, WeComCommands.RespondWelcome, body, cancellationToken).ConfigureAwait(false);
        }
        catch (AdapterException ex)
        {
            WeComLog.WelcomeFailed(_logger, Id, context.MessageId, ex.Message);
            throw;
        }
    }

    private async Task AnswerOnceAsync(CallbackContext context, string cmd, JsonObject body, CancellationToken cancellationToken)
    {
        lock (context.Sync)
        {
            if (context.Answered)
            {
                throw AdapterException.InvalidParams($"Callback {context.MessageId} was already answered (or its 5 s window passed); WeCom takes one {(context.Kind == CallbackKind.EnterChat ? "welcome" : "card update")}.");
            }

            context.Answered = true;
        }

        if (_connection is null)
        {
            if (!context.SyncAnswer.TrySetResult(body))
            {
                throw AdapterException.StreamExpired(null, context.MessageId, "the webhook callback was already answered: WeCom waits at most 5 s");
            }

            return;
        }

        await SendCommandAsync(cmd, context.ReqId, body, cancellationToken).ConfigureAwait(false);
    }

    private async Task<JsonObject> SendCommandAsync(string cmd, string reqId, JsonObject body, CancellationToken cancellationToken)
    {
        var connection = RequireConnection(cmd);
        try
        {
            return await connection.SendAsync(cmd, reqId, body, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WeComPlatformException or WeComAckTimeoutException or WeComNotConnectedException)
        {
            throw AdapterException.From(ex);
        }
    }

    private WeComLongConnection RequireConnection(string what)
        => _connection ?? throw AdapterException.NotSupported($"{what} needs long-connection mode (botId and secret); bot {Id} runs in webhook mode");
}
