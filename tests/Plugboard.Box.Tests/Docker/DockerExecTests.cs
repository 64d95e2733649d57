using System.Text;
using Plugboard.Box.Contracts;

namespace Plugboard.Box.Tests.Docker;

[Collection(DockerCollection.Name)]
public sealed class DockerExecTests(DockerBoxFixture fixture)
{
    private BoxClient Client => fixture.Client;

    [Fact]
    public async Task Exec_ShellCommand_ReturnsOutputAndExitCode()
    {
        var session = DockerBoxFixture.NewSessionId("exec");
        var result = await Client.ExecAsync(session, "echo hello; echo oops >&2; exit 3");

        Assert.Equal(BoxExecStatus.Completed, result.Status);
        Assert.Equal(3, result.ExitCode);
        Assert.Equal("hello\n", result.Stdout);
        Assert.Equal("oops\n", result.Stderr);
        await Client.DeleteSessionAsync(session);
    }

    [Fact]
    public async Task Exec_ArgvWithStdinAndEnv_RunsWithoutShell()
    {
        var session = DockerBoxFixture.NewSessionId("argv");
        var result = await Client.ExecAsync(new BoxExecParams
        {
            SessionId = session,
            Argv = ["/bin/sh", "-c", "tr a-z A-Z; echo $GREETING; pwd"],
            Stdin = Encoding.UTF8.GetBytes("from stdin\n"),
            Env = new Dictionary<string, string> { ["GREETING"] = "hi there" },
        });

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("FROM STDIN\nhi there\n/workspace\n", result.Stdout);
        await Client.DeleteSessionAsync(session);
    }

    [Fact]
    public async Task Exec_MissingWorkdirOrProgram_ReportsTheFailure()
    {
        var session = DockerBoxFixture.NewSessionId("missing");
        var workdir = await Client.ExecAsync(new BoxExecParams { SessionId = session, Command = "pwd", Workdir = "/no/such/dir" });
        Assert.NotEqual(0, workdir.ExitCode);
        Assert.Contains("/no/such/dir", workdir.Stdout + workdir.Stderr, StringComparison.Ordinal);

        var program = await Client.ExecAsync(new BoxExecParams { SessionId = session, Argv = ["/no/such/program"] });
        Assert.NotEqual(0, program.ExitCode);
        Assert.Contains("/no/such/program", program.Stdout + program.Stderr, StringComparison.Ordinal);
        Assert.Equal("still fine\n", (await Client.ExecAsync(session, "echo still fine")).Stdout);
        await Client.DeleteSessionAsync(session);
    }
}
