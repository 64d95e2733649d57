using Plugboard.Box.Contracts;

namespace Plugboard.Box.Tests.Docker;

/// <summary>
/// The adversarial suite against the real Docker engine: each test runs an attack inside a session and asserts the
/// expected containment, then that the Box still answers.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class DockerAttackTests(DockerBoxFixture fixture)
{
    private BoxClient Client => fixture.Client;

    [Fact]
    public async Task Exec_InsideSession_RunsLockedDown()
    {
        var session = DockerBoxFixture.NewSessionId("hardening");
        var result = await Client.ShAsync(session, """
            id -u; id -g
            grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status | tr -s '\t ' ' '
            tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '
            ulimit -n
            touch /usr/x 2>&1 || true
            ls -l /var/run/docker.sock 2>&1 || true
            """);

        var lines = result.Stdout.Split('\n');
        Assert.Equal("1000", lines[0]);
        Assert.Equal("1000", lines[1]);
        Assert.Contains("CapEff: 0000000000000000", result.Stdout);
        Assert.Contains("CapBnd: 0000000000000000", result.Stdout);
        Assert.Contains("NoNewPrivs: 1", result.Stdout);
        Assert.Contains("Seccomp: 2", result.Stdout);
        Assert.Equal("lo", lines[9]);
        Assert.Equal("1024", lines[10]);
        Assert.Contains("Read-only file system", result.Stdout);
        Assert.Contains("No such file or directory", result.Stdout);
        await Client.DeleteSessionAsync(session);
    }

    [Fact]
    public async Task Exec_TimeoutEvasion_KillsTrapSetsidAndDoubleFork()
    {
        var session = DockerBoxFixture.NewSessionId("evasion");
        var result = await Client.ShAsync(session, """
            trap '' TERM INT HUP
            setsid sh -c 'trap "" TERM; sleep 1001' &
            (sh -c 'sleep 1002 &' &)
            nohup sleep 1003 >/dev/null 2>&1 &
            echo started
            sleep 1000
            """, timeoutSeconds: 2);

        Assert.Equal(BoxExecStatus.TimedOut, result.Status);
        Assert.Equal(137, result.ExitCode);
        Assert.Equal("started\n", result.Stdout);
        Assert.InRange(result.DurationMs, 1900, 10_000);
        Assert.False(result.SessionRestarted);

        var survivors = await Client.ShAsync(session, "ps -o args | grep -c '[s]leep 100' || true");
        Assert.Equal("0\n", survivors.Stdout);
        await Client.DeleteSessionAsync(session);
        await Client.AssertResponsiveAsync();
    }

    [Fact]
    public async Task Exec_ForkBomb_IsCappedAndOtherSessionsStayResponsive()
    {
        var attacker = DockerBoxFixture.NewSessionId("forkbomb");
        var bystander = DockerBoxFixture.NewSessionId("bystander");
        await Client.ShAsync(bystander, "true");
        var spec = new BoxSessionSpec { SessionId = attacker, Limits = new BoxResourceLimits { PidsLimit = 64 } };
        var bomb = Client.ShAsync(attacker, "(for i in 1 2 3 4 5 6 7 8; do (while :; do sleep 100 & done) & done) 2>/dev/null & exec sleep 100", timeoutSeconds: 6, session: spec);

        await Task.Delay(2500);
        var during = await Client.ShAsync(bystander, "echo still-here");
        Assert.Equal("still-here\n", during.Stdout);

        var result = await bomb;
        Assert.True(result.Status == BoxExecStatus.TimedOut, $"{result.Status} {result.ExitCode}: {result.Stdout} {result.Stderr}");
        var after = await Client.ShAsync(attacker, "ps -o pid | wc -l");
        Assert.Equal(0, after.ExitCode);
        Assert.True(int.Parse(after.Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture) < 10, $"processes left: {after.Stdout}");
        await Client.DeleteSessionAsync(attacker);
        await Client.DeleteSessionAsync(bystander);
        await Client.AssertResponsiveAsync();
    }

    [Fact]
    public async Task Exec_ForkBombRecursive_HitsThePidsLimit()
    {
        var session = DockerBoxFixture.NewSessionId("forkbomb2");
        var spec = new BoxSessionSpec { SessionId = session, Limits = new BoxResourceLimits { PidsLimit = 32 } };
        var result = await Client.ShAsync(session, "f(){ f|f & }; f; sleep 2; echo survived", timeoutSeconds: 20, session: spec);

        Assert.Contains("can't fork", result.Stderr + result.Stdout, StringComparison.OrdinalIgnoreCase);
        var pids = await Client.ShAsync(session, "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max");
        Assert.Equal("32\n", pids.Stdout);
        await Client.DeleteSessionAsync(session);
        await Client.AssertResponsiveAsync();
    }

    [Fact]
    public async Task Exec_MemoryBomb_IsKilledAndSessionSurvives()
    {
        var session = DockerBoxFixture.NewSessionId("membomb");
        var spec = new BoxSessionSpec { SessionId = session, Limits = new BoxResourceLimits { MemoryMb = 64 } };
        var result = await Client.ShAsync(session, "x=$(head -c 300m /dev/zero | tr '\\0' a); echo exit=$?", timeoutSeconds: 60, session: spec);

        Assert.Equal(BoxExecStatus.Completed, result.Status);
        Assert.True(result.Stdout.Contains("exit=137", StringComparison.Ordinal) || result.ExitCode == 137, $"stdout {result.Stdout} exit {result.ExitCode}");
        var after = await Client.ShAsync(session, "echo ok");
        Assert.Equal("ok\n", after.Stdout);
        Assert.False(after.SessionRestarted);
        await Client.DeleteSessionAsync(session);
    }

    [Fact]
    public async Task Exec_DiskFill_StopsAtTmpfsAndWorkspaceQuota()
    {
        var session = DockerBoxFixture.NewSessionId("diskfill");
        var spec = new BoxSessionSpec { SessionId = session, Limits = new BoxResourceLimits { TmpSizeMb = 8, WorkspaceQuotaMb = 16, MemoryMb = 256 } };
        var result = await Client.ShAsync(session, """
            dd if=/dev/zero of=/tmp/fill bs=1M count=100 2>&1 | grep -o 'No space left on device'
            dd if=/dev/zero of=/workspace/fill bs=1M count=100 2>&1 | grep -o 'No space left on device'
            du -m /tmp/fill /workspace/fill
            """, session: spec);

        Assert.Equal(2, result.Stdout.Split("No space left on device").Length - 1);
        var sizes = result.Stdout.Split('\n').Where(l => l.Contains("fill", StringComparison.Ordinal)).Select(l => int.Parse(l.Split('\t')[0], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(2, sizes.Count);
        Assert.InRange(sizes[0], 1, 8);
        Assert.InRange(sizes[1], 1, 16);
        await Client.DeleteSessionAsync(session);
    }

    [Fact]
    public async Task Exec_FileSizeAndOpenFiles_HitTheirUlimits()
    {
        var session = DockerBoxFixture.NewSessionId("ulimits");
        var spec = new BoxSessionSpec { SessionId = session, Limits = new BoxResourceLimits { MaxFileSizeMb = 2, MaxOpenFiles = 64 } };
        var result = await Client.ShAsync(session, """
            dd if=/dev/zero of=/workspace/big bs=1M count=10 2>&1 | tail -n 1
            cd /tmp; for i in $(seq 1 100); do : > f$i; done
            paste $(ls f*) > /dev/null
            ulimit -n 100000 || echo raise-refused
            """, session: spec);

        Assert.Matches("File too large|File size limit exceeded", result.Stdout + result.Stderr);
        Assert.Contains("Too many open files", result.Stderr);
        Assert.Contains("raise-refused", result.Stdout);
        await Client.DeleteSessionAsync(session);
    }

    [Fact]
    public async Task Exec_NetworkEgress_IsUnreachable()
    {
        var session = DockerBoxFixture.NewSessionId("egress");
        var result = await Client.ShAsync(session, """
            nc -w 3 1.1.1.1 80 </dev/null 2>&1
            nc -w 3 169.254.169.254 80 </dev/null 2>&1
            tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '
            """);

        Assert.Equal(2, result.Stdout.Split("Network is unreachable").Length - 1);
        Assert.EndsWith("lo\n", result.Stdout, StringComparison.Ordinal);
        await Client.DeleteSessionAsync(session);
    }

    [Fact]
    public async Task Exec_WritesToRootfsProcSysAndMounts_AreRefused()
    {
        var session = DockerBoxFixture.NewSessionId("writes");
        var result = await Client.ShAsync(session, """
            touch /usr/x 2>/dev/null && echo usr-writable
            echo x >> /etc/passwd 2>/dev/null && echo etc-writable
            echo 1 > /proc/sys/kernel/sysrq 2>/dev/null && echo sysrq-writable
            echo b > /proc/sysrq-trigger 2>/dev/null && echo trigger-writable
            mount -t tmpfs none /mnt 2>/dev/null && echo mount-worked
            unshare -Ur id 2>/dev/null && echo userns-worked
            unshare -m true 2>/dev/null && echo mountns-worked
            nsenter -t 1 -m true 2>/dev/null && echo nsenter-worked
            cp /bin/busybox /tmp/bb 2>/dev/null && chmod u+s /tmp/bb && /tmp/bb true 2>/dev/null && echo tmp-exec-worked
            echo done
            """);

        Assert.Equal("done\n", result.Stdout);
        await Client.DeleteSessionAsync(session);
    }

    [Fact]
    public async Task Exec_OutputFlood_IsTruncatedAndKilled()
    {
        var session = DockerBoxFixture.NewSessionId("flood");
        var small = await Client.ExecAsync(new BoxExecParams { SessionId = session, Command = "head -c 200000 /dev/zero | tr '\\0' a; echo; echo end", MaxOutputBytes = 1000 });
        Assert.Equal(BoxExecStatus.Completed, small.Status);
        Assert.True(small.StdoutTruncated);
        Assert.Equal(200005, small.StdoutBytes);
        Assert.Contains("bytes truncated", small.Stdout, StringComparison.Ordinal);
        Assert.EndsWith("end\n", small.Stdout, StringComparison.Ordinal);
        Assert.True(small.Stdout.Length < 1200);

        var flood = await Client.ExecAsync(new BoxExecParams { SessionId = session, Command = "yes", TimeoutSeconds = 60 });
        Assert.Equal(BoxExecStatus.OutputLimitExceeded, flood.Status);
        Assert.True(flood.StdoutTruncated);
        Assert.True(flood.Stdout.Length < 70_000);
        Assert.True(flood.DurationMs < 30_000);
        var survivors = await Client.ShAsync(session, "ps -o args | grep -c '^[y]es' || true");
        Assert.Equal("0\n", survivors.Stdout);
        await Client.DeleteSessionAsync(session);
        await Client.AssertResponsiveAsync();
    }

    [Fact]
    public async Task Exec_KillEverything_OnlyHitsItsOwnSession()
    {
        var attacker = DockerBoxFixture.NewSessionId("killall");
        var victim = DockerBoxFixture.NewSessionId("victim");
        await Client.ShAsync(victim, "echo precious > /workspace/data");
        var process = await Client.StartProcessAsync(new BoxProcessStartParams { SessionId = victim, ProcessId = "server", Argv = ["sleep", "1000"] });

        var attack = await Client.ShAsync(attacker, "kill -9 -1; sleep 1; echo after");
        Assert.NotEqual(BoxExecStatus.OutputLimitExceeded, attack.Status);

        Assert.Equal(BoxProcessStatus.Running, (await Client.GetProcessAsync(victim, "server")).Status);
        Assert.Equal("precious\n", (await Client.ShAsync(victim, "cat /workspace/data")).Stdout);
        var next = await Client.ShAsync(attacker, "echo back");
        Assert.Equal("back\n", next.Stdout);
        Assert.True(next.SessionRestarted || attack.SessionRestarted || attack.ExitCode == 137);
        Assert.Equal(process.ProcessId, (await Client.StopProcessAsync(victim, "server")).ProcessId);
        await Client.DeleteSessionAsync(attacker);
        await Client.DeleteSessionAsync(victim);
    }

    [Fact]
    public async Task Exec_OtherSessionsFiles_AreInvisible()
    {
        var first = DockerBoxFixture.NewSessionId("iso-a");
        var second = DockerBoxFixture.NewSessionId("iso-b");
        await Client.ShAsync(first, "echo top-secret > /workspace/secret-a; sleep 300 & echo started");
        var probe = await Client.ShAsync(second, """
            find / -xdev -name 'secret-a' 2>/dev/null
            grep -rl top-secret /workspace /tmp 2>/dev/null
            ps -o args | grep -c '[s]leep 300' || true
            ls /proc | grep -c '^[0-9]' 
            """);

        Assert.DoesNotContain("secret-a", probe.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("top-secret", probe.Stdout, StringComparison.Ordinal);
        Assert.StartsWith("0\n", probe.Stdout, StringComparison.Ordinal);
        await Client.DeleteSessionAsync(first);
        await Client.DeleteSessionAsync(second);
    }

    [Fact]
    public async Task Exec_WorkdirUnderProc_IsRejected()
    {
        var session = DockerBoxFixture.NewSessionId("cwd");
        var error = await Infrastructure.BoxAssert.FailsWithAsync(Protocol.Contracts.PlugboardErrorCodes.BoxInvalidRequest, () => Client.ExecAsync(new BoxExecParams { SessionId = session, Command = "pwd", Workdir = "/proc/self/fd/7" }));
        Assert.Contains("/proc", error.Message, StringComparison.Ordinal);
        await Infrastructure.BoxAssert.FailsWithAsync(Protocol.Contracts.PlugboardErrorCodes.BoxInvalidRequest, () => Client.ExecAsync(new BoxExecParams { SessionId = session, Command = "pwd", Workdir = "relative/dir" }));
        await Infrastructure.BoxAssert.FailsWithAsync(Protocol.Contracts.PlugboardErrorCodes.BoxInvalidRequest, () => Client.ExecAsync(new BoxExecParams { SessionId = session, Command = "pwd", Workdir = "/workspace/../etc" }));
    }
}
