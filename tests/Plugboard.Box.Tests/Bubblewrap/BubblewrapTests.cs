using System.Diagnostics;
using System.Text;
using Plugboard.Box.Contracts;
using Plugboard.Box.Tests.Docker;
using Plugboard.Box.Tests.Infrastructure;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Box.Tests.Bubblewrap;

/// <summary>Functional and adversarial tests against real bubblewrap jails with the Box's cgroups and rlimits.</summary>
[Collection(BubblewrapCollection.Name)]
public sealed class BubblewrapTests(BubblewrapBoxFixture fixture)
{
    private BoxClient Client => fixture.Client;

    [Fact]
    public async Task Exec_ShellCommand_RunsInAJailWithItsWorkspace()
    {
        var session = DockerBoxFixture.NewSessionId("bw-exec");
        var result = await Client.ExecAsync(new BoxExecParams { SessionId = session, Command = "cat; echo $GREETING; pwd; echo err >&2; exit 4", Stdin = "in\n"u8.ToArray(), Env = new Dictionary<string, string> { ["GREETING"] = "hi" } });
        Assert.Equal(4, result.ExitCode);
        Assert.Equal("in\nhi\n/workspace\n", result.Stdout);
        Assert.Equal("err\n", result.Stderr);

        await Client.ShAsync(session, "echo kept > /workspace/f; echo tmp > /tmp/t");
        Assert.Equal("kept\ntmp\n", (await Client.ShAsync(session, "cat /workspace/f /tmp/t")).Stdout);
        var info = await Client.GetSessionAsync(session);
        Assert.Equal(BoxBackendNames.Bubblewrap, info.Backend);
        Assert.Equal("host", info.Image);
        await Client.DeleteSessionAsync(session);
    }

    [Fact]
    public async Task Exec_InsideJail_RunsLockedDown()
    {
        var session = DockerBoxFixture.NewSessionId("bw-hard");
        var result = await Client.ShAsync(session, """
            id -u
            grep -E '^(CapEff|CapBnd|NoNewPrivs):' /proc/self/status | tr -s '\t ' ' '
            tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '
            ls /proc | grep -c '^[0-9]'
            touch /usr/x 2>/dev/null && echo usr-writable
            cat /etc/shadow 2>/dev/null && echo shadow-readable
            ls /root /home 2>/dev/null && echo home-visible
            ls /var/run/docker.sock 2>/dev/null && echo socket-visible
            unshare -U true 2>/dev/null && echo userns-worked
            echo end
            """);

        var lines = result.Stdout.Split('\n');
        Assert.Equal("1000", lines[0]);
        Assert.Contains("CapEff: 0000000000000000", result.Stdout);
        Assert.Contains("NoNewPrivs: 1", result.Stdout);
        Assert.Contains("CapBnd: 0000000000000000", result.Stdout);
        Assert.Equal("lo", lines[4]);
        Assert.True(int.Parse(lines[5], System.Globalization.CultureInfo.InvariantCulture) < 8, "the jail sees host processes: " + lines[5]);
        Assert.EndsWith("end\n", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("writable", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("readable", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("visible", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("worked", result.Stdout, StringComparison.Ordinal);
        await Client.DeleteSessionAsync(session);
    }

    [Fact]
    public async Task Exec_TimeoutEvasion_LeavesNoSurvivorsOnTheHost()
    {
        var session = DockerBoxFixture.NewSessionId("bw-evade");
        var marker = "99" + Random.Shared.Next(1000, 9999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var result = await Client.ShAsync(session, $"""
            trap '' TERM INT HUP
            setsid sh -c 'trap "" TERM; sleep {marker}1' &
            (sh -c 'sleep {marker}2 &' &)
            nohup sleep {marker}3 >/dev/null 2>&1 &
            echo started
            sleep {marker}0
            """, timeoutSeconds: 2);

        Assert.Equal(BoxExecStatus.TimedOut, result.Status);
        Assert.Equal("started\n", result.Stdout);
        Assert.InRange(result.DurationMs, 1900, 10_000);
        await Task.Delay(500);
        Assert.Empty(HostProcessesMatching("sleep " + marker));
        await Client.DeleteSessionAsync(session);
        await Client.AssertResponsiveAsync();
    }

    [Fact]
    public async Task Exec_ForkBomb_IsCappedByThePidsCgroup()
    {
        var session = DockerBoxFixture.NewSessionId("bw-fork");
        var spec = new BoxSessionSpec { SessionId = session, Limits = new BoxResourceLimits { PidsLimit = 32 } };
        var result = await Client.ShAsync(session, "f(){ f|f & }; f; sleep 3; echo survived", timeoutSeconds: 20, session: spec);

        Assert.Contains("fork", result.Stderr + result.Stdout, StringComparison.OrdinalIgnoreCase);
        await Client.DeleteSessionAsync(session);
        await Client.AssertResponsiveAsync();
    }

    [Fact]
    public async Task Exec_MemoryBomb_IsKilled()
    {
        var session = DockerBoxFixture.NewSessionId("bw-mem");
        var spec = new BoxSessionSpec { SessionId = session, Limits = new BoxResourceLimits { MemoryMb = 64 } };
        var result = await Client.ShAsync(session, "x=$(head -c 300m /dev/zero | tr '\\0' a); echo exit=$?", timeoutSeconds: 60, session: spec);
        Assert.True(result.ExitCode == 137 || result.Stdout.Contains("exit=137", StringComparison.Ordinal), $"exit {result.ExitCode}: {result.Stdout} {result.Stderr}");
        Assert.Equal("ok\n", (await Client.ShAsync(session, "echo ok")).Stdout);
        await Client.DeleteSessionAsync(session);
    }

    [Fact]
    public async Task Exec_DiskFill_StopsAtTheWorkspaceMountSize()
    {
        var session = DockerBoxFixture.NewSessionId("bw-fill");
        var spec = new BoxSessionSpec { SessionId = session, Limits = new BoxResourceLimits { WorkspaceQuotaMb = 16, TmpSizeMb = 8, MaxFileSizeMb = 128 } };
        var result = await Client.ShAsync(session, """
            dd if=/dev/zero of=/workspace/fill bs=1M count=100 2>&1 | grep -o 'No space left on device'
            du -m /workspace/fill | cut -f1
            """, session: spec);

        Assert.StartsWith("No space left on device\n", result.Stdout, StringComparison.Ordinal);
        Assert.InRange(int.Parse(result.Stdout.Split('\n')[1], System.Globalization.CultureInfo.InvariantCulture), 1, 24);
        await Client.DeleteSessionAsync(session);
    }

    [Fact]
    public async Task Exec_FileSizeOpenFilesAndNetwork_AreLimited()
    {
        var session = DockerBoxFixture.NewSessionId("bw-limits");
        var spec = new BoxSessionSpec { SessionId = session, Limits = new BoxResourceLimits { MaxFileSizeMb = 2, MaxOpenFiles = 64 } };
        var result = await Client.ShAsync(session, """
            dd if=/dev/zero of=/workspace/big bs=1M count=10 2>&1 | tail -n 1
            cd /tmp; for i in $(seq 1 100); do : > f$i; done
            paste $(ls f*) > /dev/null
            ulimit -n
            (exec 3<>/dev/tcp/1.1.1.1/80) 2>&1 || true
            getent hosts example.com || echo no-dns
            """, session: spec);

        Assert.Matches("File too large|File size limit exceeded", result.Stdout + result.Stderr);
        Assert.Contains("Too many open files", result.Stderr + result.Stdout);
        Assert.Contains("64\n", result.Stdout);
        Assert.Contains("no-dns", result.Stdout);
        await Client.DeleteSessionAsync(session);
    }

    [Fact]
    public async Task Exec_OutputFlood_IsTruncatedAndKilled()
    {
        var session = DockerBoxFixture.NewSessionId("bw-flood");
        var result = await Client.ExecAsync(new BoxExecParams { SessionId = session, Command = "yes", TimeoutSeconds = 60 });
        Assert.Equal(BoxExecStatus.OutputLimitExceeded, result.Status);
        Assert.True(result.StdoutTruncated);
        Assert.True(result.Stdout.Length < 70_000);
        await Client.DeleteSessionAsync(session);
    }

    [Fact]
    public async Task Exec_OtherSessionsAndHostFiles_AreInvisible()
    {
        var first = DockerBoxFixture.NewSessionId("bw-iso-a");
        var second = DockerBoxFixture.NewSessionId("bw-iso-b");
        await Client.ShAsync(first, "echo top-secret > /workspace/secret-a");
        var probe = await Client.ShAsync(second, $"""
            find / -xdev -name secret-a 2>/dev/null
            grep -rl top-secret /workspace /tmp 2>/dev/null
            ls {fixture.Box.DataDirectory} 2>&1 | head -n 1
            """);

        Assert.DoesNotContain("secret-a", probe.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("top-secret", probe.Stdout, StringComparison.Ordinal);
        Assert.Contains("No such file or directory", probe.Stdout, StringComparison.Ordinal);
        await Client.DeleteSessionAsync(first);
        await Client.DeleteSessionAsync(second);
    }

    [Fact]
    public async Task CreateSession_SymlinkMount_IsRejected()
    {
        var link = Path.Combine(fixture.MountRoot, "etc-" + Guid.NewGuid().ToString("N")[..6]);
        File.CreateSymbolicLink(link, "/etc");
        await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxMountRejected, () => Client.CreateSessionAsync(new BoxSessionSpec
        {
            SessionId = DockerBoxFixture.NewSessionId("bw-link"),
            ExtraMounts = [new BoxMount(link, "/mnt/etc")],
        }));
    }

    [Fact]
    public async Task ExtraMount_IsReadOnlyAndVisible()
    {
        var folder = Path.Combine(fixture.MountRoot, "in-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "a.txt"), "from host\n");
        var session = DockerBoxFixture.NewSessionId("bw-mount");
        var result = await Client.ShAsync(session, "cat /mnt/in/a.txt; touch /mnt/in/b 2>/dev/null || echo refused", session: new BoxSessionSpec { SessionId = session, ExtraMounts = [new BoxMount(folder, "/mnt/in")] });
        Assert.Equal("from host\nrefused\n", result.Stdout);
        await Client.DeleteSessionAsync(session);
    }

    [Fact]
    public async Task Files_PlantedSymlinks_AreRefused()
    {
        var session = DockerBoxFixture.NewSessionId("bw-files");
        await Client.WriteFileAsync(new BoxFileWriteParams(session, "a/b.txt", Encoding.UTF8.GetBytes("content")));
        Assert.Equal("content", Encoding.UTF8.GetString((await Client.ReadFileAsync(new BoxFileReadParams(session, "a/b.txt"))).Content));
        await Client.ShAsync(session, "ln -s /etc/passwd /workspace/link; ln -s /etc /workspace/etc");
        await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxFileAccessDenied, () => Client.ReadFileAsync(new BoxFileReadParams(session, "link")));
        await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxFileAccessDenied, () => Client.ReadFileAsync(new BoxFileReadParams(session, "etc/passwd")));
        await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxFileAccessDenied, () => Client.WriteFileAsync(new BoxFileWriteParams(session, "link", "x"u8.ToArray())));
        await Client.DeleteSessionAsync(session);
    }

    [Fact]
    public async Task Relay_EchoProcess_RelaysStdinAndStdout()
    {
        var session = DockerBoxFixture.NewSessionId("bw-relay");
        var info = await Client.StartProcessAsync(new BoxProcessStartParams { SessionId = session, ProcessId = "echo", Argv = ["cat"] });
        using (var socket = await DockerRelayTests.ConnectAsync(info.AttachUrl!, info.AttachToken))
        {
            await DockerRelayTests.SendAsync(socket, "through the jail\n");
            Assert.Equal("through the jail\n", await DockerRelayTests.ReceiveTextAsync(socket, "through the jail\n".Length));
        }

        var refused = await Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() => DockerRelayTests.ConnectAsync(info.AttachUrl!, null));
        Assert.Contains("401", refused.Message, StringComparison.Ordinal);
        Assert.Equal(BoxProcessStatus.Exited, (await Client.StopProcessAsync(session, "echo")).Status);
        await Client.DeleteSessionAsync(session);
    }

    private static List<string> HostProcessesMatching(string text)
    {
        var found = new List<string>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains(text, StringComparison.Ordinal) && !cmdline.Contains("trap", StringComparison.Ordinal))
                {
                    found.Add($"{Path.GetFileName(directory)}: {cmdline}");
                }
            }
            catch (IOException)
            {
            }
        }

        _ = Process.GetCurrentProcess();
        return found;
    }
}
