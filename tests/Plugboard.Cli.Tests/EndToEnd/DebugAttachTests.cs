using System.Diagnostics;
using System.Text.Json;
using Plugboard.Cli.Tests.Infrastructure;
using Plugboard.Protocol.JsonRpc;
using Xunit.Abstractions;

namespace Plugboard.Cli.Tests.EndToEnd;

/// <summary>Debug attach with a hand-started plugin process (plain Python with its own WebSocket client).</summary>
[Collection(EndToEndCollection.Name)]
public sealed class DebugAttachTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string PluginId = "test.py-hello";
    private readonly TempDirectory _temp = new("plugboard-debug");
    private readonly List<Process> _handStarted = [];
    private RuntimeProcess _runtime = null!;
    private JsonRpcConnection _control = null!;
    private string _source = null!;

    public async Task InitializeAsync()
    {
        _source = PluginFolders.CopyPythonPlugin(_temp.Path);
        _runtime = await RuntimeProcess.StartAsync(_temp.Combine("data"), new Dictionary<string, string?> { ["PLUGBOARD__DEBUG__REATTACHGRACE"] = "2s" });
        _control = await _runtime.ConnectAsync();
        await _control.InvokeAsync<JsonElement>("plugin/install", new { path = _source });
        await _control.InvokeAsync<JsonElement>("plugin/waitUntilRunning", new { pluginId = PluginId });
    }

    public async Task DisposeAsync()
    {
        foreach (var process in _handStarted)
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            process.Dispose();
        }

        await _control.DisposeAsync();
        await _runtime.DisposeAsync();
        output.WriteLine(_runtime.Output);
        _temp.Dispose();
    }

    [Fact]
    public async Task Attach_WithDebugToken_ReplacesTheSupervisedInstanceAndComesBackAfterRestart()
    {
        var supervisedPid = (await Echo()).GetProperty("pid").GetInt32();

        var first = StartByHand("attached-1");
        var attached = await WaitForGreeting("attached-1");

        Assert.Equal(first.Id, attached.GetProperty("pid").GetInt32());
        await WaitUntil(() => !IsAlive(supervisedPid), TimeSpan.FromSeconds(15));
        var sessions = await _control.InvokeAsync<JsonElement>("debug/list");
        Assert.Equal(PluginId, Assert.Single(sessions.EnumerateArray()).GetProperty("pluginId").GetString());

        // The dotnet watch loop: the process goes away and a new one attaches within the grace period.
        first.Kill();
        await first.WaitForExitAsync();
        var second = StartByHand("attached-2");
        var reattached = await WaitForGreeting("attached-2");
        Assert.Equal(second.Id, reattached.GetProperty("pid").GetInt32());

        // Gone for longer than the grace period: the supervised process serves the plugin again.
        second.Kill();
        await second.WaitForExitAsync();
        var resumed = await WaitForGreeting("hello");
        Assert.NotEqual(second.Id, resumed.GetProperty("pid").GetInt32());
        Assert.Empty((await _control.InvokeAsync<JsonElement>("debug/list")).EnumerateArray());
    }

    [Fact]
    public async Task Attach_WrongToken_IsRefusedWithAClearError()
    {
        var process = StartByHand("never", token: "wrong-token");

        var (exitCode, stderr) = await Finish(process);

        Assert.Equal(4, exitCode);
        Assert.Contains("401", stderr, StringComparison.Ordinal);
        Assert.Contains("debug token is wrong", stderr, StringComparison.Ordinal);
        Assert.Equal("hello", (await Echo()).GetProperty("greeting").GetString());
    }

    [Fact]
    public async Task Attach_UnknownPlugin_IsRefusedWithAClearError()
    {
        var process = StartByHand("never", pluginId: "test.not-installed");

        var (exitCode, stderr) = await Finish(process);

        Assert.Equal(4, exitCode);
        Assert.Contains("404", stderr, StringComparison.Ordinal);
        Assert.Contains("No plugin 'test.not-installed' is installed", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attach_ProcessClaimingAnotherId_IsRefusedAndTheSupervisedInstanceKeepsRunning()
    {
        var process = StartByHand("impostor", extra: new() { ["REPORTED_ID"] = "test.someone-else" });

        await Finish(process);
        await _runtime.WaitForOutputAsync("Refused debug session for plugin test.py-hello", TimeSpan.FromSeconds(20));

        Assert.Contains("says it is 'test.someone-else'", _runtime.Output, StringComparison.Ordinal);
        Assert.Equal("hello", (await Echo()).GetProperty("greeting").GetString());
    }

    private Process StartByHand(string greeting, string? token = null, string pluginId = PluginId, Dictionary<string, string?>? extra = null)
    {
        var environment = new Dictionary<string, string?>
        {
            ["PLUGBOARD_DEBUG_URL"] = $"{_runtime.DebugUrl}?plugin={pluginId}",
            ["PLUGBOARD_DEBUG_TOKEN"] = token ?? _runtime.DebugToken,
            ["GREETING"] = greeting,
        };
        foreach (var (key, value) in extra ?? [])
        {
            environment[key] = value;
        }

        var process = CliProcess.Start("python3", [Path.Combine(_source, "plugin.py")], environment, _source);
        _handStarted.Add(process);
        return process;
    }

    private static async Task<(int ExitCode, string Stderr)> Finish(Process process)
    {
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stderr);
    }

    private async Task<JsonElement> Echo()
        => await _control.InvokeAsync<JsonElement>("tool/invoke", new { name = PluginId + "/echo", arguments = new { text = "x" } });

    private async Task<JsonElement> WaitForGreeting(string greeting)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                var result = await Echo();
                if (result.GetProperty("greeting").GetString() == greeting)
                {
                    return result;
                }
            }
            catch (JsonRpcException ex) when (ex.Code == 1001)
            {
                // Between instances.
            }

            Assert.True(DateTime.UtcNow < deadline, $"The plugin never answered with greeting '{greeting}'.");
            await Task.Delay(100);
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static async Task WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(100);
        }
    }
}
