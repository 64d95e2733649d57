using Plugboard.Box.Contracts;
using Plugboard.Box.Docker;
using Plugboard.Box.Tests.Infrastructure;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Box.Tests.Docker;

[Collection(DockerCollection.Name)]
public sealed class DockerSessionTests(DockerBoxFixture fixture)
{
    private BoxClient Client => fixture.Client;

    [Fact]
    public async Task CreateSession_SameIdCompatibleSpec_ReturnsTheSameSession()
    {
        var session = DockerBoxFixture.NewSessionId("same");
        var first = await Client.CreateSessionAsync(new BoxSessionSpec { SessionId = session, Limits = new BoxResourceLimits { MemoryMb = 128 } });
        var again = await Client.CreateSessionAsync(new BoxSessionSpec { SessionId = session });
        Assert.Equal(first.CreatedAt, again.CreatedAt);
        Assert.Equal(128, again.Limits.MemoryMb);
        Assert.Equal("plugboard/busybox:test", again.Image[..Math.Min(again.Image.Length, 22)]);

        var conflict = await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxSessionConflict, () => Client.CreateSessionAsync(new BoxSessionSpec { SessionId = session, Profile = BoxProfileNames.OfflineReadOnly }));
        Assert.Contains("profile", conflict.Message, StringComparison.Ordinal);
        await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxSessionConflict, () => Client.CreateSessionAsync(new BoxSessionSpec { SessionId = session, Limits = new BoxResourceLimits { MemoryMb = 256 } }));
        Assert.True((await Client.DeleteSessionAsync(session)).Deleted);
        Assert.False((await Client.DeleteSessionAsync(session)).Deleted);
        await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxSessionNotFound, () => Client.GetSessionAsync(session));
    }

    [Fact]
    public async Task CreateSession_ConcurrentCallsForOneId_CreateOneContainer()
    {
        var session = DockerBoxFixture.NewSessionId("race");
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Client.ShAsync(session, "hostname")));
        Assert.Single(results.Select(r => r.Stdout).Distinct());
        Assert.Single(await ContainersOfAsync(session));
        await Client.DeleteSessionAsync(session);
        Assert.Empty(await ContainersOfAsync(session));
    }

    [Fact]
    public async Task Reaper_IdleSessionPastItsTtl_IsRemovedWithItsContainer()
    {
        var session = DockerBoxFixture.NewSessionId("ttl");
        await Client.CreateSessionAsync(new BoxSessionSpec { SessionId = session, TtlSeconds = 2 });
        Assert.Single(await ContainersOfAsync(session));

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (((await Client.ListSessionsAsync()).Any(s => s.SessionId == session) || (await ContainersOfAsync(session)).Count > 0) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
        }

        Assert.DoesNotContain(await Client.ListSessionsAsync(), s => s.SessionId == session);
        Assert.Empty(await ContainersOfAsync(session));
    }

    [Fact]
    public async Task Reaper_SessionRunningACommand_IsNotRemoved()
    {
        var session = DockerBoxFixture.NewSessionId("busy");
        var result = await Client.ShAsync(session, "sleep 4; echo finished", session: new BoxSessionSpec { SessionId = session, TtlSeconds = 1 });
        Assert.Equal("finished\n", result.Stdout);
        await Client.DeleteSessionAsync(session);
    }

    [Fact]
    public async Task PersistentSession_KeepsItsWorkspaceAcrossDeletion()
    {
        var session = DockerBoxFixture.NewSessionId("persist");
        var spec = new BoxSessionSpec { SessionId = session, Persistent = true, Limits = new BoxResourceLimits { WorkspaceQuotaMb = 32 } };
        var info = await Client.CreateSessionAsync(spec);
        Assert.True(info.Persistent);
        Assert.Null(info.ExpiresAt);
        await Client.ShAsync(session, "echo kept > /workspace/state.txt");
        await Client.DeleteSessionAsync(session);

        var again = await Client.ShAsync(session, "cat /workspace/state.txt; dd if=/dev/zero of=/workspace/fill bs=1M count=100 2>&1 | grep -o 'No space left on device'", session: spec);
        Assert.Equal("kept\nNo space left on device\n", again.Stdout);
        await Client.DeleteSessionAsync(session);
    }

    [Fact]
    public async Task Status_ReportsBackendsProfilesAndTheUnavailableNsjail()
    {
        var status = await Client.StatusAsync();
        Assert.Equal(BoxBackendNames.Docker, status.Backend);
        Assert.Null(status.BackendReason);
        Assert.Contains(BoxProfileNames.NetworkExtended, status.Profiles);
        var nsjail = Assert.Single(status.Backends, b => b.Name == BoxBackendNames.Nsjail);
        Assert.False(nsjail.Available);
        Assert.Equal("unavailable: nsjail binary not found", nsjail.Reason);
        var docker = Assert.Single(status.Backends, b => b.Name == BoxBackendNames.Docker);
        Assert.True(docker.Selected);
        Assert.StartsWith("Docker 20.10", docker.Version, StringComparison.Ordinal);
        Assert.True((await Client.HealthAsync()).Healthy);
    }

    [Fact]
    public async Task Exec_InvalidInput_GetsClearErrors()
    {
        await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxInvalidRequest, () => Client.ShAsync("../escape", "true"));
        await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxInvalidRequest, () => Client.ExecAsync(new BoxExecParams { SessionId = "x1", Command = "a", Argv = ["b"] }));
        await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxInvalidRequest, () => Client.ExecAsync(new BoxExecParams { SessionId = "x1", Argv = [] }));
        await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxInvalidRequest, () => Client.ExecAsync(new BoxExecParams { SessionId = "x1", Command = "true", Env = new Dictionary<string, string> { ["1BAD"] = "x" } }));
        await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxProfileViolation, () => Client.ShAsync("x1", "true", timeoutSeconds: 100_000));
        await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxInvalidRequest, () => Client.CreateSessionAsync(new BoxSessionSpec { SessionId = "x1", Profile = "no-such-profile" }));
        await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxBackendError, () => Client.CreateSessionAsync(new BoxSessionSpec { SessionId = "x2", Image = "plugboard/no-such-image:1" }));
        var network = await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxBackendError, () => Client.CreateSessionAsync(new BoxSessionSpec { SessionId = "x3", Profile = BoxProfileNames.NetworkBasic }));
        Assert.Contains("network", network.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(await Client.ListSessionsAsync(), s => s.SessionId is "x1" or "x2" or "x3");
    }

    internal static async Task<List<ContainerSummary>> ContainersOfAsync(string session)
    {
        using var docker = new DockerEngineClient("/var/run/docker.sock");
        return await docker.ListContainersAsync([$"io.plugboard.box.session={session}"], CancellationToken.None);
    }
}

/// <summary>Tests that need a Box of their own (a session cap, a crash, a shutdown).</summary>
public sealed class DockerLifecycleTests
{
    private static readonly Dictionary<string, string> DockerOnly = new() { ["Backend"] = BoxBackendNames.Docker };

    [Fact]
    public async Task CreateSession_BeyondTheCap_IsRejectedClearly()
    {
        await using var box = await BoxProcess.StartAsync(new Dictionary<string, string>(DockerOnly) { ["MaxSessions"] = "2" });
        await box.Client.ShAsync("cap-1", "true");
        await box.Client.ShAsync("cap-2", "true");

        var error = await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxSessionLimitReached, () => box.Client.ShAsync("cap-3", "true"));
        Assert.Contains("maximum of 2 sessions", error.Message, StringComparison.Ordinal);
        await box.Client.DeleteSessionAsync("cap-1");
        Assert.Equal("ok\n", (await box.Client.ShAsync("cap-3", "echo ok")).Stdout);
    }

    [Fact]
    public async Task Shutdown_RemovesEverySessionContainer()
    {
        var box = await BoxProcess.StartAsync(DockerOnly);
        var session = DockerBoxFixture.NewSessionId("shutdown");
        await box.Client.ShAsync(session, "true");
        Assert.Single(await DockerSessionTests.ContainersOfAsync(session));
        await box.DisposeAsync();
        Assert.Empty(await DockerSessionTests.ContainersOfAsync(session));
    }

    [Fact]
    public async Task BoxCrash_OrphanedContainersAreRemovedByTheNextBox()
    {
        var dataDirectory = TestPaths.NewDirectory("crash");
        var crashed = await BoxProcess.StartAsync(DockerOnly, dataDirectory);
        var session = DockerBoxFixture.NewSessionId("orphan");
        await crashed.Client.ShAsync(session, "true");
        crashed.Crash();
        await crashed.DisposeAsync();
        Assert.Single(await DockerSessionTests.ContainersOfAsync(session));

        await using var next = await BoxProcess.StartAsync(DockerOnly, dataDirectory);
        Assert.Empty(await DockerSessionTests.ContainersOfAsync(session));
    }

    [Fact]
    public async Task StdinClosed_BoxCleansUpAndExits()
    {
        var box = await BoxProcess.StartAsync(DockerOnly);
        var session = DockerBoxFixture.NewSessionId("eof");
        await box.Client.ShAsync(session, "true");
        await box.Connection.DisposeAsync();
        Assert.True(box.WaitForExit(TimeSpan.FromSeconds(30)), "the Box did not exit after its client went away");
        Assert.Empty(await DockerSessionTests.ContainersOfAsync(session));
        await box.DisposeAsync();
    }

    [Fact]
    public async Task GvisorProfile_RunsUnderRunscOrSaysHowToRegisterIt()
    {
        await using var box = await BoxProcess.StartAsync(new Dictionary<string, string>(DockerOnly) { ["Profiles__gvisor__Runtime"] = "runsc" });
        using var docker = new DockerEngineClient("/var/run/docker.sock");
        var registered = (await docker.InfoAsync(CancellationToken.None)).Runtimes?.ContainsKey("runsc") == true;
        var spec = new BoxSessionSpec { SessionId = "gvisor", Profile = "gvisor" };
        if (registered)
        {
            var result = await box.Client.ShAsync("gvisor", "dmesg 2>/dev/null | head -n 1; id -u", session: spec);
            Assert.Contains("gVisor", result.Stdout, StringComparison.Ordinal);
        }
        else
        {
            var error = await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxBackendError, () => box.Client.CreateSessionAsync(spec));
            Assert.Contains("runsc", error.Message, StringComparison.Ordinal);
            Assert.Contains("daemon.json", error.Message, StringComparison.Ordinal);
            Assert.Empty(await DockerSessionTests.ContainersOfAsync("gvisor"));
        }
    }
}
