using System.Text.Json.Nodes;

namespace Plugboard.Plugins.QQBot.Tests.Infrastructure;

/// <summary>Event payloads as the platform sends them (shapes from the reference, section A4.8).</summary>
internal static class Frames
{
    public const string UserOpenId = "E4F4AEA33253A2797FB897C50B81D7ED";
    public const string GroupOpenId = "C9F778FE6ADF9D1D1DBE395BF744A33A";

    public static JsonObject C2C(string content, string? id = null, string user = UserOpenId, JsonArray? attachments = null)
    {
        var d = new JsonObject
        {
            ["author"] = new JsonObject { ["user_openid"] = user },
            ["content"] = content,
            ["id"] = id ?? "ROBOT1.0_" + Guid.NewGuid().ToString("N"),
            ["timestamp"] = "2023-11-06T13:37:18+08:00",
        };
        if (attachments is not null)
        {
            d["attachments"] = attachments;
        }

        return d;
    }

    public static JsonObject Group(string content, string? id = null, string group = GroupOpenId, string member = UserOpenId)
        => new()
        {
            ["author"] = new JsonObject { ["member_openid"] = member },
            ["content"] = content,
            ["group_openid"] = group,
            ["id"] = id ?? "ROBOT1.0_" + Guid.NewGuid().ToString("N"),
            ["timestamp"] = "2023-11-06T13:37:18+08:00",
        };

    public static JsonObject Guild(string content, string channel = "100010", string? id = null, JsonArray? mentions = null)
        => new()
        {
            ["author"] = new JsonObject { ["avatar"] = "http://thirdqq.qlogo.cn/0", ["bot"] = false, ["id"] = "1234", ["username"] = "abc" },
            ["channel_id"] = channel,
            ["content"] = content,
            ["guild_id"] = "18700000000001",
            ["id"] = id ?? "08" + Guid.NewGuid().ToString("N"),
            ["member"] = new JsonObject { ["joined_at"] = "2021-04-12T16:34:42+08:00", ["roles"] = new JsonArray("1"), ["nick"] = "Abby" },
            ["mentions"] = mentions ?? [],
            ["timestamp"] = "2021-05-20T15:14:58+08:00",
            ["seq"] = 7,
            ["seq_in_channel"] = "7",
        };

    public static JsonObject Direct(string content, string guild = "18700000000001", string? id = null)
        => new()
        {
            ["author"] = new JsonObject { ["avatar"] = "http://thirdqq.qlogo.cn/0", ["bot"] = false, ["id"] = "1234", ["username"] = "abc" },
            ["channel_id"] = "100020",
            ["content"] = content,
            ["guild_id"] = guild,
            ["id"] = id ?? "08" + Guid.NewGuid().ToString("N"),
            ["member"] = new JsonObject { ["joined_at"] = "2021-04-12T16:34:42+08:00", ["roles"] = new JsonArray("1") },
            ["timestamp"] = "2021-05-20T15:14:58+08:00",
            ["direct_message"] = true,
            ["src_guild_id"] = "18700000000000",
        };

    public static JsonObject Interaction(string id = "30540ff7-9d8f-4737-83f1-e116ce6afa8b", string user = UserOpenId, string buttonData = "回调按钮")
        => new()
        {
            ["application_id"] = "102056411",
            ["chat_type"] = 2,
            ["scene"] = "c2c",
            ["user_openid"] = user,
            ["data"] = new JsonObject { ["resolved"] = new JsonObject { ["button_data"] = buttonData, ["button_id"] = "21", ["user_id"] = user }, ["type"] = 11 },
            ["id"] = id,
            ["type"] = 11,
            ["version"] = 1,
            ["timestamp"] = "2024-01-01T00:00:00+08:00",
        };
}
