using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Plugboard.Runtime.Mcp;
using Plugboard.Runtime.Supervision;
using static Plugboard.Mcp.Tests.Infrastructure.McpRuntimeFixture;

namespace Plugboard.Mcp.Tests.Box;

/// <summary>Real MCP servers inside Box sessions: tools through the registry, large results, bursts of messages, cancellation, Box restarts.</summary>
public sealed class InBoxHostingTests(InBoxFixture fixture) : IClassFixture<InBoxFixture>
{
    private readonly InBoxFixture _fixture = fixture;

    private Runtime.PlugboardRuntime Runtime => _fixture.Runtime;

    [Fact]
    public async Task Everything_InBox_RunsInItsSessionAndServesTools()
    {
        var status = Runtime.GetMcpServer("everything");
        var session = await Runtime.BoxClient!.GetSessionAsync("mcp-everything");

        var result = await Runtime.InvokeToolAsync("mcp.everything.echo", Json("""{"message":"from the box"}"""));

        Assert.Equal(McpServerLocation.Box, status.Definition.Location);
        Assert.Null(status.ProcessId);
        Assert.Equal(1, session.Processes);
        Assert.Contains("from the box", Text(result), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Everything_InBox_ProgressForwarded()
    {
        var reports = new ConcurrentQueue<JsonElement>();

        await Runtime.InvokeToolAsync("mcp.everything.trigger-long-running-operation", Json("""{"duration":0.3,"steps":3}"""), new SyncProgress(reports.Enqueue));

        Assert.Equal([1.0, 2.0, 3.0], reports.Select(r => r.GetProperty("progress").GetDouble()));
    }

    [Fact]
    public async Task Filesystem_InBox_LargeFileArrivesWhole()
    {
        var expected = await File.ReadAllTextAsync(_fixture.LargeFile);

        var result = await Runtime.InvokeToolAsync("mcp.files.read_text_file", JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["path"] = _fixture.LargeFile }));

        Assert.Equal(expected, Text(result));
    }

    [Fact]
    public async Task Fixture_InBox_LargeResultThroughTheRelay()
    {
        const int bytes = 12 * 1024 * 1024;

        var text = Text(await Runtime.InvokeToolAsync("mcp.fixture.big", Json($$"""{"bytes":{{bytes}}}""")));

        Assert.Equal(bytes, text.Length);
        Assert.True(text.All(c => c == 'x'));
    }

    [Fact]
    public async Task Fixture_InBox_BurstOfSmallMessages_EachDeliveredInOrder()
    {
        // Hundreds of notifications written back to back: many arrive in one relay read.
        var reports = new ConcurrentQueue<JsonElement>();

        var result = await Runtime.InvokeToolAsync("mcp.fixture.progress", Json("""{"steps":500}"""), new SyncProgress(reports.Enqueue));

        Assert.Equal("done in 500 steps", Text(result));
        Assert.Equal(Enumerable.Range(1, 500).Select(i => (double)i), reports.Select(r => r.GetProperty("progress").GetDouble()));
    }

    [Fact]
    public async Task Fixture_InBox_CancelledCall_ServerSeesTheCancellation()
    {
        var before = await CancelledCountAsync();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cancel = new CancellationTokenSource();

        var call = Runtime.InvokeToolAsync("mcp.fixture.slow", Json("{}"), new SyncProgress(_ => started.TrySetResult()), cancellationToken: cancel.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        var after = before;
        await WaitForAsync(() => (after = CancelledCountAsync().GetAwaiter().GetResult()) > before, "the fixture in the Box to count the cancelled call");
        Assert.Equal(before + 1, after);
    }

    [Fact]
    public async Task BoxProcessDies_ServersRestartedInTheNewBox()
    {
        string[] servers = ["everything", "files", "fixture"];
        var box = BoxProcessOfThisTest();
        var restartsBefore = servers.ToDictionary(s => s, s => Runtime.GetMcpServer(s).RestartCount);

        box.Kill();

        foreach (var server in servers)
        {
            await WaitForAsync(() => Runtime.GetMcpServer(server).RestartCount > restartsBefore[server], $"{server} to notice the Box went away", 120);
            await WaitRunningAsync(Runtime, server, 180);
        }

        Assert.Equal("back", Text(await Runtime.InvokeToolAsync("mcp.fixture.echo", Json("""{"text":"back"}"""))));
        Assert.Equal(1, (await Runtime.BoxClient!.GetSessionAsync("mcp-fixture")).Processes);
        Assert.Equal(PluginState.Running, Runtime.GetMcpServer("files").State);
    }

    private async Task<int> CancelledCountAsync() => int.Parse(Text(await Runtime.InvokeToolAsync("mcp.fixture.cancelled_count", Json("{}"))), CultureInfo.InvariantCulture);

    /// <summary>The <c>plugboard-box</c> process this test's runtime spawned (a child of the test process).</summary>
    private static System.Diagnostics.Process BoxProcessOfThisTest()
    {
        var self = Environment.ProcessId;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                var commandLine = File.ReadAllText(Path.Combine(directory, "cmdline"));
                if (parent == self && commandLine.Contains("plugboard-box", StringComparison.Ordinal))
                {
                    return System.Diagnostics.Process.GetProcessById(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or FormatException)
            {
                // The process went away while we looked.
            }
        }

        throw new InvalidOperationException("The runtime's Box process (a child of the test process running plugboard-box) was not found.");
    }

    private sealed class SyncProgress(Action<JsonElement> onReport) : IProgress<JsonElement>
    {
        public void Report(JsonElement value) => onReport(value);
    }
}
