using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Plugboard.Mcp.Tests.Infrastructure;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Runtime.Mcp;
using Plugboard.Runtime.Supervision;
using static Plugboard.Mcp.Tests.Infrastructure.McpRuntimeFixture;

namespace Plugboard.Mcp.Tests.Hosting;

/// <summary>Hosted MCP servers are supervised like plugins: restart with backoff, crash budget, readiness, graceful stop.</summary>
public sealed class SupervisionTests : IAsyncLifetime
{
    private readonly McpRuntimeFixture _runtimes = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _runtimes.DisposeAsync();

    [Fact]
    public async Task CrashingServer_IsRestartedAndServesAgain()
    {
        var runtime = await _runtimes.StartRuntimeAsync();
        var first = await AddRunningAsync(runtime, FixtureServer());

        try
        {
            await runtime.InvokeToolAsync("mcp.fixture.crash", Json("{}"));
        }
        catch (JsonRpcException ex) when (ex.Code == PlugboardErrorCodes.McpServerNotRunning)
        {
            // The process may die before its answer is read.
        }

        await WaitForAsync(() => runtime.GetMcpServer("fixture").RestartCount >= 1, "the crashed server to be restarted");
        await WaitRunningAsync(runtime, "fixture");
        var status = runtime.GetMcpServer("fixture");
        Assert.NotEqual(first.ProcessId, status.ProcessId);
        Assert.Contains("exited", status.LastError, StringComparison.Ordinal);
        Assert.Contains(runtime.GetMcpServerLogs("fixture"), l => l.Contains("crashing as asked", StringComparison.Ordinal));
        Assert.Equal("after restart", Text(await runtime.InvokeToolAsync("mcp.fixture.echo", Json("""{"text":"after restart"}"""))));
    }

    [Fact]
    public async Task ServerExitingAtStart_FailsAfterCrashBudget()
    {
        var runtime = await _runtimes.StartRuntimeAsync(o => o.Supervisor.CrashBudget = 3);
        var states = new List<PluginState>();
        runtime.McpServerStateChanged += (_, e) =>
        {
            lock (states)
            {
                states.Add(e.Current);
            }
        };

        await runtime.AddMcpServerAsync(FixtureServer(mode: "exit-at-start"));

        await WaitForAsync(() => runtime.GetMcpServer("fixture").State == PluginState.Failed, "the server to fail");
        var status = runtime.GetMcpServer("fixture");
        Assert.Contains("crash budget", status.LastError, StringComparison.Ordinal);
        Assert.Equal(2, status.RestartCount);
        Assert.Contains(runtime.GetMcpServerLogs("fixture"), l => l.Contains("exiting at start", StringComparison.Ordinal));
        lock (states)
        {
            Assert.Contains(PluginState.Restarting, states);
        }

        Assert.DoesNotContain(runtime.GetTools(), t => t.PluginId == "mcp.fixture");
        var error = await Assert.ThrowsAsync<JsonRpcException>(() => runtime.WaitUntilMcpServerRunningAsync("fixture"));
        Assert.Equal(PlugboardErrorCodes.McpServerNotRunning, error.Code);
    }

    [Fact]
    public async Task SilentServer_ReadyTimeout_FailsWithHandshakeError()
    {
        var runtime = await _runtimes.StartRuntimeAsync(o =>
        {
            o.Supervisor.ReadyTimeout = TimeSpan.FromSeconds(2);
            o.Supervisor.CrashBudget = 1;
        });

        await runtime.AddMcpServerAsync(FixtureServer(mode: "silent"));

        await WaitForAsync(() => runtime.GetMcpServer("fixture").State == PluginState.Failed, "the silent server to fail");
        Assert.Contains("did not complete the MCP initialize handshake", runtime.GetMcpServer("fixture").LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GarbageOnStdout_ServerStillServes()
    {
        var runtime = await _runtimes.StartRuntimeAsync();

        await AddRunningAsync(runtime, FixtureServer(mode: "garbage"));

        Assert.Equal("ok", Text(await runtime.InvokeToolAsync("mcp.fixture.echo", Json("""{"text":"ok"}"""))));
    }

    [Fact]
    public async Task MissingCommand_FailsWithoutRestarting()
    {
        var runtime = await _runtimes.StartRuntimeAsync();

        await runtime.AddMcpServerAsync(new McpServerDefinition { Name = "ghost", Command = "/nonexistent/mcp-server", Location = McpServerLocation.Host });

        await WaitForAsync(() => runtime.GetMcpServer("ghost").State == PluginState.Failed, "the server to fail");
        var status = runtime.GetMcpServer("ghost");
        Assert.Equal(0, status.RestartCount);
        Assert.Contains("on PATH", status.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BoxLocation_WithoutBox_FailsWithWhatToDo()
    {
        var runtime = await _runtimes.StartRuntimeAsync();

        await runtime.AddMcpServerAsync(Everything() with { Location = McpServerLocation.Box });

        await WaitForAsync(() => runtime.GetMcpServer("everything").State == PluginState.Failed, "the server to fail");
        var error = runtime.GetMcpServer("everything").LastError;
        Assert.Contains("Box", error, StringComparison.Ordinal);
        Assert.Contains("host", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StopAsync_HostedServer_ProcessEndsAndToolsLeave()
    {
        var runtime = await _runtimes.StartRuntimeAsync();
        var status = await AddRunningAsync(runtime, FixtureServer());
        var process = Process.GetProcessById(status.ProcessId!.Value);

        await runtime.StopAsync();

        Assert.True(process.HasExited);
        Assert.Equal(PluginState.Stopped, runtime.GetMcpServer("fixture").State);
        Assert.DoesNotContain(runtime.GetTools(), t => t.PluginId == "mcp.fixture");
    }

    [Fact]
    public async Task HttpServer_EverythingOverStreamableHttp_ToolsCallable()
    {
        var port = FreePort();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var server = new Process
        {
            StartInfo = new ProcessStartInfo(NodeServers.Node)
            {
                ArgumentList = { NodeServers.Everything, "streamableHttp" },
                Environment = { ["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            },
        };
        server.ErrorDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("listening on port", StringComparison.Ordinal) == true)
            {
                started.TrySetResult();
            }
        };
        server.Start();
        server.BeginErrorReadLine();
        server.BeginOutputReadLine();
        try
        {
            await started.Task.WaitAsync(TimeSpan.FromSeconds(60));
            var runtime = await _runtimes.StartRuntimeAsync();

            await AddRunningAsync(runtime, new McpServerDefinition
            {
                Name = "remote",
                Transport = McpTransportKind.Http,
                Url = $"http://127.0.0.1:{port}/mcp",
                Headers = new Dictionary<string, string> { ["X-Test"] = "secret-value" },
            });

            Assert.Contains("over http", Text(await runtime.InvokeToolAsync("mcp.remote.echo", Json("""{"message":"over http"}"""))), StringComparison.Ordinal);
            var status = runtime.GetMcpServer("remote");
            Assert.Null(status.ProcessId);
            Assert.Equal("***", status.Definition.Headers["X-Test"]);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
