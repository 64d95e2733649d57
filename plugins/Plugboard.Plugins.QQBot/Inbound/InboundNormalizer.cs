using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Group = Plugboard.Protocol.Contracts.Group;
using Plugboard.Plugins.QQBot.Gateway;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Plugins.QQBot.Inbound;

/// <summary>A gateway event mapped to a Plugboard event.</summary>
/// <param name="Type">The Plugboard event type.</param>
/// <param name="Data">The event data.</param>
/// <param name="Chat">The conversation it happened in, if any.</param>
/// <param name="ReplyId">The id a passive reply is keyed to: the message id, or for non-message events the event id.</param>
/// <param name="ReplyIdIsEventId">Whether <paramref name="ReplyId"/> is an event id (sent as <c>event_id</c>) rather than a message id.</param>
/// <param name="Time">When it happened.</param>
internal sealed record NormalizedEvent(string Type, JsonElement Data, QQChat? Chat, string? ReplyId, bool ReplyIdIsEventId, DateTimeOffset Time);

/// <summary>
/// Maps QQ gateway events to Plugboard events: the four message events to <c>message.received</c> (chat type, ids,
/// the bot's mention stripped, attachments as Image/Voice/File components with scheme-less URLs fixed and file names
/// kept, quoted messages as a Quote with their content and attachments), INTERACTION_CREATE to
/// <c>platform.qqbot.interaction</c>, friend and group membership events to the common events, and everything else
/// to <c>platform.qqbot.&lt;event&gt;</c>.
/// </summary>
internal static partial class InboundNormalizer
{
    /// <summary>The adapter platform name.</summary>
    public const string Platform = "qqbot";

    /// <summary>QQ's message_type for a quote reply.</summary>
    private const int QuoteMessageType = 103;

    /// <summary>Maps one dispatch.</summary>
    /// <param name="dispatch">The gateway event.</param>
    /// <param name="botUserId">The bot's own user id from READY (guild mentions of it are stripped).</param>
    /// <param name="now">The time used when the event carries none.</param>
    public static NormalizedEvent Normalize(GatewayDispatch dispatch, string? botUserId, DateTimeOffset now)
    {
        var d = dispatch.Data;
        switch (dispatch.Type)
        {
            case "C2C_MESSAGE_CREATE":
            {
                var openid = Author(d, "user_openid") ?? Author(d, "id") ?? string.Empty;
                var chat = new QQChat(QQScene.C2C, openid);
                return Message(dispatch, chat, new User(openid, IsBot: false), null, null, botUserId, now);
            }

            case "GROUP_AT_MESSAGE_CREATE" or "GROUP_MESSAGE_CREATE":
            {
                var groupId = QQJson.String(d, "group_openid") ?? string.Empty;
                var member = Author(d, "member_openid") ?? Author(d, "id") ?? string.Empty;
                var user = new User(member, IsBot: false);
                return Message(dispatch, new QQChat(QQScene.Group, groupId), user, new Group(groupId), new GroupMember(user), botUserId, now);
            }

            case "DIRECT_MESSAGE_CREATE":
            {
                var user = GuildUser(d);
                return Message(dispatch, new QQChat(QQScene.GuildDirect, QQJson.String(d, "guild_id") ?? string.Empty), user, null, null, botUserId, now);
            }

            case "AT_MESSAGE_CREATE" or "MESSAGE_CREATE":
            {
                var user = GuildUser(d);
                var chat = new QQChat(QQScene.GuildChannel, QQJson.String(d, "channel_id") ?? string.Empty);
                var nick = QQJson.Object(d, "member") is { } m ? QQJson.String(m, "nick") : null;
                return Message(dispatch, chat, user, new Group(chat.ToTarget().Id), new GroupMember(user, Nickname: string.IsNullOrEmpty(nick) ? null : nick), botUserId, now);
            }

            case "INTERACTION_CREATE":
                return Interaction(dispatch, now);

            case "FRIEND_ADD" or "FRIEND_DEL":
            {
                var openid = QQJson.String(d, "openid") ?? QQJson.String(d, "user_openid") ?? string.Empty;
                var data = JsonSerializer.SerializeToElement(new FriendEventData(new User(openid)), ContractsJsonContext.Default.FriendEventData);
                var type = dispatch.Type == "FRIEND_ADD" ? EventTypes.FriendAdded : EventTypes.FriendRemoved;
                return new NormalizedEvent(type, data, new QQChat(QQScene.C2C, openid), dispatch.Type == "FRIEND_ADD" ? dispatch.EventId : null, true, Time(d, now));
            }

            case "GROUP_ADD_ROBOT" or "GROUP_DEL_ROBOT":
            {
                var groupId = QQJson.String(d, "group_openid") ?? string.Empty;
                var op = QQJson.String(d, "op_member_openid");
                var data = JsonSerializer.SerializeToElement(new BotGroupEventData(new Group(groupId), op is null ? null : new User(op)), ContractsJsonContext.Default.BotGroupEventData);
                var type = dispatch.Type == "GROUP_ADD_ROBOT" ? EventTypes.BotInvitedToGroup : EventTypes.BotRemovedFromGroup;
                return new NormalizedEvent(type, data, new QQChat(QQScene.Group, groupId), dispatch.Type == "GROUP_ADD_ROBOT" ? dispatch.EventId : null, true, Time(d, now));
            }

            default:
            {
                // C2C_MSG_RECEIVE / GROUP_MSG_RECEIVE open a passive window keyed to their event id, like FRIEND_ADD.
                QQChat? chat = dispatch.Type switch
                {
                    "C2C_MSG_RECEIVE" => new QQChat(QQScene.C2C, QQJson.String(d, "openid") ?? string.Empty),
                    "GROUP_MSG_RECEIVE" => new QQChat(QQScene.Group, QQJson.String(d, "group_openid") ?? string.Empty),
                    _ => null,
                };
                var data = d.ValueKind == JsonValueKind.Object ? d : QQJson.Element(new JsonObject { ["value"] = d.ValueKind == JsonValueKind.Undefined ? null : JsonNode.Parse(d.GetRawText()) });
                return new NormalizedEvent(PlatformEventType(dispatch.Type), data, chat, chat is null ? null : dispatch.EventId, true, Time(d, now));
            }
        }
    }

    /// <summary>The Plugboard type of a QQ event without a common mapping, e.g. <c>platform.qqbot.message_audit_pass</c>.</summary>
    public static string PlatformEventType(string qqEvent) => EventTypes.Platform(Platform, qqEvent.ToLowerInvariant());

    /// <summary>Prepends <c>https:</c> to attachment URLs that lack a scheme (<c>//host/...</c> or <c>host/...</c>).</summary>
    public static string? FixUrl(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return null;
        }

        url = url.Trim();
        if (url.StartsWith("//", StringComparison.Ordinal))
        {
            return "https:" + url;
        }

        return url.Contains("://", StringComparison.Ordinal) ? url : "https://" + url;
    }

    private static NormalizedEvent Message(GatewayDispatch dispatch, QQChat chat, User sender, Group? group, GroupMember? member, string? botUserId, DateTimeOffset now)
    {
        var d = dispatch.Data;
        var messageId = QQJson.String(d, "id") ?? dispatch.EventId ?? string.Empty;
        var time = Time(d, now);
        var chain = new List<MessageComponent> { new SourceComponent(messageId, time) };
        if (Quote(d) is { } quote)
        {
            chain.Add(quote);
        }

        var content = QQJson.String(d, "content") ?? string.Empty;
        if (chat.Scene is QQScene.GuildChannel or QQScene.GuildDirect)
        {
            AddGuildText(chain, content, d, botUserId);
        }
        else if (content.Trim() is { Length: > 0 } text)
        {
            // Group messages arrive as " text": the platform replaces the bot's mention with a space.
            chain.Add(new PlainComponent(text));
        }

        chain.AddRange(Attachments(d));
        var data = new MessageEventData(messageId, chat.ToTarget(), sender, chain, group, member);
        return new NormalizedEvent(EventTypes.MessageReceived, JsonSerializer.SerializeToElement(data, ContractsJsonContext.Default.MessageEventData), chat, messageId, false, time);
    }

    /// <summary>Guild content carries mentions as <c>&lt;@!id&gt;</c>: the bot's own is dropped, others become At components.</summary>
    private static void AddGuildText(List<MessageComponent> chain, string content, JsonElement d, string? botUserId)
    {
        var names = new Dictionary<string, string?>(StringComparer.Ordinal);
        var botIds = new HashSet<string>(StringComparer.Ordinal);
        if (!string.IsNullOrEmpty(botUserId))
        {
            botIds.Add(botUserId);
        }

        foreach (var mention in QQJson.Array(d, "mentions"))
        {
            if (QQJson.String(mention, "id") is { } id)
            {
                names[id] = QQJson.String(mention, "username");
                if (QQJson.Bool(mention, "bot") == true && string.IsNullOrEmpty(botUserId))
                {
                    botIds.Add(id);
                }
            }
        }

        var parts = new List<MessageComponent>();
        var position = 0;
        foreach (Match match in MentionPattern().Matches(content))
        {
            parts.Add(new PlainComponent(content[position..match.Index]));
            var id = match.Groups[1].Value;
            if (!botIds.Contains(id))
            {
                parts.Add(new AtComponent(id, names.TryGetValue(id, out var name) && name is not null ? "@" + name : null));
            }

            position = match.Index + match.Length;
        }

        parts.Add(new PlainComponent(content[position..]));

        // Merge neighbouring text, then trim around the stripped mention ("<@!bot> hello" → "hello").
        var merged = new List<MessageComponent>();
        foreach (var part in parts)
        {
            if (part is PlainComponent plain && merged.Count > 0 && merged[^1] is PlainComponent previous)
            {
                merged[^1] = previous with { Text = previous.Text + plain.Text };
            }
            else
            {
                merged.Add(part);
            }
        }

        if (merged[0] is PlainComponent first)
        {
            merged[0] = first with { Text = first.Text.TrimStart() };
        }

        if (merged[^1] is PlainComponent last)
        {
            merged[^1] = last with { Text = last.Text.TrimEnd() };
        }

        chain.AddRange(merged.Where(p => p is not PlainComponent { Text.Length: 0 }));
    }

    private static QuoteComponent? Quote(JsonElement d)
    {
        var reference = QQJson.Object(d, "message_reference");
        var quotedId = reference is { } r ? QQJson.String(r, "message_id") : null;
        var isQuote = QQJson.Long(d, "message_type") == QuoteMessageType;
        if (quotedId is null && !isQuote)
        {
            return null;
        }

        var chain = new List<MessageComponent>();
        foreach (var element in QQJson.Array(d, "msg_elements"))
        {
            if (QQJson.String(element, "content") is { } text && text.Trim().Length > 0)
            {
                chain.Add(new PlainComponent(text.Trim()));
            }

            chain.AddRange(Attachments(element));
        }

        return new QuoteComponent(quotedId ?? string.Empty, null, chain.Count > 0 ? chain : null);
    }

    private static IEnumerable<MessageComponent> Attachments(JsonElement d)
    {
        foreach (var attachment in QQJson.Array(d, "attachments"))
        {
            var contentType = QQJson.String(attachment, "content_type") ?? string.Empty;
            var url = FixUrl(QQJson.String(attachment, "url"));
            var fileName = QQJson.String(attachment, "filename");
            var size = QQJson.Long(attachment, "size");
            if (contentType.StartsWith("image/", StringComparison.OrdinalIgnoreCase))
            {
                yield return new ImageComponent(url, MimeType: contentType);
            }
            else if (contentType.Equals("voice", StringComparison.OrdinalIgnoreCase) || contentType.StartsWith("audio/", StringComparison.OrdinalIgnoreCase))
            {
                // The platform offers a WAV rendition of SILK voice messages and its own transcript.
                var wav = FixUrl(QQJson.String(attachment, "voice_wav_url"));
                var transcript = QQJson.String(attachment, "asr_refer_text");
                yield return new VoiceComponent(wav ?? url, MimeType: wav is not null ? "audio/wav" : contentType.Contains('/', StringComparison.Ordinal) ? contentType : "audio/silk", Transcript: string.IsNullOrWhiteSpace(transcript) ? null : transcript);
            }
            else
            {
                var name = !string.IsNullOrWhiteSpace(fileName) ? fileName : NameFromUrl(url) ?? (contentType.StartsWith("video/", StringComparison.OrdinalIgnoreCase) ? "video.mp4" : "file");
                yield return new FileComponent(name, url, MimeType: contentType.Contains('/', StringComparison.Ordinal) ? contentType : null, Size: size);
            }
        }
    }

    private static NormalizedEvent Interaction(GatewayDispatch dispatch, DateTimeOffset now)
    {
        var d = dispatch.Data;
        var resolved = QQJson.Object(d, "data") is { } data && QQJson.Object(data, "resolved") is { } r ? r : default;
        var chatType = QQJson.Long(d, "chat_type");
        var scene = QQJson.String(d, "scene");
        QQChat? chat;
        string? userId;
        if (chatType == 2 || scene == "c2c")
        {
            userId = QQJson.String(d, "user_openid");
            chat = new QQChat(QQScene.C2C, userId ?? string.Empty);
        }
        else if (chatType == 1 || scene == "group")
        {
            userId = QQJson.String(d, "group_member_openid");
            chat = new QQChat(QQScene.Group, QQJson.String(d, "group_openid") ?? string.Empty);
        }
        else
        {
            userId = QQJson.String(resolved, "user_id");
            chat = QQJson.String(d, "channel_id") is { } channel ? new QQChat(QQScene.GuildChannel, channel) : null;
        }

        userId ??= QQJson.String(resolved, "user_id");
        var eventId = dispatch.EventId;
        var result = new JsonObject
        {
            ["interactionId"] = QQJson.String(d, "id"),
            ["eventId"] = eventId,
            ["messageId"] = eventId,
            ["type"] = QQJson.Long(d, "type"),
            ["scene"] = scene,
            ["buttonId"] = QQJson.String(resolved, "button_id"),
            ["buttonData"] = QQJson.String(resolved, "button_data"),
            ["referencedMessageId"] = QQJson.String(resolved, "message_id"),
            ["featureId"] = QQJson.String(resolved, "feature_id"),
        };
        if (chat is not null)
        {
            result["chat"] = JsonSerializer.SerializeToNode(chat.ToTarget(), ContractsJsonContext.Default.ChatTarget);
        }

        if (userId is not null)
        {
            result["user"] = JsonSerializer.SerializeToNode(new User(userId), ContractsJsonContext.Default.User);
        }

        foreach (var key in result.Where(p => p.Value is null).Select(p => p.Key).ToList())
        {
            result.Remove(key);
        }

        return new NormalizedEvent(PlatformEventType("interaction"), QQJson.Element(result), chat, eventId, true, Time(d, now));
    }

    private static User GuildUser(JsonElement d)
    {
        var author = QQJson.Object(d, "author") ?? default;
        return new User(QQJson.String(author, "id") ?? string.Empty, QQJson.String(author, "username"), QQJson.String(author, "avatar"), QQJson.Bool(author, "bot"));
    }

    private static string? Author(JsonElement d, string field) => QQJson.Object(d, "author") is { } author ? QQJson.String(author, field) : null;

    private static DateTimeOffset Time(JsonElement d, DateTimeOffset now)
    {
        if (QQJson.String(d, "timestamp") is { } text)
        {
            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                return parsed;
            }

            if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) && seconds > 0)
            {
                return DateTimeOffset.FromUnixTimeSeconds(seconds);
            }
        }

        return now;
    }

    private static string? NameFromUrl(string? url)
        => url is not null && Uri.TryCreate(url, UriKind.Absolute, out var uri) && Path.GetFileName(uri.AbsolutePath) is { Length: > 0 } name && name.Contains('.', StringComparison.Ordinal) ? name : null;

    [GeneratedRegex(@"<@!?(\d+)>")]
    private static partial Regex MentionPattern();
}
