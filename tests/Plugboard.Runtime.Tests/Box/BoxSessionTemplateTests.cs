using Plugboard.Runtime.Box;

namespace Plugboard.Runtime.Tests.Box;

public sealed class BoxSessionTemplateTests
{
    private static readonly BoxSessionContext Group = new("group", "123456", "user-789", "conv-1", "msg-42");

    [Theory]
    [InlineData(BoxSessionTemplates.PerChat, "group_123456")]
    [InlineData(BoxSessionTemplates.PerUserInChat, "group_123456_user-789")]
    [InlineData(BoxSessionTemplates.PerConversation, "group_123456_conv-1")]
    [InlineData(BoxSessionTemplates.PerMessage, "msg_msg-42")]
    [InlineData("{userId}", "user-789")]
    public void Resolve_BuiltInTemplates_ScopeTheSessionAsNamed(string template, string expected)
        => Assert.Equal(expected, BoxSessionTemplate.Resolve(template, Group));

    [Fact]
    public void Resolve_TwoUsersInOneChat_ShareOrSplitByTemplate()
    {
        var other = Group with { UserId = "user-1" };
        Assert.Equal(BoxSessionTemplate.Resolve(BoxSessionTemplates.PerChat, Group), BoxSessionTemplate.Resolve(BoxSessionTemplates.PerChat, other));
        Assert.NotEqual(BoxSessionTemplate.Resolve(BoxSessionTemplates.PerUserInChat, Group), BoxSessionTemplate.Resolve(BoxSessionTemplates.PerUserInChat, other));
    }

    [Fact]
    public void Resolve_MissingValue_IsAnErrorNotASharedUnknownSession()
    {
        var error = Assert.Throws<ArgumentException>(() => BoxSessionTemplate.Resolve(BoxSessionTemplates.PerUserInChat, Group with { UserId = null }));
        Assert.Contains("{userId}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_HostileOrLongValues_BecomeValidDistinctIds()
    {
        var hostile = BoxSessionTemplate.Resolve("{chatId}", Group with { ChatId = "../../etc passwd\n" });
        Assert.Matches("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", hostile);
        Assert.DoesNotContain('/', hostile);

        var longA = BoxSessionTemplate.Resolve("{chatId}", Group with { ChatId = new string('a', 100) + "1" });
        var longB = BoxSessionTemplate.Resolve("{chatId}", Group with { ChatId = new string('a', 100) + "2" });
        Assert.Equal(64, longA.Length);
        Assert.NotEqual(longA, longB);

        Assert.StartsWith("s", BoxSessionTemplate.Resolve("{chatId}", Group with { ChatId = "_x" }), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("{chat}", "unknown variable")]
    [InlineData("{chatId", "not closed")]
    [InlineData("chatId}", "no matching")]
    public void TryValidate_BadTemplates_SayWhy(string template, string problem)
    {
        Assert.False(BoxSessionTemplate.TryValidate(template, out var reason));
        Assert.Contains(problem, reason, StringComparison.Ordinal);
    }
}
