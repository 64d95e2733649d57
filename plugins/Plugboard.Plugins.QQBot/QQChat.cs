using Plugboard.Plugins.QQBot.Api;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Plugins.QQBot;

/// <summary>The four QQ conversation scenes, each with its own endpoints and rules.</summary>
internal enum QQScene
{
    /// <summary>A person-to-person chat with a QQ user (user_openid).</summary>
    C2C,

    /// <summary>A QQ group (group_openid).</summary>
    Group,

    /// <summary>A guild channel (channel_id).</summary>
    GuildChannel,

    /// <summary>A guild direct-message session (its guild_id).</summary>
    GuildDirect,
}

/// <summary>
/// A QQ conversation and its mapping to <see cref="ChatTarget"/>: person chats use the user_openid, group chats the
/// group_openid, guild channels <c>channel:&lt;channel_id&gt;</c> (a group) and guild direct messages
/// <c>dm:&lt;guild_id&gt;</c> (a person).
/// </summary>
/// <param name="Scene">The scene.</param>
/// <param name="Id">The platform id within the scene (openid, channel_id or the DM session's guild_id).</param>
internal sealed record QQChat(QQScene Scene, string Id)
{
    /// <summary>The prefix of guild channel ids in <see cref="ChatTarget"/>.</summary>
    public const string ChannelPrefix = "channel:";

    /// <summary>The prefix of guild direct-message ids in <see cref="ChatTarget"/>.</summary>
    public const string DirectPrefix = "dm:";

    /// <summary>Whether this is a one-to-one conversation.</summary>
    public bool IsPerson => Scene is QQScene.C2C or QQScene.GuildDirect;

    /// <summary>Whether messages carry <c>msg_seq</c> and media goes through <c>/files</c> (QQ person and group chats).</summary>
    public bool IsQQ => Scene is QQScene.C2C or QQScene.Group;

    /// <summary>The send endpoint.</summary>
    public string MessagesPath => Scene switch
    {
        QQScene.C2C => $"/v2/users/{Escape(Id)}/messages",
        QQScene.Group => $"/v2/groups/{Escape(Id)}/messages",
        QQScene.GuildChannel => $"/channels/{Escape(Id)}/messages",
        _ => $"/dms/{Escape(Id)}/messages",
    };

    /// <summary>The base path of rich-media uploads (<c>/files</c>, <c>/upload_prepare</c>, ...); QQ person and group chats only.</summary>
    public string MediaBasePath => Scene switch
    {
        QQScene.C2C => $"/v2/users/{Escape(Id)}",
        QQScene.Group => $"/v2/groups/{Escape(Id)}",
        _ => throw new QQApiException(QQErrorKind.Unsupported, $"Rich-media upload works in QQ person and group chats only, not in a {Describe()}. {QQErrorCodes.Advice(QQErrorKind.Unsupported, null)}"),
    };

    /// <summary>The recall endpoint of a message in this chat.</summary>
    public string MessagePath(string messageId) => $"{MessagesPath}/{Escape(messageId)}";

    /// <summary>The chat as a <see cref="ChatTarget"/>.</summary>
    public ChatTarget ToTarget() => Scene switch
    {
        QQScene.C2C => new ChatTarget(ChatType.Person, Id),
        QQScene.Group => new ChatTarget(ChatType.Group, Id),
        QQScene.GuildChannel => new ChatTarget(ChatType.Group, ChannelPrefix + Id),
        _ => new ChatTarget(ChatType.Person, DirectPrefix + Id),
    };

    /// <summary>A description for messages, e.g. <c>guild channel 100010</c>.</summary>
    public string Describe() => Scene switch
    {
        QQScene.C2C => $"QQ person chat {Id}",
        QQScene.Group => $"QQ group {Id}",
        QQScene.GuildChannel => $"guild channel {Id}",
        _ => $"guild direct-message session {Id}",
    };

    /// <summary>Maps a <see cref="ChatTarget"/> back to a QQ conversation.</summary>
    /// <exception cref="QQApiException">The target is empty or malformed.</exception>
    public static QQChat FromTarget(ChatTarget? target)
    {
        if (target is null || string.IsNullOrWhiteSpace(target.Id))
        {
            throw new QQApiException(QQErrorKind.InvalidRequest, "The target needs a type (person or group) and an id: a QQ user_openid or group_openid, 'channel:<channel_id>' or 'dm:<guild_id>'.");
        }

        var id = target.Id.Trim();
        if (target.Type == ChatType.Group)
        {
            return id.StartsWith(ChannelPrefix, StringComparison.Ordinal)
                ? new QQChat(QQScene.GuildChannel, NotEmpty(id[ChannelPrefix.Length..], target))
                : new QQChat(QQScene.Group, id);
        }

        return id.StartsWith(DirectPrefix, StringComparison.Ordinal)
            ? new QQChat(QQScene.GuildDirect, NotEmpty(id[DirectPrefix.Length..], target))
            : new QQChat(QQScene.C2C, id);
    }

    private static string NotEmpty(string id, ChatTarget target)
        => id.Length > 0 ? id : throw new QQApiException(QQErrorKind.InvalidRequest, $"The target id '{target.Id}' has a prefix but no id after it.");

    private static string Escape(string value) => Uri.EscapeDataString(value);
}
