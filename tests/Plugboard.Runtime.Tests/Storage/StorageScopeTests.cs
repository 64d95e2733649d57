using Plugboard.Runtime.Storage;

namespace Plugboard.Runtime.Tests.Storage;

public sealed class StorageScopeTests
{
    [Fact]
    public void ForPlugin_ValidId_HasPluginPrefixAndId()
    {
        var scope = StorageScope.ForPlugin("Plugboard.Plugins.Echo");

        Assert.Equal("plugin:Plugboard.Plugins.Echo", scope.Value);
        Assert.Equal("Plugboard.Plugins.Echo", scope.PluginId);
        Assert.Equal(scope.Value, scope.ToString());
    }

    [Fact]
    public void Of_SharedName_EqualsShared()
    {
        Assert.Equal(StorageScope.Shared, StorageScope.Of("shared"));
        Assert.True(StorageScope.Of("shared") == StorageScope.Shared);
        Assert.Null(StorageScope.Shared.PluginId);
    }

    [Fact]
    public void Equality_SameValue_EqualWithSameHashCode()
    {
        Assert.Equal(StorageScope.ForPlugin("a/b"), StorageScope.ForPlugin("a/b"));
        Assert.Equal(StorageScope.Of("bots").GetHashCode(), StorageScope.Of("bots").GetHashCode());
        Assert.NotEqual(StorageScope.Of("bots"), StorageScope.Of("Bots"));
        Assert.NotEqual(StorageScope.Of("bots"), StorageScope.ForPlugin("bots"));
        Assert.True(StorageScope.Of("bots") != StorageScope.ForPlugin("bots"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-leading-dash")]
    [InlineData(".hidden")]
    [InlineData("/abs")]
    [InlineData("has space")]
    [InlineData("colon:inside")]
    [InlineData("ünïcode")]
    [InlineData("back\\slash")]
    public void ForPluginAndOf_InvalidName_ThrowArgumentException(string name)
    {
        var plugin = Assert.Throws<ArgumentException>(() => StorageScope.ForPlugin(name));
        var named = Assert.Throws<ArgumentException>(() => StorageScope.Of(name));

        Assert.Equal("pluginId", plugin.ParamName);
        Assert.Equal("name", named.ParamName);
        Assert.Contains("plugin id", plugin.Message, StringComparison.Ordinal);
        Assert.Contains("scope name", named.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForPlugin_IdAtAndOverLengthLimit_AcceptedThenRejected()
    {
        StorageScope.ForPlugin(new string('a', StorageScope.MaxNameLength));

        var error = Assert.Throws<ArgumentException>(() => StorageScope.ForPlugin(new string('a', StorageScope.MaxNameLength + 1)));

        Assert.Contains("129 characters", error.Message, StringComparison.Ordinal);
        Assert.Contains("128", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForPluginAndOf_Null_ThrowArgumentNullException()
    {
        Assert.Throws<ArgumentNullException>(() => StorageScope.ForPlugin(null!));
        Assert.Throws<ArgumentNullException>(() => StorageScope.Of(null!));
    }
}
