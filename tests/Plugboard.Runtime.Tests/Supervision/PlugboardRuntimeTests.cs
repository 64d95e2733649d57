using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Runtime.Dispatch;
using Plugboard.Runtime.Supervision;

namespace Plugboard.Runtime.Tests.Supervision;

/// <summary>The runtime against real plugin processes (a plain-Python plugin speaking the protocol by hand).</summary>
public sealed class PlugboardRuntimeTests : IAsyncLifetime
{
    private readonly PluginFixture _fixture = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _fixture.DisposeAsync();

    [Fact]
    public async Task StartAsync_PythonPlugin_HandshakesAndRunsWithDefaultConfig()
    {
        _fixture.AddPythonPlugin("test.alpha");
        var runtime = await _fixture.StartRuntimeAsync();

        await runtime.WaitUntilRunningAsync("test.alpha").WaitAsync(TimeSpan.FromSeconds(30));
        var status = runtime.GetPlugin("test.alpha");
        Assert.Equal(PluginState.Running, status.State);
        Assert.NotNull(status.ProcessId);
        var config = await runtime.InvokeToolAsync("test.alpha/config", PluginFixture.Json("{}"));
        Assert.Equal(10, config.GetProperty("priority").GetInt32());
    }

    [Fact]
    public async Task StartAsync_PluginEnvironment_ContainsOnlyAllowlistAndRuntimeVariables()
    {
        Environment.SetEnvironmentVariable("PLUGBOARD_TEST_HOST_SECRET", "hunter2");
        _fixture.AddPythonPlugin("test.env", env: new Dictionary<string, string> { ["FROM_MANIFEST"] = "yes" });
        var runtime = await _fixture.StartRuntimeAsync();
        await runtime.WaitUntilRunningAsync("test.env").WaitAsync(TimeSpan.FromSeconds(30));

        var names = (await runtime.InvokeToolAsync("env", PluginFixture.Json("{}"))).EnumerateArray().Select(e => e.GetString()).ToList();

        Assert.DoesNotContain("PLUGBOARD_TEST_HOST_SECRET", names);
        Assert.Contains("FROM_MANIFEST", names);
        Assert.Contains(PluginEnvironment.RuntimePid, names);
        Assert.Contains(PluginEnvironment.PluginId, names);
        Assert.Contains("PATH", names);
    }

    [Fact]
    public async Task StartAsync_VersionMismatch_FailsNamingBothVersions()
    {
        _fixture.AddPythonPlugin("test.oldproto", "version-mismatch");
        var runtime = await _fixture.StartRuntimeAsync();

        await PluginFixture.WaitForAsync(() => runtime.GetPlugin("test.oldproto").State == PluginState.Failed, "Failed");
        var error = runtime.GetPlugin("test.oldproto").LastError!;
        Assert.Contains("9.9", error, StringComparison.Ordinal);
        Assert.Contains(ProtocolVersions.Current, error, StringComparison.Ordinal);
        Assert.Equal(0, runtime.GetPlugin("test.oldproto").RestartCount);
    }

    [Fact]
    public async Task StartAsync_InvalidConfig_FailsWithoutStarting()
    {
        _fixture.AddPythonPlugin("test.needskey", extraConfigFields: """[{"name":"apiKey","type":"secret","required":true}]""");
        var runtime = await _fixture.StartRuntimeAsync();

        var status = runtime.GetPlugin("test.needskey");
        Assert.Equal(PluginState.Failed, status.State);
        Assert.Contains("apiKey", status.LastError, StringComparison.Ordinal);
        Assert.Contains("PluginConfig[test.needskey]", status.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DispatchEventAsync_TwoPlugins_RunsListenersByPriorityThenStableOrder()
    {
        _fixture.AddPythonPlugin("test.high");
        _fixture.AddPythonPlugin("test.low");
        var runtime = await _fixture.StartRuntimeAsync(o =>
        {
            o.PluginConfig["test.high"] = PluginFixture.Json("""{"priority":20}""");
            o.PluginConfig["test.low"] = PluginFixture.Json("""{"priority":10}""");
        });
        await runtime.WaitUntilRunningAsync("test.high").WaitAsync(TimeSpan.FromSeconds(30));
        await runtime.WaitUntilRunningAsync("test.low").WaitAsync(TimeSpan.FromSeconds(30));

        var outcome = await runtime.DispatchEventAsync(Event("message.received", """{"text":"hi"}"""));

        Assert.Equal(
            ["test.high/first", "test.low/first", "test.high/all", "test.low/all"],
            outcome.Listeners.Select(l => $"{l.PluginId}/{l.Listener}"));
        Assert.All(outcome.Listeners, l => Assert.Equal(ListenerStatus.Handled, l.Status));
        Assert.Null(outcome.StoppedBy);
    }

    [Fact]
    public async Task DispatchEventAsync_ListenerStopsPropagation_LowerListenersDoNotRun()
    {
        _fixture.AddPythonPlugin("test.high");
        _fixture.AddPythonPlugin("test.low");
        var runtime = await _fixture.StartRuntimeAsync(o => o.PluginConfig["test.high"] = PluginFixture.Json("""{"priority":20}"""));
        await runtime.WaitUntilRunningAsync("test.high").WaitAsync(TimeSpan.FromSeconds(30));
        await runtime.WaitUntilRunningAsync("test.low").WaitAsync(TimeSpan.FromSeconds(30));

        var outcome = await runtime.DispatchEventAsync(Event("message.received", """{"text":"stop here"}"""));

        Assert.Equal("test.high/first", outcome.StoppedBy);
        Assert.Single(outcome.Listeners);
    }

    [Fact]
    public async Task DispatchEventAsync_SlowListener_TimesOutAndOthersStillRun()
    {
        _fixture.AddPythonPlugin("test.slow");
        var runtime = await _fixture.StartRuntimeAsync(o => o.ListenerTimeout = TimeSpan.FromMilliseconds(700));
        await runtime.WaitUntilRunningAsync("test.slow").WaitAsync(TimeSpan.FromSeconds(30));

        var slow = runtime.DispatchEventAsync(Event("slow.thing", "{}"));
        var fast = await runtime.DispatchEventAsync(Event("message.received", """{"text":"hi"}""")).WaitAsync(TimeSpan.FromSeconds(20));
        var outcome = await slow.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(ListenerStatus.TimedOut, outcome.Listeners[0].Status);
        Assert.Equal("slowpoke", outcome.Listeners[0].Listener);
        Assert.Equal(ListenerStatus.Handled, outcome.Listeners[1].Status);
        Assert.All(fast.Listeners, l => Assert.Equal(ListenerStatus.Handled, l.Status));
    }

    [Fact]
    public async Task InvokeToolAsync_ArgumentsViolateSchema_RejectedBeforeDispatchWithPath()
    {
        _fixture.AddPythonPlugin("test.tools");
        var runtime = await _fixture.StartRuntimeAsync();
        await runtime.WaitUntilRunningAsync("test.tools").WaitAsync(TimeSpan.FromSeconds(30));

        var error = await Assert.ThrowsAsync<JsonRpcException>(() => runtime.InvokeToolAsync("test.tools/echo", PluginFixture.Json("""{"text":42}""")));

        Assert.Equal(PlugboardErrorCodes.ToolArgumentsInvalid, error.Code);
        Assert.Contains("text", error.Data!.Value.GetProperty("errors")[0].GetProperty("path").GetString(), StringComparison.Ordinal);
        var ok = await runtime.InvokeToolAsync("echo", PluginFixture.Json("""{"text":"hello"}"""));
        Assert.Equal("hello", ok.GetProperty("text").GetString());
    }

    [Fact]
    public async Task InvokeToolAsync_UnknownTool_ThrowsToolNotFound()
    {
        _fixture.AddPythonPlugin("test.tools");
        var runtime = await _fixture.StartRuntimeAsync();

        var error = await Assert.ThrowsAsync<JsonRpcException>(() => runtime.InvokeToolAsync("nope", PluginFixture.Json("{}")));

        Assert.Equal(PlugboardErrorCodes.ToolNotFound, error.Code);
    }

    [Fact]
    public async Task InvokeToolAsync_CallerCancels_CancellationReachesPlugin()
    {
        _fixture.AddPythonPlugin("test.cancel");
        var runtime = await _fixture.StartRuntimeAsync();
        await runtime.WaitUntilRunningAsync("test.cancel").WaitAsync(TimeSpan.FromSeconds(30));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runtime.InvokeToolAsync("slow", PluginFixture.Json("""{"milliseconds":30000}"""), cancellationToken: cts.Token));

        await PluginFixture.WaitForAsync(
            () => runtime.InvokeToolAsync("cancelled_count", PluginFixture.Json("{}")).GetAwaiter().GetResult().GetInt32() == 1,
            "the plugin to observe the cancellation");
    }

    [Fact]
    public async Task InvokeToolAsync_Timeout_ThrowsToolTimeoutAndCancelsOnPlugin()
    {
        _fixture.AddPythonPlugin("test.timeout");
        var runtime = await _fixture.StartRuntimeAsync();
        await runtime.WaitUntilRunningAsync("test.timeout").WaitAsync(TimeSpan.FromSeconds(30));

        var error = await Assert.ThrowsAsync<JsonRpcException>(() => runtime.InvokeToolAsync("slow", PluginFixture.Json("""{"milliseconds":30000}"""), timeout: TimeSpan.FromMilliseconds(300)));

        Assert.Equal(PlugboardErrorCodes.ToolTimeout, error.Code);
        await PluginFixture.WaitForAsync(
            () => runtime.InvokeToolAsync("cancelled_count", PluginFixture.Json("{}")).GetAwaiter().GetResult().GetInt32() == 1,
            "the plugin to observe the cancellation");
    }

    [Fact]
    public async Task ExecuteCommandAsync_StreamsOutputChunksBeforeResult()
    {
        _fixture.AddPythonPlugin("test.cmd");
        var runtime = await _fixture.StartRuntimeAsync();
        await runtime.WaitUntilRunningAsync("test.cmd").WaitAsync(TimeSpan.FromSeconds(30));
        var chunks = new ConcurrentQueue<string>();

        var result = await runtime.ExecuteCommandAsync("greet", [], new SyncProgress<string>(chunks.Enqueue));

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["line 1\n", "line 2\n", "line 3\n"], chunks);
    }

    [Fact]
    public async Task Supervisor_PluginKeepsCrashing_RestartsWithBackoffThenFailsWithStderr()
    {
        _fixture.AddPythonPlugin("test.crashy", "crash-after-init");
        var loggers = new CapturingLoggerFactory();
        var states = new ConcurrentQueue<PluginState>();
        var runtime = await _fixture.StartRuntimeAsync(o => o.Supervisor.CrashBudget = 3, loggers);
        runtime.PluginStateChanged += (_, e) => states.Enqueue(e.Current);

        await PluginFixture.WaitForAsync(() => runtime.GetPlugin("test.crashy").State == PluginState.Failed, "Failed", 60);

        var status = runtime.GetPlugin("test.crashy");
        Assert.Equal(2, status.RestartCount);
        Assert.Contains("crash budget", status.LastError, StringComparison.Ordinal);
        Assert.Contains(PluginState.Restarting, states);
        Assert.Contains(runtime.GetPluginLogs("test.crashy"), line => line.Contains("crashing on purpose", StringComparison.Ordinal));
        Assert.Contains(loggers.Entries, e => e.Category == "Plugboard.Plugin.test.crashy" && e.Level == LogLevel.Error && e.Message.Contains("crashing on purpose", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Supervisor_PluginCrashesOnStart_RestartsThenFails()
    {
        _fixture.AddPythonPlugin("test.nostart", "crash-on-start");
        var runtime = await _fixture.StartRuntimeAsync(o => o.Supervisor.CrashBudget = 2);

        await PluginFixture.WaitForAsync(() => runtime.GetPlugin("test.nostart").State == PluginState.Failed, "Failed", 60);

        Assert.Contains(runtime.GetPluginLogs("test.nostart"), line => line.Contains("crashing on start", StringComparison.Ordinal));
        var error = await Assert.ThrowsAsync<JsonRpcException>(() => runtime.WaitUntilRunningAsync("test.nostart"));
        Assert.Equal(PlugboardErrorCodes.PluginNotRunning, error.Code);
    }

    [Fact]
    public async Task Supervisor_PluginNeverAnswersInitialize_ReadyTimeoutRestarts()
    {
        _fixture.AddPythonPlugin("test.mute", "hang-on-start");
        var runtime = await _fixture.StartRuntimeAsync(o =>
        {
            o.Supervisor.ReadyTimeout = TimeSpan.FromMilliseconds(800);
            o.Supervisor.CrashBudget = 2;
        });

        await PluginFixture.WaitForAsync(() => runtime.GetPlugin("test.mute").State == PluginState.Failed, "Failed", 60);

        Assert.Contains("initialize", runtime.GetPlugin("test.mute").LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Supervisor_PluginHangs_BecomesUnresponsiveAndIsRestarted()
    {
        _fixture.AddPythonPlugin("test.hang");
        var states = new ConcurrentQueue<PluginState>();
        var runtime = await _fixture.StartRuntimeAsync();
        runtime.PluginStateChanged += (_, e) => states.Enqueue(e.Current);
        await runtime.WaitUntilRunningAsync("test.hang").WaitAsync(TimeSpan.FromSeconds(30));
        var firstPid = runtime.GetPlugin("test.hang").ProcessId;

        await runtime.InvokeToolAsync("hang", PluginFixture.Json("{}"));
        await PluginFixture.WaitForAsync(() => states.Contains(PluginState.Unresponsive), "Unresponsive");
        await PluginFixture.WaitForAsync(() => runtime.GetPlugin("test.hang") is { State: PluginState.Running } s && s.ProcessId != firstPid, "a new instance");

        var echo = await runtime.InvokeToolAsync("echo", PluginFixture.Json("""{"text":"back"}"""));
        Assert.Equal("back", echo.GetProperty("text").GetString());
    }

    [Fact]
    public async Task Supervisor_GarbageOnStdout_ReportedAsProtocolViolationAndRestarted()
    {
        _fixture.AddPythonPlugin("test.garbage", "garbage-stdout");
        var runtime = await _fixture.StartRuntimeAsync(o => o.Supervisor.CrashBudget = 2);

        await PluginFixture.WaitForAsync(() => runtime.GetPlugin("test.garbage").State == PluginState.Failed, "Failed", 60);

        Assert.Contains(nameof(DisconnectReason.ProtocolViolation), runtime.GetPlugin("test.garbage").LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Supervisor_PluginSendsOversizedMessage_StaysRunningAndKeepsServing()
    {
        _fixture.AddPythonPlugin("test.big", "oversized", new Dictionary<string, string> { ["OVERSIZE"] = "300000" });
        var loggers = new CapturingLoggerFactory();
        var runtime = await _fixture.StartRuntimeAsync(o => o.MaxMessageSize = 64 * 1024, loggers);
        await runtime.WaitUntilRunningAsync("test.big").WaitAsync(TimeSpan.FromSeconds(30));

        await PluginFixture.WaitForAsync(() => runtime.GetPluginLogs("test.big").Any(l => l.Contains("sent oversized", StringComparison.Ordinal)), "the oversized message");
        await PluginFixture.WaitForAsync(() => loggers.Entries.Any(e => e.Message.Contains("over the limit", StringComparison.Ordinal)), "the size-limit warning");

        var echo = await runtime.InvokeToolAsync("echo", PluginFixture.Json("""{"text":"still here"}"""));
        Assert.Equal("still here", echo.GetProperty("text").GetString());
        Assert.Equal(0, runtime.GetPlugin("test.big").RestartCount);
    }

    [Fact]
    public async Task PluginCrash_ToolCall_RestartsAndServesAgain()
    {
        _fixture.AddPythonPlugin("test.phoenix");
        var runtime = await _fixture.StartRuntimeAsync();
        await runtime.WaitUntilRunningAsync("test.phoenix").WaitAsync(TimeSpan.FromSeconds(30));

        await Assert.ThrowsAsync<JsonRpcException>(() => runtime.InvokeToolAsync("crash", PluginFixture.Json("{}")));
        await PluginFixture.WaitForAsync(() => runtime.GetPlugin("test.phoenix") is { State: PluginState.Running, RestartCount: 1 }, "the restart");

        var echo = await runtime.InvokeToolAsync("echo", PluginFixture.Json("""{"text":"again"}"""));
        Assert.Equal("again", echo.GetProperty("text").GetString());
    }

    [Fact]
    public async Task DisableAsync_PersistsAcrossRuntimeRestart()
    {
        _fixture.AddPythonPlugin("test.toggle");
        var runtime = await _fixture.StartRuntimeAsync();
        await runtime.WaitUntilRunningAsync("test.toggle").WaitAsync(TimeSpan.FromSeconds(30));

        await runtime.DisableAsync("test.toggle");
        Assert.Equal(PluginState.Disabled, runtime.GetPlugin("test.toggle").State);
        await runtime.StopAsync();

        var second = await _fixture.StartRuntimeAsync();
        Assert.Equal(PluginState.Disabled, second.GetPlugin("test.toggle").State);
        Assert.False(second.GetPlugin("test.toggle").Enabled);
        await second.EnableAsync("test.toggle");
        await second.WaitUntilRunningAsync("test.toggle").WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task StopAsync_RunningPlugins_ExitGracefully()
    {
        _fixture.AddPythonPlugin("test.graceful");
        var runtime = await _fixture.StartRuntimeAsync();
        await runtime.WaitUntilRunningAsync("test.graceful").WaitAsync(TimeSpan.FromSeconds(30));
        var pid = runtime.GetPlugin("test.graceful").ProcessId!.Value;

        await runtime.StopAsync().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(PluginState.Stopped, runtime.GetPlugin("test.graceful").State);
        Assert.False(ProcessExists(pid));
    }

    [Fact]
    public async Task StartAsync_BadManifest_SkippedAndLoggedWithPath()
    {
        var bad = Path.Combine(_fixture.PluginsDirectory, "bad");
        Directory.CreateDirectory(bad);
        await File.WriteAllTextAsync(Path.Combine(bad, "plugin.json"), """{"id":"Bad Id","version":"1"}""");
        _fixture.AddPythonPlugin("test.good");
        var loggers = new CapturingLoggerFactory();

        var runtime = await _fixture.StartRuntimeAsync(loggers: loggers);

        Assert.Equal(["test.good"], runtime.GetPlugins().Select(p => p.Id));
        Assert.Contains(loggers.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("$.version", StringComparison.Ordinal));
    }

    internal static bool ProcessExists(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static PluginEvent Event(string type, string data) => new(Guid.NewGuid().ToString("N"), type, DateTimeOffset.UtcNow, PluginFixture.Json(data));

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
