namespace Plugboard.Plugins.QQBot.Configuration;

/// <summary>The gateway intents (event subscriptions) of the QQ Bot platform, as bits of the Identify <c>intents</c> mask.</summary>
[Flags]
internal enum QQIntents
{
    /// <summary>No events.</summary>
    None = 0,

    /// <summary>GUILD_CREATE/UPDATE/DELETE, CHANNEL_CREATE/UPDATE/DELETE.</summary>
    Guilds = 1 << 0,

    /// <summary>GUILD_MEMBER_ADD/UPDATE/REMOVE.</summary>
    GuildMembers = 1 << 1,

    /// <summary>MESSAGE_CREATE, MESSAGE_DELETE (private-domain bots only).</summary>
    GuildMessages = 1 << 9,

    /// <summary>MESSAGE_REACTION_ADD/REMOVE.</summary>
    GuildMessageReactions = 1 << 10,

    /// <summary>DIRECT_MESSAGE_CREATE/DELETE (guild direct messages).</summary>
    DirectMessage = 1 << 12,

    /// <summary>OPEN_FORUM_* events.</summary>
    OpenForumEvent = 1 << 18,

    /// <summary>AUDIO_OR_LIVE_CHANNEL_MEMBER_ENTER/EXIT.</summary>
    AudioOrLiveChannelMember = 1 << 19,

    /// <summary>C2C_MESSAGE_CREATE, GROUP_AT_MESSAGE_CREATE, FRIEND_*, C2C_MSG_*, GROUP_* (QQ person and group chats).</summary>
    GroupAndC2C = 1 << 25,

    /// <summary>INTERACTION_CREATE (button clicks).</summary>
    Interaction = 1 << 26,

    /// <summary>MESSAGE_AUDIT_PASS/REJECT.</summary>
    MessageAudit = 1 << 27,

    /// <summary>FORUM_* (private-domain bots only).</summary>
    ForumsEvent = 1 << 28,

    /// <summary>AUDIO_START/FINISH, AUDIO_ON_MIC/OFF_MIC.</summary>
    AudioAction = 1 << 29,

    /// <summary>AT_MESSAGE_CREATE, PUBLIC_MESSAGE_DELETE (messages that mention the bot in guild channels).</summary>
    PublicGuildMessages = 1 << 30,

    /// <summary>The default: person and group chats, guild direct messages and public guild messages (1107300352).</summary>
    Default = GroupAndC2C | DirectMessage | PublicGuildMessages,
}

/// <summary>Names of the intents as written in configuration.</summary>
internal static class QQIntentNames
{
    private static readonly Dictionary<string, QQIntents> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["guilds"] = QQIntents.Guilds,
        ["guildMembers"] = QQIntents.GuildMembers,
        ["guildMessages"] = QQIntents.GuildMessages,
        ["guildMessageReactions"] = QQIntents.GuildMessageReactions,
        ["directMessage"] = QQIntents.DirectMessage,
        ["openForumEvent"] = QQIntents.OpenForumEvent,
        ["audioOrLiveChannelMember"] = QQIntents.AudioOrLiveChannelMember,
        ["groupAndC2C"] = QQIntents.GroupAndC2C,
        ["publicMessages"] = QQIntents.GroupAndC2C,
        ["interaction"] = QQIntents.Interaction,
        ["messageAudit"] = QQIntents.MessageAudit,
        ["forumsEvent"] = QQIntents.ForumsEvent,
        ["audioAction"] = QQIntents.AudioAction,
        ["publicGuildMessages"] = QQIntents.PublicGuildMessages,
    };

    /// <summary>Every accepted name, for error messages and docs.</summary>
    public static IEnumerable<string> All => ByName.Keys;

    /// <summary>Looks up one name (case-insensitive).</summary>
    public static bool TryParse(string name, out QQIntents intent) => ByName.TryGetValue(name.Trim(), out intent);

    /// <summary>The names of the bits set in <paramref name="intents"/>, for log lines and errors.</summary>
    public static string Describe(QQIntents intents)
    {
        var names = Enum.GetValues<QQIntents>()
            .Where(v => v != QQIntents.None && v != QQIntents.Default && intents.HasFlag(v))
            .Select(v => v.ToString());
        return $"{(int)intents} ({string.Join(" | ", names)})";
    }
}
