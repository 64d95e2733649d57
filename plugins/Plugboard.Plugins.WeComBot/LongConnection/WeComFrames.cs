using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Plugboard.Plugins.WeComBot.LongConnection;

/// <summary>The long connection's commands, envelope fields and error codes.</summary>
internal static class WeComCommands
{
    /// <summary>Client → server: authenticate and subscribe (the first frame).</summary>
    public const string Subscribe = "aibot_subscribe";

    /// <summary>Client → server: application heartbeat.</summary>
    public const string Ping = "ping";

    /// <summary>Client → server: reply to a message callback (stream, template card, media).</summary>
    public const string RespondMessage = "aibot_respond_msg";

    /// <summary>Client → server: welcome reply to <c>enter_chat</c> (within 5 s).</summary>
    public const string RespondWelcome = "aibot_respond_welcome_msg";

    /// <summary>Client → server: template card update after <c>template_card_event</c> (within 5 s).</summary>
    public const string RespondUpdate = "aibot_respond_update_msg";

    /// <summary>Client → server: proactive message.</summary>
    public const string SendMessage = "aibot_send_msg";

    /// <summary>Client → server: start a media upload.</summary>
    public const string UploadInit = "aibot_upload_media_init";

    /// <summary>Client → server: one chunk of a media upload.</summary>
    public const string UploadChunk = "aibot_upload_media_chunk";

    /// <summary>Client → server: finish a media upload.</summary>
    public const string UploadFinish = "aibot_upload_media_finish";

    /// <summary>Server → client: a user message.</summary>
    public const string MessageCallback = "aibot_msg_callback";

    /// <summary>Server → client: an event.</summary>
    public const string EventCallback = "aibot_event_callback";
}

/// <summary>WeCom's long-connection error codes that the adapter acts on.</summary>
internal static class WeComErrorCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>Concurrent command on the same request: retried with backoff.</summary>
    public const int CommandConflict = 6000;

    /// <summary>Unknown, consumed or expired req_id.</summary>
    public const int InvalidReqId = 846605;

    /// <summary>A stream updated after its lifetime (about 6 minutes).</summary>
    public const int StreamExpired = 846608;

    /// <summary>Subscribe with a wrong bot id or secret.</summary>
    public const int InvalidCredentials = 853000;
}

/// <summary>Building and reading long-connection frames (<c>{"cmd","headers":{"req_id"},"body"}</c>).</summary>
internal static class WeComFrames
{
    /// <summary>
    /// Writes non-ASCII as UTF-8 rather than <c>\uXXXX</c> escapes, as WeCom's own Node SDK (JSON.stringify) does, so an
    /// echoed req_id is the same bytes the server sent.
    /// </summary>
    public static JsonSerializerOptions WireOptions { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A client req_id as the official SDK makes them: <c>{prefix}_{unix ms}_{8 hex}</c>.</summary>
    public static string NewReqId(string prefix, TimeProvider? time = null)
        => $"{prefix}_{(time ?? TimeProvider.System).GetUtcNow().ToUnixTimeMilliseconds()}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";

    /// <summary>Builds a command frame.</summary>
    public static JsonObject Command(string cmd, string reqId, JsonObject? body)
    {
        var frame = new JsonObject { ["cmd"] = cmd, ["headers"] = new JsonObject { ["req_id"] = reqId } };
        if (body is not null)
        {
            frame["body"] = body;
        }

        return frame;
    }

    /// <summary>Serializes a frame to UTF-8 JSON.</summary>
    public static byte[] Serialize(JsonNode frame) => JsonSerializer.SerializeToUtf8Bytes(frame, WireOptions);

    /// <summary>Reads a frame's command, or null for an ack.</summary>
    public static string? Cmd(JsonObject frame) => frame["cmd"] is JsonValue value && value.TryGetValue<string>(out var cmd) && cmd.Length > 0 ? cmd : null;

    /// <summary>Reads a frame's <c>headers.req_id</c>.</summary>
    public static string ReqId(JsonObject frame)
        => frame["headers"] is JsonObject headers && headers["req_id"] is JsonValue value && value.TryGetValue<string>(out var id) ? id : string.Empty;

    /// <summary>Reads an ack's <c>errcode</c> (0 when absent).</summary>
    public static int ErrCode(JsonObject frame)
        => frame["errcode"] is JsonValue value && value.TryGetValue<int>(out var code) ? code : 0;

    /// <summary>Reads an ack's <c>errmsg</c>.</summary>
    public static string ErrMsg(JsonObject frame)
        => frame["errmsg"] is JsonValue value && value.TryGetValue<string>(out var message) ? message : string.Empty;

    /// <summary>Reads a string at a path of object properties, or null.</summary>
    public static string? Text(JsonNode? node, params string[] path)
    {
        foreach (var name in path)
        {
            node = node is JsonObject obj ? obj[name] : null;
        }

        return node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
    }
}
