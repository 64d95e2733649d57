using System.Text.Json;
using System.Text.Json.Serialization;

namespace Plugboard.Protocol.Contracts;

/// <summary>The namespaced event types. Platform-specific events use <c>platform.&lt;adapter&gt;.&lt;action&gt;</c>.</summary>
public static class EventTypes
{
    /// <summary>A message arrived (<see cref="MessageEventData"/>).</summary>
    public const string MessageReceived = "message.received";

    /// <summary>A message was edited (<see cref="MessageEventData"/> with the new chain).</summary>
    public const string MessageEdited = "message.edited";

    /// <summary>A message was deleted or recalled (<see cref="MessageDeletedData"/>).</summary>
    public const string MessageDeleted = "message.deleted";

    /// <summary>A reaction was added or removed (<see cref="MessageReactionData"/>).</summary>
    public const string MessageReaction = "message.reaction";

    /// <summary>A user gave feedback on a bot message (<see cref="FeedbackData"/>).</summary>
    public const string FeedbackReceived = "feedback.received";

    /// <summary>Someone joined a group (<see cref="GroupMemberEventData"/>).</summary>
    public const string GroupMemberJoined = "group.member_joined";

    /// <summary>Someone left or was removed from a group (<see cref="GroupMemberEventData"/>).</summary>
    public const string GroupMemberLeft = "group.member_left";

    /// <summary>A member was muted (<see cref="GroupMemberEventData"/> with a duration).</summary>
    public const string GroupMemberBanned = "group.member_banned";

    /// <summary>A member was unmuted (<see cref="GroupMemberEventData"/>).</summary>
    public const string GroupMemberUnbanned = "group.member_unbanned";

    /// <summary>A group's name or settings changed (<see cref="GroupInfoUpdatedData"/>).</summary>
    public const string GroupInfoUpdated = "group.info_updated";

    /// <summary>Someone asked to be the bot's friend (<see cref="FriendEventData"/> with a request id).</summary>
    public const string FriendRequestReceived = "friend.request_received";

    /// <summary>A friend was added (<see cref="FriendEventData"/>).</summary>
    public const string FriendAdded = "friend.added";

    /// <summary>A friend was removed (<see cref="FriendEventData"/>).</summary>
    public const string FriendRemoved = "friend.removed";

    /// <summary>The bot was invited to a group (<see cref="BotGroupEventData"/>).</summary>
    public const string BotInvitedToGroup = "bot.invited_to_group";

    /// <summary>The bot was removed from a group (<see cref="BotGroupEventData"/>).</summary>
    public const string BotRemovedFromGroup = "bot.removed_from_group";

    /// <summary>The bot was muted in a group (<see cref="BotGroupEventData"/> with a duration).</summary>
    public const string BotMuted = "bot.muted";

    /// <summary>The bot was unmuted (<see cref="BotGroupEventData"/>).</summary>
    public const string BotUnmuted = "bot.unmuted";

    /// <summary>The type of a platform-specific event, e.g. <c>platform.wecombot.enter_chat</c>.</summary>
    public static string Platform(string adapter, string action) => $"platform.{adapter}.{action}";
}

/// <summary>A user on a chat platform.</summary>
/// <param name="Id">The platform's user id.</param>
/// <param name="Name">Display name, if known.</param>
/// <param name="Avatar">Avatar URL, if known.</param>
/// <param name="IsBot">Whether the user is a bot.</param>
public sealed record User(string Id, string? Name = null, string? Avatar = null, bool? IsBot = null);

/// <summary>A group chat.</summary>
/// <param name="Id">The platform's group id.</param>
/// <param name="Name">Its name, if known.</param>
/// <param name="MemberCount">How many members, if known.</param>
public sealed record Group(string Id, string? Name = null, int? MemberCount = null);

/// <summary>A member's role in a group.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<GroupRole>))]
public enum GroupRole
{
    /// <summary>An ordinary member.</summary>
    [JsonStringEnumMemberName("member")]
    Member,

    /// <summary>An administrator.</summary>
    [JsonStringEnumMemberName("admin")]
    Admin,

    /// <summary>The owner.</summary>
    [JsonStringEnumMemberName("owner")]
    Owner,
}

/// <summary>A user in a group.</summary>
/// <param name="User">The user.</param>
/// <param name="Role">Their role.</param>
/// <param name="Nickname">Their name in this group.</param>
public sealed record GroupMember(User User, GroupRole Role = GroupRole.Member, string? Nickname = null);

/// <summary>Person-to-person or group conversation.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ChatType>))]
public enum ChatType
{
    /// <summary>A one-to-one chat.</summary>
    [JsonStringEnumMemberName("person")]
    Person,

    /// <summary>A group chat.</summary>
    [JsonStringEnumMemberName("group")]
    Group,
}

/// <summary>Where a message was sent or is to be sent.</summary>
/// <param name="Type">Person or group.</param>
/// <param name="Id">The user id (person) or group id (group).</param>
public sealed record ChatTarget(ChatType Type, string Id);

/// <summary>Data of <see cref="EventTypes.MessageReceived"/> and <see cref="EventTypes.MessageEdited"/>.</summary>
/// <param name="MessageId">The platform's message id.</param>
/// <param name="Chat">The conversation.</param>
/// <param name="Sender">Who sent it.</param>
/// <param name="Chain">The message content.</param>
/// <param name="Group">The group, for group chats.</param>
/// <param name="Member">The sender as a group member, for group chats.</param>
public sealed record MessageEventData(string MessageId, ChatTarget Chat, User Sender, IReadOnlyList<MessageComponent> Chain, Group? Group = null, GroupMember? Member = null)
{
    /// <summary>The concatenated text of the chain's Plain components.</summary>
    public string PlainText => string.Concat(Chain.OfType<PlainComponent>().Select(p => p.Text));
}

/// <summary>Data of <see cref="EventTypes.MessageDeleted"/>.</summary>
/// <param name="MessageId">The deleted message.</param>
/// <param name="Chat">Its conversation.</param>
/// <param name="Operator">Who deleted it, if known.</param>
public sealed record MessageDeletedData(string MessageId, ChatTarget Chat, User? Operator = null);

/// <summary>Data of <see cref="EventTypes.MessageReaction"/>.</summary>
/// <param name="MessageId">The message reacted to.</param>
/// <param name="Chat">Its conversation.</param>
/// <param name="User">Who reacted.</param>
/// <param name="Reaction">The emoji or reaction code.</param>
/// <param name="Added">True when added, false when removed.</param>
public sealed record MessageReactionData(string MessageId, ChatTarget Chat, User User, string Reaction, bool Added = true);

/// <summary>Data of <see cref="EventTypes.FeedbackReceived"/>.</summary>
/// <param name="MessageId">The bot message the feedback is about.</param>
/// <param name="User">Who gave it.</param>
/// <param name="Kind">The platform's kind, normalised: <c>like</c>, <c>dislike</c> or <c>cancel</c>.</param>
/// <param name="Comment">Free text, if any.</param>
/// <param name="Chat">The conversation, if known.</param>
public sealed record FeedbackData(string MessageId, User User, string Kind, string? Comment = null, ChatTarget? Chat = null);

/// <summary>Data of the <c>group.member_*</c> events.</summary>
/// <param name="Group">The group.</param>
/// <param name="Member">The member concerned.</param>
/// <param name="Operator">Who acted (inviter, kicker, admin), if known.</param>
/// <param name="DurationSeconds">Mute duration, for bans.</param>
public sealed record GroupMemberEventData(Group Group, GroupMember Member, User? Operator = null, int? DurationSeconds = null);

/// <summary>Data of <see cref="EventTypes.GroupInfoUpdated"/>.</summary>
/// <param name="Group">The group after the change.</param>
/// <param name="Changes">Changed fields and their new values.</param>
/// <param name="Operator">Who changed it.</param>
public sealed record GroupInfoUpdatedData(Group Group, JsonElement Changes, User? Operator = null);

/// <summary>Data of the <c>friend.*</c> events.</summary>
/// <param name="User">The other user.</param>
/// <param name="RequestId">The request id to approve (requests only).</param>
/// <param name="Message">The request message, if any.</param>
public sealed record FriendEventData(User User, string? RequestId = null, string? Message = null);

/// <summary>Data of the <c>bot.*</c> group events.</summary>
/// <param name="Group">The group.</param>
/// <param name="Operator">Who acted.</param>
/// <param name="RequestId">An invitation request id to approve, if the platform asks.</param>
/// <param name="DurationSeconds">Mute duration.</param>
public sealed record BotGroupEventData(Group Group, User? Operator = null, string? RequestId = null, int? DurationSeconds = null);
