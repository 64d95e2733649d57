using Plugboard.Box.Contracts;
using Plugboard.Box.Hosting;
using Plugboard.Box.Security;
using Plugboard.Box.Sessions;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Box.Tests.Unit;

public sealed class SessionSpecResolverTests
{
    private readonly SessionSpecResolver _resolver = new(
        new BoxProfileRegistry(new Dictionary<string, BoxProfileOptions> { ["gvisor"] = new() { Runtime = "runsc", Locked = ["network", "image"] } }),
        new MountValidator([], []));

    [Fact]
    public void Resolve_DefaultProfile_FillsEveryLimit()
    {
        var spec = _resolver.Resolve(new BoxSessionSpec { SessionId = "a" });
        Assert.Equal(BoxProfileNames.Default, spec.Profile.Name);
        Assert.Equal(BoxNetwork.None, spec.Network);
        Assert.Equal(new EffectiveLimits(1, 512, 256, 64, 256, 1024, 256), spec.Limits);
        Assert.False(spec.Persistent);
    }

    [Fact]
    public void Resolve_ConfiguredProfile_OverlaysTheDefaultAndLocks()
    {
        var spec = _resolver.Resolve(new BoxSessionSpec { SessionId = "a", Profile = "gvisor" });
        Assert.Equal("runsc", spec.Profile.Runtime);
        Assert.Equal(BoxProfileNames.Default, _resolver.Resolve(new BoxSessionSpec { SessionId = "b" }).Profile.Name);
        Assert.Equal(PlugboardErrorCodes.BoxProfileViolation, Assert.Throws<JsonRpcException>(() => _resolver.Resolve(new BoxSessionSpec { SessionId = "a", Profile = "gvisor", Image = "other" })).Code);
    }

    [Fact]
    public void Resolve_LimitsAboveTheCeiling_AreRefused()
    {
        var error = Assert.Throws<JsonRpcException>(() => _resolver.Resolve(new BoxSessionSpec { SessionId = "a", Limits = new BoxResourceLimits { PidsLimit = 100_000 } }));
        Assert.Equal(PlugboardErrorCodes.BoxProfileViolation, error.Code);
        Assert.Contains("ceiling", error.Message, StringComparison.Ordinal);
        Assert.Throws<JsonRpcException>(() => _resolver.Resolve(new BoxSessionSpec { SessionId = "a", Limits = new BoxResourceLimits { Cpus = -1 } }));
        Assert.Throws<JsonRpcException>(() => _resolver.Resolve(new BoxSessionSpec { SessionId = "a", TtlSeconds = 10_000_000 }));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-lead")]
    [InlineData("has space")]
    [InlineData("../up")]
    [InlineData("x/y")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567890123456789")]
    public void ValidateSessionId_BadIds_AreRefused(string id)
        => Assert.Equal(PlugboardErrorCodes.BoxInvalidRequest, Assert.Throws<JsonRpcException>(() => SessionSpecResolver.ValidateSessionId(id)).Code);

    [Fact]
    public void Differences_ListOnlyFieldsTheRequestSets()
    {
        var existing = _resolver.Resolve(new BoxSessionSpec { SessionId = "a", Limits = new BoxResourceLimits { MemoryMb = 128 } });
        var same = new BoxSessionSpec { SessionId = "a" };
        Assert.Empty(SessionSpecResolver.Differences(existing, same, _resolver.Resolve(same)));
        var other = new BoxSessionSpec { SessionId = "a", Profile = BoxProfileNames.NetworkExtended, Limits = new BoxResourceLimits { MemoryMb = 256 } };
        Assert.Equal(["profile", "limits"], SessionSpecResolver.Differences(existing, other, _resolver.Resolve(other)));
    }
}
