using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Protocol.Transports;
using Plugboard.Sdk.Tests.Infrastructure;

namespace Plugboard.Sdk.Tests;

/// <summary>
/// A plugin started by hand with PLUGBOARD_DEBUG_URL connects to the runtime over WebSocket instead of stdio. Kestrel
/// plays the runtime's debug endpoint (the real one comes with the CLI).
/// </summary>
public sealed class DebugWebSocketTests : IAsyncDisposable
{
    private const string Token = "debug-token-123";

    private readonly WebApplication _server;
    private readonly TaskCompletionSource<(JsonRpcConnection Connection, string? Authorization, string? PluginId, string? Query)> _accepted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public DebugWebSocketTests()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _server = builder.Build();
        _server.UseWebSockets();
        _server.Map("/debug", async context =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }

            var socket = await context.WebSockets.AcceptWebSocketAsync();
            var connection = new JsonRpcConnection(new WebSocketTransport(socket));
            new FakeRuntimeApi().Register(connection);
            connection.Start();
            _accepted.TrySetResult((connection, context.Request.Headers.Authorization.ToString(), context.Request.Headers["Plugboard-Plugin-Id"].ToString(), context.Request.QueryString.Value));
            await connection.Completion;
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Run_WithDebugUrl_ConnectsOverWebSocketWithTokenAndPluginIdAndServesTheRuntime()
    {
        await _server.StartAsync();
        var address = _server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var plugin = StartEcho(address.Replace("http://", "ws://", StringComparison.Ordinal) + "/debug?trace=1");
        _ = plugin.StandardError.ReadToEndAsync();
        try
        {
            var (connection, authorization, pluginId, query) = await _accepted.Task.WaitAsync(PluginProcess.Generous);
            await using var _ = connection;

            var handshake = await connection.InvokeAsync<InitializeResult>(PluginMethods.Initialize,
                new InitializeParams(ProtocolVersions.Supported, new PeerInfo("debug-endpoint", "1"), SamplePlugin.Echo.PluginId, JsonSerializer.SerializeToElement(new { greeting = "Hi" }), null, null),
                PluginProcess.Generous);
            await connection.NotifyAsync(PluginMethods.Initialized, Empty.Instance);
            var echo = await connection.InvokeAsync<JsonElement>(PluginMethods.ToolInvoke,
                new ToolInvokeParams("echo", JsonSerializer.SerializeToElement(new { text = "over websocket" })), PluginProcess.Generous);
            var greeting = await connection.InvokeAsync<JsonElement>(PluginMethods.ToolInvoke,
                new ToolInvokeParams("greet", JsonSerializer.SerializeToElement(new { name = "Ada" })), PluginProcess.Generous);
            await connection.InvokeAsync<JsonElement>(PluginMethods.Shutdown, Empty.Instance, PluginProcess.Generous);
            await connection.NotifyAsync(PluginMethods.Exit, Empty.Instance);

            Assert.Equal("Bearer " + Token, authorization);
            Assert.Equal(SamplePlugin.Echo.PluginId, pluginId);
            Assert.Equal($"?trace=1&plugin={SamplePlugin.Echo.PluginId}&pid={plugin.Id}", query);
            Assert.Equal(SamplePlugin.Echo.PluginId, handshake.PluginId);
            Assert.Equal("over websocket", echo.GetProperty("text").GetString());
            Assert.Equal("Howdy, Ada!", greeting.GetProperty("text").GetString());
            await plugin.WaitForExitAsync().WaitAsync(PluginProcess.Generous);
            Assert.Equal(0, plugin.ExitCode);
        }
        finally
        {
            KillIfRunning(plugin);
        }
    }

    [Fact]
    public async Task Run_DebugUrlNobodyListensOn_ExitsWithCodeOneAndSaysWhatToCheck()
    {
        using var plugin = StartEcho("ws://127.0.0.1:9/debug");
        try
        {
            var stderr = plugin.StandardError.ReadToEndAsync();
            await plugin.WaitForExitAsync().WaitAsync(PluginProcess.Generous);

            Assert.Equal(1, plugin.ExitCode);
            Assert.Contains("Cannot connect to the debug endpoint ws://127.0.0.1:9/debug", await stderr, StringComparison.Ordinal);
        }
        finally
        {
            KillIfRunning(plugin);
        }
    }

    private static Process StartEcho(string debugUrl)
    {
        var info = new ProcessStartInfo(SamplePlugin.Echo.FileName)
        {
            WorkingDirectory = SamplePlugin.Echo.WorkingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in SamplePlugin.Echo.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment.Remove("SAMPLE_MODE");
        info.Environment.Remove(PluginEnvironment.PluginId);
        info.Environment[PluginEnvironment.DebugUrl] = debugUrl;
        info.Environment[PluginEnvironment.DebugToken] = Token;
        return Process.Start(info)!;
    }

    private static void KillIfRunning(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }
    }
}
