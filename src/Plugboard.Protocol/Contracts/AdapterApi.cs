using System.Text.Json;

namespace Plugboard.Protocol.Contracts;

/// <summary>
/// The adapter API. The runtime calls <c>adapter/&lt;api&gt;</c> on the adapter plugin with a <c>botId</c>; plugins call
/// <c>bot/call</c> with the same api names. <see cref="Send"/> and <see cref="Reply"/> are required; an adapter
/// declares the others it supports in its manifest (<c>components.adapters[].apis</c>) and anything else gets
/// <see cref="PlugboardErrorCodes.AdapterNotSupported"/>.
/// </summary>
public static class AdapterApis
{
    /// <summary>Runtime → adapter: start serving a bot (<see cref="AdapterStartParams"/>).</summary>
    public const string StartMethod = "adapter/start";

    /// <summary>Runtime → adapter: stop serving a bot (<see cref="BotParams"/>).</summary>
    public const string StopMethod = "adapter/stop";

    /// <summary>Send a message to a target (<see cref="SendParams"/> → <see cref="SendResult"/>). Required.</summary>
    public const string Send = "send";

    /// <summary>Reply to a received message (<see cref="ReplyParams"/> → <see cref="SendResult"/>). Required.</summary>
    public const string Reply = "reply";

    /// <summary>Stream a reply in chunks (<see cref="ReplyStreamParams"/>); the last chunk has <c>final: true</c>.</summary>
    public const string ReplyStream = "replyStream";

    /// <summary>Edit a sent message.</summary>
    public const string Edit = "edit";

    /// <summary>Delete/recall a message.</summary>
    public const string Delete = "delete";

    /// <summary>Forward messages.</summary>
    public const string Forward = "forward";

    /// <summary>Get a message by id.</summary>
    public const string GetMessage = "getMessage";

    /// <summary>Get group info.</summary>
    public const string GetGroupInfo = "getGroupInfo";

    /// <summary>Get a group member.</summary>
    public const string GetMemberInfo = "getMemberInfo";

    /// <summary>Get a user.</summary>
    public const string GetUserInfo = "getUserInfo";

    /// <summary>List friends.</summary>
    public const string GetFriendList = "getFriendList";

    /// <summary>Mute a member.</summary>
    public const string Mute = "mute";

    /// <summary>Unmute a member.</summary>
    public const string Unmute = "unmute";

    /// <summary>Remove a member.</summary>
    public const string Kick = "kick";

    /// <summary>Leave a group.</summary>
    public const string Leave = "leave";

    /// <summary>Approve a friend or group request.</summary>
    public const string ApproveRequest = "approveRequest";

    /// <summary>Upload a file, returning a file handle.</summary>
    public const string UploadFile = "uploadFile";

    /// <summary>Get a downloadable URL for a file handle.</summary>
    public const string GetFileUrl = "getFileUrl";

    /// <summary>Call a platform-specific action (<see cref="CallPlatformApiParams"/>).</summary>
    public const string CallPlatformApi = "callPlatformApi";

    /// <summary>The APIs every adapter must support.</summary>
    public static IReadOnlyList<string> Required { get; } = [Send, Reply];

    /// <summary>Every API name.</summary>
    public static IReadOnlyList<string> All { get; } =
        [Send, Reply, ReplyStream, Edit, Delete, Forward, GetMessage, GetGroupInfo, GetMemberInfo, GetUserInfo, GetFriendList, Mute, Unmute, Kick, Leave, ApproveRequest, UploadFile, GetFileUrl, CallPlatformApi];

    /// <summary>The adapter-side method name of an API.</summary>
    public static string Method(string api) => "adapter/" + api;
}

/// <summary>Plugin → runtime methods for talking through bots.</summary>
public static class BotMethods
{
    /// <summary>Call an adapter API through a bot (<see cref="BotCallParams"/>).</summary>
    public const string Call = "bot/call";

    /// <summary>What a bot's adapter supports (<see cref="BotParams"/> → <see cref="BotCapabilities"/>).</summary>
    public const string Capabilities = "bot/capabilities";

    /// <summary>List bots (→ <see cref="BotSummary"/>[]).</summary>
    public const string List = "bot/list";
}

/// <summary>Parameters naming a bot.</summary>
/// <param name="BotId">The bot.</param>
public sealed record BotParams(string BotId);

/// <summary>Parameters of <see cref="AdapterApis.StartMethod"/>.</summary>
/// <param name="BotId">The bot to serve.</param>
/// <param name="Platform">The adapter platform chosen for the bot (a plugin may implement several).</param>
/// <param name="Config">The bot's adapter configuration (secrets included).</param>
public sealed record AdapterStartParams(string BotId, string Platform, JsonElement Config);

/// <summary>Parameters of <see cref="AdapterApis.Send"/>.</summary>
/// <param name="BotId">The bot.</param>
/// <param name="Target">Where to send.</param>
/// <param name="Chain">What to send.</param>
public sealed record SendParams(string BotId, ChatTarget Target, IReadOnlyList<MessageComponent> Chain);

/// <summary>Parameters of <see cref="AdapterApis.Reply"/>.</summary>
/// <param name="BotId">The bot.</param>
/// <param name="Chat">The conversation of the message replied to.</param>
/// <param name="MessageId">The message replied to.</param>
/// <param name="Chain">What to send.</param>
/// <param name="Quote">Whether to quote the original message.</param>
public sealed record ReplyParams(string BotId, ChatTarget Chat, string MessageId, IReadOnlyList<MessageComponent> Chain, bool Quote = false);

/// <summary>Parameters of <see cref="AdapterApis.ReplyStream"/>: one chunk of a streamed reply.</summary>
/// <param name="BotId">The bot.</param>
/// <param name="Chat">The conversation.</param>
/// <param name="MessageId">The message replied to.</param>
/// <param name="StreamId">Identifies the stream; the same for every chunk.</param>
/// <param name="Text">The text chunk (appended to what was sent before).</param>
/// <param name="Final">True on the last chunk.</param>
public sealed record ReplyStreamParams(string BotId, ChatTarget Chat, string MessageId, string StreamId, string Text, bool Final);

/// <summary>Result of a send or reply.</summary>
/// <param name="MessageId">The id of the sent message, if the platform returns one.</param>
public sealed record SendResult(string? MessageId);

/// <summary>Parameters of <see cref="AdapterApis.CallPlatformApi"/>.</summary>
/// <param name="BotId">The bot.</param>
/// <param name="Action">The platform action name declared in the manifest.</param>
/// <param name="Params">Its parameters.</param>
public sealed record CallPlatformApiParams(string BotId, string Action, JsonElement Params);

/// <summary>Parameters of <see cref="BotMethods.Call"/>.</summary>
/// <param name="BotId">The bot.</param>
/// <param name="Api">The adapter API name (<see cref="AdapterApis"/>).</param>
/// <param name="Params">The API's parameters (without <c>botId</c>; the runtime adds it).</param>
public sealed record BotCallParams(string BotId, string Api, JsonElement Params);

/// <summary>What a bot supports.</summary>
/// <param name="BotId">The bot.</param>
/// <param name="Platform">Its adapter platform.</param>
/// <param name="Events">Event types its adapter emits.</param>
/// <param name="Apis">Adapter APIs it supports.</param>
/// <param name="Actions">Platform actions for <see cref="AdapterApis.CallPlatformApi"/>.</param>
public sealed record BotCapabilities(string BotId, string Platform, IReadOnlyList<string> Events, IReadOnlyList<string> Apis, IReadOnlyList<string> Actions);

/// <summary>A bot as listed to plugins (no configuration, so no secrets).</summary>
/// <param name="Id">The bot id.</param>
/// <param name="Name">Its name.</param>
/// <param name="AdapterPlugin">The adapter plugin.</param>
/// <param name="Platform">The adapter platform.</param>
/// <param name="Enabled">Whether it is enabled.</param>
/// <param name="State">Running, Stopped, or why it is not running.</param>
public sealed record BotSummary(string Id, string Name, string AdapterPlugin, string Platform, bool Enabled, string State);
