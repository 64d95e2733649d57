using Microsoft.Extensions.Logging.Abstractions;
using Plugboard.Box.Backends.Host;
using Plugboard.Box.Contracts;
using Plugboard.Box.Hosting;
using Plugboard.Box.Security;
using Plugboard.Box.Sessions;
using Plugboard.Box.Tests.Infrastructure;

namespace Plugboard.Box.Tests.Unit;

/// <summary>
/// nsjail is not packaged for Debian 12, so these machines cannot run it: the probe must say so plainly, and the
/// command line it would run is checked as text.
/// </summary>
public sealed class NsjailBackendTests
{
    [Fact]
    public async Task Probe_WithoutTheBinary_ReportsUnavailableNsjailBinaryNotFound()
    {
        var data = TestPaths.NewDirectory("nsjail");
        var backend = new NsjailBackend(new HostJailOptions { Binary = "nsjail" }, data, new BoxIdentity(data, null), new WorkspaceStore(data, NullLogger.Instance), NullLogger.Instance);
        var probe = await backend.ProbeAsync(CancellationToken.None);

        Assert.False(probe.Available, "nsjail unexpectedly exists on this machine; the nsjail backend would be used");
        Assert.Equal("unavailable: nsjail binary not found", probe.Reason);
    }

    [Fact]
    public void BuildJailArguments_SessionSpec_MapsLimitsMountsAndEnvironment()
    {
        var data = TestPaths.NewDirectory("nsjail-args");
        var options = new HostJailOptions { Binary = "nsjail", ReadOnlyBinds = ["/usr"] };
        var backend = new NsjailBackend(options, data, new BoxIdentity(data, null), new WorkspaceStore(data, NullLogger.Instance), NullLogger.Instance);
        var resolver = new SessionSpecResolver(new BoxProfileRegistry(new Dictionary<string, BoxProfileOptions>()), new MountValidator([], []));
        var spec = resolver.Resolve(new BoxSessionSpec { SessionId = "s1", Env = new Dictionary<string, string> { ["A"] = "1" }, Limits = new BoxResourceLimits { MaxOpenFiles = 100, MaxFileSizeMb = 5 } });
        var sandbox = new JailSandbox(spec, "s1-abc", "/state", new HostWorkspace("/ws", false, true, "tmpfs"), null);

        var arguments = backend.BuildJailArguments("/usr/bin/nsjail", sandbox, ["/bin/sh", "-c", "echo hi"], "/workspace/src", new Dictionary<string, string> { ["B"] = "2" });
        var line = string.Join(' ', arguments);

        Assert.Equal("/usr/bin/nsjail", arguments[0]);
        Assert.Contains("--mode o", line, StringComparison.Ordinal);
        Assert.Contains("--time_limit 0", line, StringComparison.Ordinal);
        Assert.Contains("--rlimit_nofile 100", line, StringComparison.Ordinal);
        Assert.Contains("--rlimit_fsize 5", line, StringComparison.Ordinal);
        Assert.Contains("--cwd /workspace/src", line, StringComparison.Ordinal);
        Assert.Contains("-R /usr", line, StringComparison.Ordinal);
        Assert.Contains("-B /ws/workspace:/workspace", line, StringComparison.Ordinal);
        Assert.Contains("-B /ws/tmp:/tmp", line, StringComparison.Ordinal);
        Assert.Contains("-E A=1", line, StringComparison.Ordinal);
        Assert.Contains("-E B=2", line, StringComparison.Ordinal);
        Assert.DoesNotContain("--disable_clone_newnet", line, StringComparison.Ordinal);
        Assert.Equal(["--", "/bin/sh", "-c", "echo hi"], arguments[^4..]);
    }
}
