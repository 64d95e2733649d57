using Plugboard.Box.Contracts;
using Plugboard.Box.Tests.Infrastructure;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Box.Tests.Docker;

/// <summary>Hostile mount requests against the real engine: each must be refused before Docker is asked.</summary>
[Collection(DockerCollection.Name)]
public sealed class DockerMountTests(DockerBoxFixture fixture)
{
    private BoxClient Client => fixture.Client;

    public static TheoryData<string, string> HostilePaths => new()
    {
        { "/", "whole host" },
        { "/etc", "system folder" },
        { "/proc", "proc" },
        { "/sys/fs/cgroup", "under sys" },
        { "/var/run/docker.sock", "docker socket" },
        { "/run/docker.sock", "docker socket (real path)" },
        { "/root", "root home" },
        { "/boot", "boot" },
        { "/dev", "devices" },
        { "relative/path", "relative" },
        { "/tmp/../etc", "dot-dot" },
        { "/tmp/./x", "dot" },
        { "/tmp//x", "empty segment" },
        { "/etc\0/passwd", "NUL byte" },
    };

    [Theory]
    [MemberData(nameof(HostilePaths))]
    public async Task CreateSession_HostilePrimaryMount_IsRejected(string path, string why)
    {
        var session = DockerBoxFixture.NewSessionId("mnt");
        var error = await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxMountRejected, () => Client.CreateSessionAsync(new BoxSessionSpec { SessionId = session, WorkspaceHostPath = path }));
        Assert.False(string.IsNullOrEmpty(error.Message), why);
        Assert.DoesNotContain(await Client.ListSessionsAsync(), s => s.SessionId == session);
    }

    [Fact]
    public async Task CreateSession_ExtraMountThroughSymlink_IsRejected()
    {
        var link = Path.Combine(fixture.MountRoot, "etc-link-" + Guid.NewGuid().ToString("N")[..6]);
        File.CreateSymbolicLink(link, "/etc");
        var session = DockerBoxFixture.NewSessionId("symlink");

        var error = await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxMountRejected, () => Client.CreateSessionAsync(new BoxSessionSpec
        {
            SessionId = session,
            ExtraMounts = [new BoxMount(link, "/mnt/etc")],
        }));
        Assert.Contains("symlink", error.Message, StringComparison.Ordinal);

        // A symlink in a middle component is caught too.
        var linkedDir = Path.Combine(fixture.MountRoot, "dir-link-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateSymbolicLink(linkedDir, "/usr");
        await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxMountRejected, () => Client.CreateSessionAsync(new BoxSessionSpec
        {
            SessionId = session,
            ExtraMounts = [new BoxMount(linkedDir + "/share", "/mnt/share")],
        }));
    }

    [Fact]
    public async Task CreateSession_PathsOutsideTheAllowlistOrAboveTheBoxData_AreRejected()
    {
        var session = DockerBoxFixture.NewSessionId("allow");
        var outside = Directory.CreateTempSubdirectory("pbbox-outside-").FullName;
        var error = await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxMountRejected, () => Client.CreateSessionAsync(new BoxSessionSpec { SessionId = session, WorkspaceHostPath = outside }));
        Assert.Contains("allowed mount roots", error.Message, StringComparison.Ordinal);

        // The Box's own data folder (and anything containing it) is never mountable.
        await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxMountRejected, () => Client.CreateSessionAsync(new BoxSessionSpec { SessionId = session, WorkspaceHostPath = fixture.Box.DataDirectory }));
        await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxMountRejected, () => Client.CreateSessionAsync(new BoxSessionSpec { SessionId = session, WorkspaceHostPath = Path.GetDirectoryName(fixture.Box.DataDirectory)! }));
        Directory.Delete(outside);
    }

    [Fact]
    public async Task CreateSession_BadMountTargets_AreRejected()
    {
        var session = DockerBoxFixture.NewSessionId("target");
        foreach (var target in new[] { "/", "/proc/x", "/etc", "relative", "/workspace", "/a/../b" })
        {
            await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxInvalidRequest, () => Client.CreateSessionAsync(new BoxSessionSpec
            {
                SessionId = session,
                ExtraMounts = [new BoxMount(fixture.MountRoot, target)],
            }));
        }
    }

    [Fact]
    public async Task CreateSession_AllowedMount_IsReadOnlyByDefault()
    {
        var folder = Path.Combine(fixture.MountRoot, "data-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "input.txt"), "shared input\n");
        var session = DockerBoxFixture.NewSessionId("rom");

        var info = await Client.CreateSessionAsync(new BoxSessionSpec { SessionId = session, ExtraMounts = [new BoxMount(folder, "/mnt/data")] });
        Assert.Contains(info.Mounts, m => m.HostPath == folder && m.MountPath == "/mnt/data" && m.ReadOnly);
        var result = await Client.ShAsync(session, "cat /mnt/data/input.txt; echo x > /mnt/data/new 2>&1 || echo refused");
        Assert.Equal("shared input\n", result.Stdout.Split('\n')[0] + "\n");
        Assert.Contains("refused", result.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(folder, "new")));
        await Client.DeleteSessionAsync(session);
    }

    [Fact]
    public async Task CreateSession_OfflineReadOnlyProfile_LocksNetworkAndWritableMounts()
    {
        var session = DockerBoxFixture.NewSessionId("locked");
        var network = await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxProfileViolation, () => Client.CreateSessionAsync(new BoxSessionSpec { SessionId = session, Profile = BoxProfileNames.OfflineReadOnly, Network = BoxNetwork.On }));
        Assert.Contains("locks network", network.Message, StringComparison.Ordinal);
        await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxProfileViolation, () => Client.CreateSessionAsync(new BoxSessionSpec
        {
            SessionId = session,
            Profile = BoxProfileNames.OfflineReadOnly,
            ExtraMounts = [new BoxMount(fixture.MountRoot, "/mnt/rw", ReadOnly: false)],
        }));
        await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxProfileViolation, () => Client.CreateSessionAsync(new BoxSessionSpec
        {
            SessionId = session,
            Profile = BoxProfileNames.OfflineReadOnly,
            Limits = new BoxResourceLimits { MemoryMb = 100_000 },
        }));
    }
}
