using System.Text.Json;
using Plugboard.Plugins.QQBot.Gateway;
using Plugboard.Plugins.QQBot.Inbound;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Plugins.QQBot.Tests;

/// <summary>Inbound normalisation of the literal frames from the reference (A4.8) and the clients' extra fields.</summary>
public sealed class InboundNormalizerTests
{
    private static readonly DateTimeOffset Now = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Normalize_C2CWithSchemelessImage_PersonMessageWithFixedUrl()
    {
        var result = Normalize("""
            {"op":0,"s":5,"t":"C2C_MESSAGE_CREATE","id":"C2C_MESSAGE_CREATE:abc123",
             "d":{"author":{"user_openid":"E4F4AEA33253A2797FB897C50B81D7ED"},"content":"123",
                  "id":"ROBOT1.0_.b6nx.CVryAO0nR58RXuU6SC.m92gc19j02qKqdm8ek!","timestamp":"2023-11-06T13:37:18+08:00",
                  "attachments":[{"content_type":"image/png","filename":"a.png","height":100,"width":100,"size":1234,
                                  "url":"multimedia.nt.qq.com.cn/download?appid=1407&fileid=xxx"}]}}
            """);

        Assert.Equal(EventTypes.MessageReceived, result.Type);
        var data = Message(result);
        Assert.Equal("ROBOT1.0_.b6nx.CVryAO0nR58RXuU6SC.m92gc19j02qKqdm8ek!", data.MessageId);
        Assert.Equal(new ChatTarget(ChatType.Person, "E4F4AEA33253A2797FB897C50B81D7ED"), data.Chat);
        Assert.Equal("E4F4AEA33253A2797FB897C50B81D7ED", data.Sender.Id);
        Assert.Equal(new DateTimeOffset(2023, 11, 6, 13, 37, 18, TimeSpan.FromHours(8)), Assert.IsType<SourceComponent>(data.Chain[0]).Time);
        Assert.Equal("123", Assert.IsType<PlainComponent>(data.Chain[1]).Text);
        var image = Assert.IsType<ImageComponent>(data.Chain[2]);
        Assert.Equal("https://multimedia.nt.qq.com.cn/download?appid=1407&fileid=xxx", image.Url);
        Assert.Equal("image/png", image.MimeType);
        Assert.Equal(data.MessageId, result.ReplyId);
        Assert.False(result.ReplyIdIsEventId);
    }

    [Fact]
    public void Normalize_GroupAtMessage_LeadingSpaceStrippedAndGroupMember()
    {
        var result = Normalize("""
            {"op":0,"s":6,"t":"GROUP_AT_MESSAGE_CREATE","id":"GROUP_AT_MESSAGE_CREATE:def456",
             "d":{"author":{"member_openid":"E4F4AEA33253A2797FB897C50B81D7ED"},"content":" 123",
                  "group_openid":"C9F778FE6ADF9D1D1DBE395BF744A33A",
                  "id":"ROBOT1.0_eBIyWnxpmSu6uLQ7u7fU0eGloKGYg4eEa737vRyKnMCgyZjKi7JLYkQ9B0VapbiY",
                  "timestamp":"2023-11-06T13:37:18+08:00"}}
            """);

        var data = Message(result);
        Assert.Equal(new ChatTarget(ChatType.Group, "C9F778FE6ADF9D1D1DBE395BF744A33A"), data.Chat);
        Assert.Equal("C9F778FE6ADF9D1D1DBE395BF744A33A", data.Group!.Id);
        Assert.Equal("E4F4AEA33253A2797FB897C50B81D7ED", data.Member!.User.Id);
        Assert.Equal("123", data.PlainText);
    }

    [Fact]
    public void Normalize_GuildAtMessage_BotMentionStrippedOtherMentionKept()
    {
        var result = Normalize("""
            {"op":0,"s":9,"t":"AT_MESSAGE_CREATE","id":"AT_MESSAGE_CREATE:x1",
             "d":{"author":{"avatar":"http://thirdqq.qlogo.cn/0","bot":false,"id":"1234","username":"abc"},
                  "channel_id":"100010","content":"<@!6158788878435714165> ask <@!555> please","guild_id":"18700000000001","id":"0812345677890abcdef",
                  "member":{"joined_at":"2021-04-12T16:34:42+08:00","roles":["1"],"nick":"Abby"},
                  "mentions":[{"id":"6158788878435714165","username":"bot","bot":true},{"id":"555","username":"Carol","bot":false}],
                  "timestamp":"2021-05-20T15:14:58+08:00","seq":7,"seq_in_channel":"7"}}
            """, botUserId: "6158788878435714165");

        var data = Message(result);
        Assert.Equal(new ChatTarget(ChatType.Group, "channel:100010"), data.Chat);
        Assert.Equal(new User("1234", "abc", "http://thirdqq.qlogo.cn/0", false), data.Sender);
        Assert.Equal("Abby", data.Member!.Nickname);
        Assert.Collection(
            data.Chain.Skip(1),
            c => Assert.Equal("ask ", Assert.IsType<PlainComponent>(c).Text),
            c => Assert.Equal(new AtComponent("555", "@Carol"), c),
            c => Assert.Equal(" please", Assert.IsType<PlainComponent>(c).Text));
    }

    [Fact]
    public void Normalize_GuildMentionWithoutKnownBotId_UsesTheBotFlagOfMentions()
    {
        var result = Normalize("""
            {"op":0,"s":9,"t":"AT_MESSAGE_CREATE","id":"AT_MESSAGE_CREATE:x2",
             "d":{"author":{"id":"1234","username":"abc"},"channel_id":"100010","content":"<@!42> hello","guild_id":"1","id":"m2",
                  "mentions":[{"id":"42","username":"bot","bot":true}],"timestamp":"2021-05-20T15:14:58+08:00"}}
            """);

        Assert.Equal(["hello"], Message(result).Chain.OfType<PlainComponent>().Select(p => p.Text));
    }

    [Fact]
    public void Normalize_DirectMessage_PersonChatKeyedByGuild()
    {
        var result = Normalize("""
            {"op":0,"s":7,"t":"DIRECT_MESSAGE_CREATE","id":"DIRECT_MESSAGE_CREATE:ghi789",
             "d":{"author":{"avatar":"http://thirdqq.qlogo.cn/0","bot":false,"id":"1234","username":"abc"},
                  "channel_id":"100010","content":"ndnnd","guild_id":"18700000000001","id":"0812345677890abcdef",
                  "member":{"joined_at":"2021-04-12T16:34:42+08:00","roles":["1"]},"timestamp":"2021-05-20T15:14:58+08:00",
                  "direct_message":true,"src_guild_id":"18700000000000"}}
            """);

        var data = Message(result);
        Assert.Equal(new ChatTarget(ChatType.Person, "dm:18700000000001"), data.Chat);
        Assert.Equal("ndnnd", data.PlainText);
    }

    [Fact]
    public void Normalize_Attachments_VoiceVideoAndFileKeepNamesAndTranscript()
    {
        var result = Normalize("""
            {"op":0,"s":5,"t":"C2C_MESSAGE_CREATE","id":"E1",
             "d":{"author":{"user_openid":"U1"},"content":"","id":"M1","timestamp":"2023-11-06T13:37:18+08:00",
                  "attachments":[
                    {"content_type":"voice","filename":"v.silk","url":"//media.qq.com/v.silk","voice_wav_url":"media.qq.com/v.wav","asr_refer_text":"你好"},
                    {"content_type":"video/mp4","filename":"clip.mp4","url":"https://media.qq.com/clip","size":2048},
                    {"content_type":"file","filename":"report 2024.pdf","url":"//media.qq.com/f?id=1","size":99}]}}
            """);

        var chain = Message(result).Chain;
        var voice = Assert.IsType<VoiceComponent>(chain[1]);
        Assert.Equal("https://media.qq.com/v.wav", voice.Url);
        Assert.Equal("audio/wav", voice.MimeType);
        Assert.Equal("你好", voice.Transcript);
        var video = Assert.IsType<FileComponent>(chain[2]);
        Assert.Equal(("clip.mp4", "video/mp4", 2048L), (video.Name, video.MimeType, video.Size!.Value));
        var file = Assert.IsType<FileComponent>(chain[3]);
        Assert.Equal(("report 2024.pdf", "https://media.qq.com/f?id=1", 99L), (file.Name, file.Url, file.Size!.Value));
        Assert.DoesNotContain(chain, c => c is PlainComponent);
    }

    [Fact]
    public void Normalize_QuoteReply_QuoteWithQuotedTextAndAttachmentNames()
    {
        var result = Normalize("""
            {"op":0,"s":5,"t":"GROUP_AT_MESSAGE_CREATE","id":"E2",
             "d":{"author":{"member_openid":"U1"},"content":" what is this?","group_openid":"G1","id":"M2","timestamp":"2023-11-06T13:37:18+08:00",
                  "message_type":103,"message_reference":{"message_id":"QUOTED1"},
                  "msg_elements":[{"content":"see attached","attachments":[{"content_type":"file","filename":"spec.docx","url":"media.qq.com/spec"}]}]}}
            """);

        var chain = Message(result).Chain;
        var quote = Assert.IsType<QuoteComponent>(chain[1]);
        Assert.Equal("QUOTED1", quote.MessageId);
        Assert.Equal("see attached", Assert.IsType<PlainComponent>(quote.Chain![0]).Text);
        var file = Assert.IsType<FileComponent>(quote.Chain[1]);
        Assert.Equal(("spec.docx", "https://media.qq.com/spec"), (file.Name, file.Url));
        Assert.Equal("what is this?", Assert.IsType<PlainComponent>(chain[2]).Text);
    }

    [Fact]
    public void Normalize_Interaction_PlatformEventKeyedToEventId()
    {
        var result = Normalize("""
            {"op":0,"s":8,"t":"INTERACTION_CREATE","id":"INTERACTION_CREATE:evt-1",
             "d":{"application_id":"102056411","chat_type":2,"scene":"c2c","user_openid":"E4F4AEA33253A2797FB897C50B81D7ED",
                  "data":{"resolved":{"button_data":"回调按钮","button_id":"21","user_id":"E4F4AEA33253A2797FB897C50B81D7ED"},"type":11},
                  "id":"30540ff7-9d8f-4737-83f1-e116ce6afa8b","type":11,"version":1,"timestamp":"2024-01-01T00:00:00+08:00"}}
            """);

        Assert.Equal("platform.qqbot.interaction", result.Type);
        Assert.Equal("30540ff7-9d8f-4737-83f1-e116ce6afa8b", result.Data.GetProperty("interactionId").GetString());
        Assert.Equal("INTERACTION_CREATE:evt-1", result.Data.GetProperty("messageId").GetString());
        Assert.Equal("回调按钮", result.Data.GetProperty("buttonData").GetString());
        Assert.Equal("21", result.Data.GetProperty("buttonId").GetString());
        Assert.Equal(new ChatTarget(ChatType.Person, "E4F4AEA33253A2797FB897C50B81D7ED"), result.Data.GetProperty("chat").Deserialize(ContractsJsonContext.Default.ChatTarget));
        Assert.Equal(("INTERACTION_CREATE:evt-1", true), (result.ReplyId, result.ReplyIdIsEventId));
    }

    [Theory]
    [InlineData("FRIEND_ADD", """{"timestamp":1700000000,"openid":"U9"}""", EventTypes.FriendAdded)]
    [InlineData("FRIEND_DEL", """{"timestamp":1700000000,"openid":"U9"}""", EventTypes.FriendRemoved)]
    [InlineData("GROUP_ADD_ROBOT", """{"timestamp":1700000000,"group_openid":"G9","op_member_openid":"U9"}""", EventTypes.BotInvitedToGroup)]
    [InlineData("GROUP_DEL_ROBOT", """{"timestamp":1700000000,"group_openid":"G9","op_member_openid":"U9"}""", EventTypes.BotRemovedFromGroup)]
    [InlineData("C2C_MSG_REJECT", """{"timestamp":1700000000,"openid":"U9"}""", "platform.qqbot.c2c_msg_reject")]
    [InlineData("MESSAGE_AUDIT_PASS", """{"audit_id":"a1","message_id":"m1"}""", "platform.qqbot.message_audit_pass")]
    public void Normalize_OtherEvents_CommonOrPlatformTypes(string qqEvent, string d, string expected)
    {
        var result = Normalize($$"""{"op":0,"s":3,"t":"{{qqEvent}}","id":"{{qqEvent}}:e1","d":{{d}}}""");

        Assert.Equal(expected, result.Type);
        if (qqEvent == "GROUP_ADD_ROBOT")
        {
            Assert.Equal("G9", result.Data.GetProperty("group").GetProperty("id").GetString());
            Assert.Equal("U9", result.Data.GetProperty("operator").GetProperty("id").GetString());
            Assert.Equal(("GROUP_ADD_ROBOT:e1", true), (result.ReplyId, result.ReplyIdIsEventId));
        }
        else if (qqEvent == "FRIEND_ADD")
        {
            Assert.Equal("U9", result.Data.GetProperty("user").GetProperty("id").GetString());
            Assert.Equal(new DateTimeOffset(2023, 11, 14, 22, 13, 20, TimeSpan.Zero), result.Time);
        }
        else if (expected.StartsWith("platform.", StringComparison.Ordinal))
        {
            Assert.Equal(JsonDocument.Parse(d).RootElement.GetRawText(), result.Data.GetRawText());
        }
    }

    [Theory]
    [InlineData("//a.qq.com/x", "https://a.qq.com/x")]
    [InlineData("a.qq.com/x", "https://a.qq.com/x")]
    [InlineData("http://a.qq.com/x", "http://a.qq.com/x")]
    [InlineData("https://a.qq.com/x", "https://a.qq.com/x")]
    public void FixUrl_SchemelessOrProtocolRelative_GetsHttps(string url, string expected)
        => Assert.Equal(expected, InboundNormalizer.FixUrl(url));

    private static NormalizedEvent Normalize(string frame, string? botUserId = null)
    {
        var parsed = GatewayFrame.Parse(System.Text.Encoding.UTF8.GetBytes(frame))!;
        return InboundNormalizer.Normalize(new GatewayDispatch(parsed.S ?? 0, parsed.T!, parsed.Id, parsed.D, parsed.Raw), botUserId, Now);
    }

    private static MessageEventData Message(NormalizedEvent result)
        => result.Data.Deserialize(ContractsJsonContext.Default.MessageEventData)!;
}
