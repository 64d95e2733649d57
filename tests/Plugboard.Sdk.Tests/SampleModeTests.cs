using System.Text.Json;
using Microsoft.Extensions.Logging;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Sdk.Tests.Infrastructure;

namespace Plugboard.Sdk.Tests;

/// <summary>The C# sample's misbehaviours (SAMPLE_MODE), which the runtime's supervisor tests rely on.</summary>
public sealed class SampleModeTests
{
    private static Dictionary<string, string?> Mode(string mode) => new() { ["SAMPLE_MODE"] = mode };

    [Fact]
    public async Task CrashOnStart_BeforeTheHandshake_ExitsWithCodeOne()
    {
        await using var plugin = PluginProcess.Start(SamplePlugin.Echo, Mode("crash-on-start"));

        await Assert.ThrowsAsync<JsonRpcConnectionLostException>(() => plugin.InitializeAsync());

        Assert.True(await plugin.WaitForExitAsync(PluginProcess.Generous));
        Assert.Equal(1, plugin.Process.ExitCode);
    }

    [Fact]
    public async Task HangOnStart_Initialize_IsNeverAnswered()
    {
        await using var plugin = PluginProcess.Start(SamplePlugin.Echo, Mode("hang-on-start"));
        var parameters = new InitializeParams(ProtocolVersions.Supported, new PeerInfo("tests", "1"), SamplePlugin.Echo.PluginId, JsonSerializer.SerializeToElement(new { }), null, null);

        // "Never" stands for two seconds here.
        await Assert.ThrowsAsync<TimeoutException>(() => plugin.Connection.InvokeAsync<InitializeResult>(PluginMethods.Initialize, parameters, TimeSpan.FromSeconds(2)));
        Assert.False(plugin.Process.HasExited);
    }

    [Fact]
    public async Task GarbageStdout_AfterTheHandshake_EndsTheConnectionWithAProtocolViolation()
    {
        await using var plugin = await PluginProcess.StartInitializedAsync(SamplePlugin.Echo, Mode("garbage-stdout"));

        // The garbage line sits in front of the next frame, so the next answer breaks the framing.
        await plugin.WaitForStderrAsync(l => l.StartsWith("garbage-stdout: wrote", StringComparison.Ordinal));
        _ = plugin.Connection.InvokeAsync<JsonElement>(PluginMethods.Ping, Empty.Instance).ContinueWith(t => t.Exception, TaskScheduler.Default);
        var end = await plugin.Connection.Completion.WaitAsync(PluginProcess.Generous);

        Assert.Equal(DisconnectReason.ProtocolViolation, end.Reason);
    }

    [Fact]
    public async Task Oversized_AfterTheHandshake_IsRejectedByTheRuntimeLimitAndTheConnectionSurvives()
    {
        using var logs = new CapturingLoggerProvider();
        await using var plugin = PluginProcess.Start(SamplePlugin.Echo, Mode("oversized"), logs.CreateLogger("runtime"));
        await plugin.InitializeAsync();

        var deadline = DateTime.UtcNow + PluginProcess.Generous;
        while (!logs.Entries.Any(e => e.Level == LogLevel.Warning && e.Message.Contains("over the limit", StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, "the runtime side never saw the oversized message");
            await Task.Delay(50);
        }

        var pong = await plugin.InvokeAsync<JsonElement>(PluginMethods.Ping, Empty.Instance);
        Assert.Equal(JsonValueKind.Object, pong.ValueKind);
        Assert.Empty(plugin.Api.EmittedEvents);
    }
}
