using Plugboard.Runtime.Plugins;

namespace Plugboard.Runtime.Tests.Plugins;

public sealed class SemanticVersionTests
{
    [Fact]
    public void CompareTo_SemverSpecExample_OrdersByPrecedence()
    {
        string[] ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0", "10.0.0"];

        var shuffled = ordered.Reverse().Select(SemanticVersion.Parse).Order().Select(v => v.ToString());

        Assert.Equal(ordered, shuffled);
    }

    [Fact]
    public void Equals_IgnoresBuildMetadata()
    {
        var a = SemanticVersion.Parse("1.2.3+build.1");
        var b = SemanticVersion.Parse("1.2.3+build.2");

        Assert.Equal(a, b);
        Assert.True(a == b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.Equal("1.2.3+build.1", a.ToString());
        Assert.True(SemanticVersion.Parse("1.2.3-rc.1") < a);
    }

    [Theory]
    [InlineData("1.0", "expected MAJOR.MINOR.PATCH")]
    [InlineData("1.0.0.0", "expected MAJOR.MINOR.PATCH")]
    [InlineData("01.0.0", "leading zero")]
    [InlineData("1.0.0-01", "leading zero")]
    [InlineData("1.0.0-", "empty")]
    [InlineData("1.0.0+", "empty")]
    [InlineData("1.0.0-a..b", "empty identifier")]
    [InlineData("v1.0.0", "not a number")]
    [InlineData("1.0.0-béta", "ASCII")]
    [InlineData("99999999999999999999.0.0", "too large")]
    [InlineData("", "empty")]
    public void TryParse_Invalid_ExplainsWhy(string text, string problem)
    {
        Assert.False(SemanticVersion.TryParse(text, out var version, out var why));
        Assert.Null(version);
        Assert.Contains(problem, why, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => SemanticVersion.Parse(text));
    }

    [Theory]
    [InlineData("0.0.0")]
    [InlineData("1.2.3-alpha.1+exp.sha.5114f85")]
    [InlineData("1.0.0-0A.is.legal")]
    [InlineData("1.0.0+0001")]
    public void Parse_Valid_RoundTrips(string text)
    {
        Assert.Equal(text, SemanticVersion.Parse(text).ToString());
    }
}
