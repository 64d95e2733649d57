using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text.Json;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Sdk.Tests.Infrastructure;

namespace Plugboard.Sdk.Tests;

/// <summary>The SDK's features, seen from the runtime side of a real C# plugin process built on it.</summary>
public sealed class EchoSampleTests
{
    private const int SIGTERM = 15;

    [Fact]
    public async Task Initialize_TypedTools_DeclareSchemasGeneratedFromTheirArgumentTypes()
    {
        await using var plugin = await PluginProcess.StartInitializedAsync(SamplePlugin.Echo);

        var slow = Assert.Single(plugin.Handshake!.Capabilities.Tools!, t => t.Name == "slow");
        Assert.Equal("Waits for the given time, honouring cancellation.", slow.Description);
        var schema = slow.Parameters!.Value;
        Assert.Equal("object", schema.GetProperty("type").GetString());
        var milliseconds = schema.GetProperty("properties").GetProperty("milliseconds");
        Assert.Equal("integer", milliseconds.GetProperty("type").GetString());
        Assert.Equal("How long to wait, in milliseconds.", milliseconds.GetProperty("description").GetString());
        Assert.Equal(["milliseconds"], schema.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        var hello = Assert.Single(plugin.Handshake.Capabilities.Commands!);
        Assert.Equal(("hello", "hello [name]"), (hello.Name, hello.Usage));
        Assert.Equal(["hi"], hello.Aliases!);
    }

    [Fact]
    public async Task Initialize_ManifestMatchesTheCode_LogsNoManifestWarnings()
    {
        await using var plugin = await PluginProcess.StartInitializedAsync(SamplePlugin.Echo);
        await plugin.InvokeAsync<JsonElement>(PluginMethods.Ping, Empty.Instance);

        Assert.DoesNotContain(plugin.StderrLines, l => l.Contains("plugin.json check", StringComparison.Ordinal));
    }

    [Fact]
    public async Task EventDispatch_EveryEvent_ReachesTheCounterListenerResolvedFromDi()
    {
        await using var plugin = await PluginProcess.StartInitializedAsync(SamplePlugin.Echo);

        await plugin.DispatchAsync("counter", "group.member_joined", new { user = "ada" });
        var result = await plugin.DispatchAsync("counter", "message.received", new { text = "hi" });
        var seen = await plugin.InvokeToolAsync("events_seen", new { });

        Assert.False(result.StopPropagation);
        Assert.Null(result.Result);
        Assert.Equal(2, seen.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task EventDispatch_UnknownListener_FailsWithInvalidParamsNamingTheListeners()
    {
        await using var plugin = await PluginProcess.StartInitializedAsync(SamplePlugin.Echo);

        var error = await Assert.ThrowsAsync<JsonRpcException>(() => plugin.DispatchAsync("nobody", "message.received", new { }));

        Assert.Equal(JsonRpcErrorCodes.InvalidParams, error.Code);
        Assert.Contains("'nobody'", error.Message, StringComparison.Ordinal);
        Assert.Contains("reply", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ToolInvoke_ProgressWithToken_ReportsEveryStepBeforeTheResult()
    {
        await using var plugin = await PluginProcess.StartInitializedAsync(SamplePlugin.Echo);
        var reports = new Reports<JsonElement>();
        using var registration = plugin.Connection.RegisterProgress(reports);

        var result = await plugin.InvokeToolAsync("progress", new { count = 4 }, registration.Token);

        Assert.Equal(4, result.GetProperty("count").GetInt32());
        Assert.Equal([1, 2, 3, 4], reports.Values.Select(v => v.GetProperty("step").GetInt32()));
        Assert.All(reports.Values, v => Assert.Equal(4, v.GetProperty("total").GetInt32()));
    }

    [Fact]
    public async Task ToolInvoke_SlowToolCancelledByTheCaller_CancellationReachesThePlugin()
    {
        await using var plugin = await PluginProcess.StartInitializedAsync(SamplePlugin.Echo);
        using var cancellation = new CancellationTokenSource();

        var call = plugin.InvokeToolAsync("slow", new { milliseconds = 600_000 }, cancellationToken: cancellation.Token);
        await plugin.WaitForStderrAsync(l => l.Contains("slow: waiting 600000 ms", StringComparison.Ordinal));
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await plugin.WaitForStderrAsync(l => l.Contains("slow: cancelled", StringComparison.Ordinal));
        var cancelled = await plugin.InvokeToolAsync("cancelled_count", new { });
        Assert.Equal(1, cancelled.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task ToolInvoke_MissingRequiredArgument_FailsWithToolArgumentsInvalid()
    {
        await using var plugin = await PluginProcess.StartInitializedAsync(SamplePlugin.Echo);

        var error = await Assert.ThrowsAsync<JsonRpcException>(() => plugin.InvokeToolAsync("echo", new { }));

        Assert.Equal(PlugboardErrorCodes.ToolArgumentsInvalid, error.Code);
        Assert.Contains("'echo'", error.Message, StringComparison.Ordinal);
        Assert.Contains("text", error.Message, StringComparison.Ordinal);
        Assert.Equal("echo", error.Data!.Value.GetProperty("tool").GetString());
    }

    [Fact]
    public async Task ToolInvoke_ArgumentOfTheWrongType_FailsWithToolArgumentsInvalidAndThePath()
    {
        await using var plugin = await PluginProcess.StartInitializedAsync(SamplePlugin.Echo);

        var error = await Assert.ThrowsAsync<JsonRpcException>(() => plugin.InvokeToolAsync("slow", new { milliseconds = "soon" }));

        Assert.Equal(PlugboardErrorCodes.ToolArgumentsInvalid, error.Code);
        Assert.Equal("$.milliseconds", error.Data!.Value.GetProperty("path").GetString());
    }

    [Fact]
    public async Task ToolInvoke_RememberThenRecall_RoundTripsThroughRuntimeStorage()
    {
        await using var plugin = await PluginProcess.StartInitializedAsync(SamplePlugin.Echo);

        var remembered = await plugin.InvokeToolAsync("remember", new { key = "colour", value = "teal" });
        var recalled = await plugin.InvokeToolAsync("recall", new { key = "colour" });
        var missing = await plugin.InvokeToolAsync("recall", new { key = "size" });

        Assert.Equal(JsonValueKind.Number, remembered.GetProperty("version").ValueKind);
        Assert.Equal("teal", plugin.Api.Storage[(StorageScopes.Plugin, "colour")].Value.GetString());
        Assert.True(recalled.GetProperty("found").GetBoolean());
        Assert.Equal("teal", recalled.GetProperty("value").GetString());
        Assert.False(missing.GetProperty("found").GetBoolean());
    }

    [Fact]
    public async Task ToolInvoke_Greet_ReadsTypedConfigFromTheRuntime()
    {
        await using var plugin = await PluginProcess.StartInitializedAsync(SamplePlugin.Echo);

        var result = await plugin.InvokeToolAsync("greet", new { name = "Ada" });

        Assert.Equal("Howdy, Ada!", result.GetProperty("text").GetString());
    }

    [Fact]
    public async Task CommandExecute_HelloWithProgressToken_StreamsThreeLines()
    {
        await using var plugin = await PluginProcess.StartInitializedAsync(SamplePlugin.Echo);
        var chunks = new Reports<string>();
        using var registration = plugin.Connection.RegisterProgress(chunks);

        var result = await plugin.InvokeAsync<CommandExecuteResult>(PluginMethods.CommandExecute, new CommandExecuteParams("hello", ["Ada"], registration.Token));

        Assert.Equal(0, result.ExitCode);
        Assert.Null(result.Output);
        Assert.Equal(["Hello, Ada!\n", "This is the hello command of the echo sample.\n", "Goodbye.\n"], chunks.Values);
    }

    [Fact]
    public async Task CommandExecute_AliasWithoutProgressToken_ReturnsTheCollectedOutput()
    {
        await using var plugin = await PluginProcess.StartInitializedAsync(SamplePlugin.Echo);

        var result = await plugin.InvokeAsync<CommandExecuteResult>(PluginMethods.CommandExecute, new CommandExecuteParams("hi", []));

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("Hello, world!\nThis is the hello command of the echo sample.\nGoodbye.\n", result.Output);
    }

    [Fact]
    public async Task CommandExecute_UnknownCommand_FailsWithCommandNotFound()
    {
        await using var plugin = await PluginProcess.StartInitializedAsync(SamplePlugin.Echo);

        var error = await Assert.ThrowsAsync<JsonRpcException>(() => plugin.InvokeAsync<CommandExecuteResult>(PluginMethods.CommandExecute, new CommandExecuteParams("bye", [])));

        Assert.Equal(PlugboardErrorCodes.CommandNotFound, error.Code);
    }

    [Fact]
    public async Task ConsoleWriteLine_InAToolHandler_GoesToStderrAndNeverPollutesTheProtocol()
    {
        await using var plugin = await PluginProcess.StartInitializedAsync(SamplePlugin.Echo);

        await plugin.InvokeToolAsync("echo", new { text = "marker-4711" });
        await plugin.WaitForStderrAsync(l => l == "echo tool called with: marker-4711");
        var pong = await plugin.InvokeAsync<JsonElement>(PluginMethods.Ping, Empty.Instance);

        Assert.Equal(JsonValueKind.Object, pong.ValueKind);
        Assert.False(plugin.Connection.IsDisconnected);
    }

    [Fact]
    public async Task Stderr_SdkLogEntries_AreJsonLinesWithLevelCategoryAndMessage()
    {
        await using var plugin = await PluginProcess.StartInitializedAsync(SamplePlugin.Echo);
        await plugin.InvokeToolAsync("slow", new { milliseconds = 1 });

        var line = await plugin.WaitForStderrAsync(l => l.Contains("slow: waiting 1 ms", StringComparison.Ordinal));

        using var entry = JsonDocument.Parse(line);
        var root = entry.RootElement;
        Assert.Equal("Information", root.GetProperty("level").GetString());
        Assert.Equal("Plugboard.Samples.Echo.SlowTool", root.GetProperty("category").GetString());
        Assert.Equal("slow: waiting 1 ms", root.GetProperty("message").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("exception").ValueKind);
        Assert.Equal(TimeSpan.Zero, DateTimeOffset.Parse(root.GetProperty("timestamp").GetString()!, System.Globalization.CultureInfo.InvariantCulture).Offset);
        Assert.All(plugin.StderrLines.Where(l => l.StartsWith('{')), l => JsonDocument.Parse(l).Dispose());
    }

    [Fact]
    public async Task Shutdown_WhileAToolRuns_LetsItFinishThenExitsWithZero()
    {
        await using var plugin = await PluginProcess.StartInitializedAsync(SamplePlugin.Echo);
        var slow = plugin.InvokeToolAsync("slow", new { milliseconds = 500 });
        await plugin.WaitForStderrAsync(l => l.Contains("slow: waiting 500 ms", StringComparison.Ordinal));

        await plugin.InvokeAsync<JsonElement>(PluginMethods.Shutdown, Empty.Instance);
        var refused = await Assert.ThrowsAsync<JsonRpcException>(() => plugin.InvokeToolAsync("echo", new { text = "late" }));
        await plugin.Connection.NotifyAsync(PluginMethods.Exit, Empty.Instance);

        Assert.Equal(500, (await slow).GetProperty("milliseconds").GetInt32());
        Assert.Equal(JsonRpcErrorCodes.ShuttingDown, refused.Code);
        Assert.True(await plugin.WaitForExitAsync(PluginProcess.Generous), "the plugin did not exit after shutdown and exit");
        Assert.Equal(0, plugin.Process.ExitCode);
    }

    [Fact]
    public async Task Sigterm_WhileIdle_ShutsDownGracefullyWithZero()
    {
        await using var plugin = await PluginProcess.StartInitializedAsync(SamplePlugin.Echo);

        Assert.Equal(0, Kill(plugin.Process.Id, SIGTERM));

        Assert.True(await plugin.WaitForExitAsync(PluginProcess.Generous), "the plugin did not exit on SIGTERM");
        Assert.Equal(0, plugin.Process.ExitCode);
        await plugin.WaitForStderrAsync(l => l.Contains("Received SIGTERM", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ToolInvoke_Crash_ExitsTheProcessWithCodeThree()
    {
        await using var plugin = await PluginProcess.StartInitializedAsync(SamplePlugin.Echo);

        await Assert.ThrowsAsync<JsonRpcConnectionLostException>(() => plugin.InvokeToolAsync("crash", new { }));

        Assert.True(await plugin.WaitForExitAsync(PluginProcess.Generous));
        Assert.Equal(3, plugin.Process.ExitCode);
    }

    [Fact]
    public async Task ToolInvoke_Hang_LeavesPingsUnanswered()
    {
        await using var plugin = await PluginProcess.StartInitializedAsync(SamplePlugin.Echo);

        _ = plugin.InvokeToolAsync("hang", new { });
        await plugin.WaitForStderrAsync(l => l.StartsWith("hang: every thread pool thread is blocked", StringComparison.Ordinal));

        // The point is that no answer ever comes; two seconds stand for "never".
        await Assert.ThrowsAsync<TimeoutException>(() => plugin.Connection.InvokeAsync<JsonElement>(PluginMethods.Ping, Empty.Instance, TimeSpan.FromSeconds(2)));
        Assert.False(plugin.Process.HasExited);
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>Collects progress reports synchronously, in arrival order.</summary>
    private sealed class Reports<T> : IProgress<T>
    {
        private readonly ConcurrentQueue<T> _values = new();

        public IReadOnlyList<T> Values => [.. _values];

        public void Report(T value) => _values.Enqueue(value);
    }
}
