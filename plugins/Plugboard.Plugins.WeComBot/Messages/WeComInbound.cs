using System.Text.Json;
using System.Text.Json.Nodes;
using Plugboard.Plugins.WeComBot.LongConnection;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Plugins.WeComBot.Messages;

/// <summary>A media item that could not be turned into content, and why.</summary>
/// <param name="Kind">image, file or video.</param>
/// <param name="Error">What went wrong.</param>
internal sealed record MediaFailure(string Kind, string Error);

/// <summary>
/// Turns WeCom callback bodies (the same schema in both modes) into Plugboard message events: text → Plain, image →
/// Image (downloaded and decrypted), mixed → Plain and Image in order, voice → Voice with WeCom's transcript, file →
/// File (name from Content-Disposition), video → File with a video type, quote → Quote with the quoted content.
/// </summary>
internal sealed class WeComInbound(WeComMediaDownloader downloader)
{
    /// <summary>The conversation of a callback body: the group for group chats, else the sender.</summary>
    public static ChatTarget ChatOf(JsonObject body)
    {
        var chatType = WeComFrames.Text(body, "chattype");
        var chatId = WeComFrames.Text(body, "chatid");
        return chatType == "group" && !string.IsNullOrEmpty(chatId)
            ? new ChatTarget(ChatType.Group, chatId)
            : new ChatTarget(ChatType.Person, SenderOf(body).Id);
    }

    /// <summary>The sender of a callback body.</summary>
    public static User SenderOf(JsonObject body) => new(WeComFrames.Text(body, "from", "userid") ?? string.Empty);

    /// <summary>The message time (<c>create_time</c>, seconds), or now.</summary>
    public static DateTimeOffset TimeOf(JsonObject body)
        => body["create_time"] is JsonValue value && value.TryGetValue<long>(out var seconds) && seconds > 0 ? DateTimeOffset.FromUnixTimeSeconds(seconds) : DateTimeOffset.UtcNow;

    /// <summary>Converts an <c>aibot_msg_callback</c> body.</summary>
    /// <param name="body">The callback body.</param>
    /// <param name="fallbackAesKey">The key for media items without their own <c>aeskey</c> (webhook mode: the EncodingAESKey).</param>
    /// <param name="failures">Receives media that could not be downloaded (kept in the chain as Unknown components).</param>
    /// <param name="cancellationToken">Cancels downloads.</param>
    public async Task<MessageEventData> ConvertAsync(JsonObject body, string? fallbackAesKey, List<MediaFailure> failures, CancellationToken cancellationToken)
    {
        var messageId = WeComFrames.Text(body, "msgid") ?? string.Empty;
        var chain = new List<MessageComponent> { new SourceComponent(messageId, TimeOf(body)) };
        if (body["quote"] is JsonObject quote)
        {
            var quoted = new List<MessageComponent>();
            await AppendAsync(quote, quoted, fallbackAesKey, failures, cancellationToken).ConfigureAwait(false);
            chain.Add(new QuoteComponent(string.Empty, null, quoted));
        }

        await AppendAsync(body, chain, fallbackAesKey, failures, cancellationToken).ConfigureAwait(false);
        var chat = ChatOf(body);
        var sender = SenderOf(body);
        return chat.Type == ChatType.Group
            ? new MessageEventData(messageId, chat, sender, chain, new Group(chat.Id), new GroupMember(sender))
            : new MessageEventData(messageId, chat, sender, chain);
    }

    private async Task AppendAsync(JsonObject item, List<MessageComponent> chain, string? fallbackAesKey, List<MediaFailure> failures, CancellationToken cancellationToken)
    {
        var type = WeComFrames.Text(item, "msgtype");
        switch (type)
        {
            case "text":
                chain.Add(new PlainComponent(WeComFrames.Text(item, "text", "content") ?? string.Empty));
                break;
            case "markdown":
                chain.Add(new PlainComponent(WeComFrames.Text(item, "markdown", "content") ?? string.Empty));
                break;
            case "voice":
                chain.Add(new VoiceComponent(Transcript: WeComFrames.Text(item, "voice", "content") ?? string.Empty));
                break;
            case "image" or "file" or "video":
                chain.Add(await MediaAsync(type, item[type] as JsonObject, fallbackAesKey, failures, cancellationToken).ConfigureAwait(false));
                break;
            case "mixed":
                if (item["mixed"]?["msg_item"] is JsonArray items)
                {
                    foreach (var part in items.OfType<JsonObject>())
                    {
                        await AppendAsync(part, chain, fallbackAesKey, failures, cancellationToken).ConfigureAwait(false);
                    }
                }

                break;
            default:
                chain.Add(new UnknownComponent(JsonSerializer.SerializeToElement(item, WeComJson.Context.JsonObject), $"WeCom msgtype '{type}' has no Plugboard component"));
                break;
        }
    }

    private async Task<MessageComponent> MediaAsync(string kind, JsonObject? media, string? fallbackAesKey, List<MediaFailure> failures, CancellationToken cancellationToken)
    {
        var url = WeComFrames.Text(media, "url");
        var aesKey = WeComFrames.Text(media, "aeskey") is { Length: > 0 } own ? own : fallbackAesKey;
        var raw = media is null ? (JsonElement?)null : JsonSerializer.SerializeToElement(media, WeComJson.Context.JsonObject);
        if (string.IsNullOrEmpty(url))
        {
            failures.Add(new MediaFailure(kind, "no url"));
            return new UnknownComponent(raw, $"WeCom {kind} without a url");
        }

        if (string.IsNullOrEmpty(aesKey))
        {
            failures.Add(new MediaFailure(kind, "no aeskey"));
            return new UnknownComponent(raw, $"WeCom {kind} without an aeskey (and no EncodingAESKey configured) cannot be decrypted");
        }

        try
        {
            var downloaded = await downloader.DownloadAsync(url, aesKey, cancellationToken).ConfigureAwait(false);
            var base64 = Convert.ToBase64String(downloaded.Content);
            return kind switch
            {
                "image" => new ImageComponent(Base64: base64, MimeType: downloaded.MimeType ?? "image/jpeg"),
                "video" => new FileComponent(downloaded.FileName ?? "video.mp4", Base64: base64, MimeType: downloaded.MimeType ?? "video/mp4", Size: downloaded.Content.Length),
                _ => new FileComponent(downloaded.FileName ?? "file", Base64: base64, MimeType: downloaded.MimeType ?? "application/octet-stream", Size: downloaded.Content.Length),
            };
        }
        catch (Exception ex) when (ex is HttpRequestException or Crypto.WeComCryptoException or InvalidDataException or TaskCanceledException)
        {
            failures.Add(new MediaFailure(kind, ex.Message));
            return new UnknownComponent(raw, $"WeCom {kind} could not be downloaded: {ex.Message}");
        }
    }
}
