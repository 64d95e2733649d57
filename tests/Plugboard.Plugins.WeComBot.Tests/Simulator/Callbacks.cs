using System.Text.Json.Nodes;

namespace Plugboard.Plugins.WeComBot.Tests.Simulator;

/// <summary>Callback bodies shaped like the literal frames of the protocol notes (part B4).</summary>
internal static class Callbacks
{
    public static JsonObject Message(string msgId, string msgType, JsonNode content, string userId = "zhangsan", string? chatId = null)
    {
        var body = new JsonObject
        {
            ["msgid"] = msgId,
            ["aibotid"] = "aibBOT1",
            ["chattype"] = chatId is null ? "single" : "group",
            ["from"] = new JsonObject { ["userid"] = userId },
            ["create_time"] = 1712000000,
            ["msgtype"] = msgType,
            [msgType] = content,
        };
        if (chatId is not null)
        {
            body["chatid"] = chatId;
        }

        return body;
    }

    public static JsonObject Text(string msgId, string text, string userId = "zhangsan", string? chatId = null)
        => Message(msgId, "text", new JsonObject { ["content"] = text }, userId, chatId);

    public static JsonObject Media(string url, string? aesKey)
    {
        var media = new JsonObject { ["url"] = url };
        if (aesKey is not null)
        {
            media["aeskey"] = aesKey;
        }

        return media;
    }

    public static JsonObject Event(string msgId, string eventType, JsonObject? eventFields = null, string userId = "zhangsan", string? chatId = null)
    {
        var evt = new JsonObject { ["eventtype"] = eventType };
        foreach (var (name, value) in eventFields ?? [])
        {
            evt[name] = value?.DeepClone();
        }

        var body = new JsonObject
        {
            ["msgid"] = msgId,
            ["create_time"] = 1712000000,
            ["aibotid"] = "aibBOT1",
            ["chattype"] = chatId is null ? "single" : "group",
            ["from"] = new JsonObject { ["userid"] = userId, ["corpid"] = "wwCORPID" },
            ["msgtype"] = "event",
            ["event"] = evt,
        };
        if (chatId is not null)
        {
            body["chatid"] = chatId;
        }

        return body;
    }
}
