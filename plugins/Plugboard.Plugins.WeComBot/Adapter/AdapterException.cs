using System.Text.Json;
using System.Text.Json.Nodes;
using Plugboard.Plugins.WeComBot.LongConnection;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Plugins.WeComBot.Adapter;

/// <summary>
/// An adapter API error as the runtime receives it: a Plugboard error code and a data object. WeCom failures carry
/// WeCom's own errcode and errmsg in <c>data.platformCode</c> and <c>data.platformMessage</c>.
/// </summary>
internal sealed class AdapterException : JsonRpcException
{
    private AdapterException(int code, string message, JsonObject data, Exception? inner = null)
        : base(code, message, JsonSerializer.SerializeToElement(data, WeComJson.Context.JsonObject), inner)
    {
    }

    /// <summary>The stream (or the message it answers) can no longer be updated: <see cref="PlugboardErrorCodes.StreamExpired"/>.</summary>
    public static AdapterException StreamExpired(string? streamId, string messageId, string reason, int? platformCode = null, string? platformMessage = null)
        => new(
            PlugboardErrorCodes.StreamExpired,
            $"The reply to message {messageId} can no longer be updated ({reason}). Send the rest as a new message (send).",
            new JsonObject
            {
                ["platform"] = WeComAiBot.Platform,
                ["messageId"] = messageId,
                ["streamId"] = streamId,
                ["platformCode"] = platformCode,
                ["platformMessage"] = platformMessage,
            });

    /// <summary>Bad parameters (<see cref="JsonRpcErrorCodes.InvalidParams"/>).</summary>
    public static AdapterException InvalidParams(string message) => new(JsonRpcErrorCodes.InvalidParams, message, new JsonObject { ["platform"] = WeComAiBot.Platform });

    /// <summary>Not possible in this bot's mode (<see cref="PlugboardErrorCodes.AdapterNotSupported"/>).</summary>
    public static AdapterException NotSupported(string message) => new(PlugboardErrorCodes.AdapterNotSupported, message + ".", new JsonObject { ["platform"] = WeComAiBot.Platform });

    /// <summary>WeCom failed the operation (<see cref="PlugboardErrorCodes.PlatformError"/>).</summary>
    public static AdapterException Platform(int platformCode, string platformMessage, string cmd, string? detail = null, Exception? inner = null)
        => new(
            PlugboardErrorCodes.PlatformError,
            detail ?? $"WeCom failed {cmd}: errcode {platformCode} {platformMessage}.",
            new JsonObject { ["platform"] = WeComAiBot.Platform, ["platformCode"] = platformCode, ["platformMessage"] = platformMessage, ["cmd"] = cmd },
            inner);

    /// <summary>Maps a long-connection failure.</summary>
    public static AdapterException From(Exception exception) => exception switch
    {
        AdapterException adapter => adapter,
        WeComPlatformException platform => Platform(platform.ErrCode, platform.ErrMsg, platform.Cmd, platform.Message, platform),
        WeComAckTimeoutException timeout => new(PlugboardErrorCodes.PlatformError, timeout.Message, new JsonObject { ["platform"] = WeComAiBot.Platform, ["cmd"] = timeout.Cmd, ["reason"] = "ackTimeout" }, timeout),
        WeComNotConnectedException notConnected => new(PlugboardErrorCodes.PlatformError, notConnected.Message, new JsonObject { ["platform"] = WeComAiBot.Platform, ["reason"] = "notConnected" }, notConnected),
        _ => new(PlugboardErrorCodes.PlatformError, exception.Message, new JsonObject { ["platform"] = WeComAiBot.Platform }, exception),
    };
}
