using Plugboard.Runtime.Box;
using Plugboard.Runtime.Hosting;

namespace Plugboard.Runtime.Tests.Box;

public sealed class BoxOptionsTests
{
    [Fact]
    public void Validate_BoxDisabled_AddsNothing()
    {
        var options = new PlugboardOptions();
        options.Box.SessionTemplate = "{nonsense}";
        Assert.DoesNotContain(options.Validate(), e => e.StartsWith("Box", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_RemoteBoxWithoutToken_NamesEachSetting()
    {
        var options = new PlugboardOptions();
        options.Box.Enabled = true;
        options.Box.Endpoint = new Uri("http://box:5410/rpc");
        options.Box.Backend = "podman";
        options.Box.SessionTemplate = "{room}";
        options.Box.ReconnectMaxDelay = TimeSpan.Zero;

        var errors = options.Validate();
        Assert.Contains(errors, e => e.StartsWith("Box:Endpoint must be a ws://", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Box:Token is required", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Box:Backend", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Box:SessionTemplate", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Box:ReconnectInitialDelay", StringComparison.Ordinal));
    }

    [Fact]
    public void Defaults_AreDocumentedValues()
    {
        var box = new PlugboardBoxOptions();
        Assert.False(box.Enabled);
        Assert.Equal("auto", box.Backend);
        Assert.Equal(BoxSessionTemplates.PerChat, box.SessionTemplate);
        Assert.Equal(TimeSpan.FromSeconds(20), box.HeartbeatInterval);
    }

    [Theory]
    [InlineData("**/*.cs", "src/a/b.cs", true)]
    [InlineData("**/*.cs", "b.cs", true)]
    [InlineData("*.cs", "src/b.cs", false)]
    [InlineData("src/*.py", "src/app.py", true)]
    [InlineData("src/?.py", "src/ab.py", false)]
    [InlineData("[ab].txt", "a.txt", true)]
    [InlineData("[!ab].txt", "a.txt", false)]
    [InlineData("a.b", "axb", false)]
    public void GlobToRegex_MatchesLikeAShellGlob(string glob, string path, bool expected)
        => Assert.Equal(expected, BoxNativeTools.GlobToRegex(glob).IsMatch(path));
}
