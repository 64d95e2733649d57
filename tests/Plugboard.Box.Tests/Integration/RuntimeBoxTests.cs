using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Plugboard.Box.Contracts;
using Plugboard.Box.Tests.Infrastructure;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Runtime;
using Plugboard.Runtime.Box;
using Plugboard.Runtime.Hosting;

namespace Plugboard.Box.Tests.Integration;

/// <summary>The runtime spawning a real Box: status, the native sandbox tools, and losing and regaining the Box.</summary>
public sealed class RuntimeBoxTests
{
    [Fact]
    public async Task Runtime_BoxEnabled_OffersSandboxToolsThatRunInTheSession()
    {
        using var host = BuildHost();
        await host.StartAsync();
        var runtime = host.Services.GetRequiredService<PlugboardRuntime>();
        var status = runtime.GetBoxStatus();
        Assert.Equal(BoxConnectionState.Connected, status.State);
        Assert.Equal(BoxBackendNames.Docker, status.Backend);
        Assert.Equal(["box/edit", "box/exec", "box/glob", "box/grep", "box/read", "box/write"], runtime.GetTools().Where(t => t.PluginId == "box").Select(t => t.Name).Order(StringComparer.Ordinal));

        var context = new { chatType = "group", chatId = "42", userId = "u7" };
        var written = await Invoke(runtime, "write", new { context, path = "src/app.py", content = "print('hello')\nprint('bye')\n" });
        Assert.Equal("/workspace/src/app.py", written.GetProperty("path").GetString());

        var edited = await Invoke(runtime, "edit", new { context, path = "src/app.py", oldText = "bye", newText = "goodbye" });
        Assert.Equal(1, edited.GetProperty("replacements").GetInt32());
        await Assert.ThrowsAsync<JsonRpcException>(() => Invoke(runtime, "edit", new { context, path = "src/app.py", oldText = "print", newText = "p" }));

        var read = await Invoke(runtime, "read", new { context, path = "src/app.py" });
        Assert.Equal("print('hello')\nprint('goodbye')\n", read.GetProperty("content").GetString());

        var glob = await Invoke(runtime, "glob", new { context, pattern = "**/*.py" });
        Assert.Equal(["src/app.py"], glob.GetProperty("files").EnumerateArray().Select(f => f.GetString()));

        var grep = await Invoke(runtime, "grep", new { context, pattern = "good(bye)?", include = "*.py" });
        var match = Assert.Single(grep.GetProperty("matches").EnumerateArray());
        Assert.Equal(2, match.GetProperty("line").GetInt32());

        // The session came from the per-chat template; exec with the explicit id sees the same files.
        var sessionId = runtime.ResolveBoxSessionId(new BoxSessionContext("group", "42", "u7"));
        Assert.Equal("group_42", sessionId);
        var exec = await Invoke(runtime, "exec", new { sessionId, command = "cat src/app.py | wc -l; id -u" });
        Assert.Equal("2\n1000\n", exec.GetProperty("stdout").GetString());

        var missing = await Assert.ThrowsAsync<JsonRpcException>(() => Invoke(runtime, "exec", new { command = "true" }));
        Assert.Equal(PlugboardErrorCodes.ToolArgumentsInvalid, missing.Code);
        var incomplete = await Assert.ThrowsAsync<JsonRpcException>(() => Invoke(runtime, "exec", new { context = new { chatType = "group" }, command = "true" }));
        Assert.Contains("chatId", incomplete.Message, StringComparison.Ordinal);

        var boxPid = BoxChildren(runtime).Single();
        await host.StopAsync();
        Assert.Equal(BoxConnectionState.Stopped, runtime.GetBoxStatus().State);
        Assert.False(ProcessAlive(boxPid), "the Box outlived the runtime's stop");
        Assert.Empty(await Docker.DockerSessionTests.ContainersOfAsync("group_42"));
    }

    [Fact]
    public async Task Runtime_BoxKilled_WithdrawsToolsSaysWhyAndReconnects()
    {
        using var host = BuildHost(o => o.Box.ReconnectInitialDelay = TimeSpan.FromMilliseconds(300));
        await host.StartAsync();
        var runtime = host.Services.GetRequiredService<PlugboardRuntime>();
        Assert.Equal(BoxConnectionState.Connected, runtime.GetBoxStatus().State);
        var first = BoxChildren(runtime).Single();

        Process.GetProcessById(first).Kill(entireProcessTree: true);
        await WaitUntilAsync(() => runtime.GetBoxStatus().State != BoxConnectionState.Connected || runtime.GetBoxStatus().Reconnects > 0);
        await WaitUntilAsync(() => runtime.GetBoxStatus() is { State: BoxConnectionState.Connected, Reconnects: > 0 });

        var status = runtime.GetBoxStatus();
        Assert.Equal(1, status.Reconnects);
        Assert.NotEqual(first, BoxChildren(runtime).Single());
        var exec = await Invoke(runtime, "exec", new { sessionId = "after-reconnect", command = "echo back" });
        Assert.Equal("back\n", exec.GetProperty("stdout").GetString());
        await host.StopAsync();
    }

    [Fact]
    public async Task Runtime_BoxCannotStart_OffersNoSandboxToolsAndSaysWhy()
    {
        using var host = BuildHost(o => o.Box.Executable = "/nonexistent/plugboard-box.dll");
        await host.StartAsync();
        var runtime = host.Services.GetRequiredService<PlugboardRuntime>();

        var status = runtime.GetBoxStatus();
        Assert.Equal(BoxConnectionState.Unavailable, status.State);
        Assert.Contains("/nonexistent/plugboard-box.dll does not exist", status.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(runtime.GetTools(), t => t.PluginId == "box");
        var error = await Assert.ThrowsAsync<JsonRpcException>(() => Invoke(runtime, "exec", new { sessionId = "x", command = "true" }));
        Assert.Equal(PlugboardErrorCodes.ToolNotFound, error.Code);
        await host.StopAsync();
    }

    [Fact]
    public void Runtime_BoxDisabled_ReportsDisabled()
    {
        using var host = BuildHost(o => o.Box.Enabled = false);
        var runtime = host.Services.GetRequiredService<PlugboardRuntime>();
        Assert.Equal(BoxConnectionState.Disabled, runtime.GetBoxStatus().State);
        Assert.Contains("Box:Enabled", runtime.GetBoxStatus().Reason, StringComparison.Ordinal);
    }

    private static IHost BuildHost(Action<PlugboardOptions>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddPlugboard(o =>
        {
            o.DataDirectory = TestPaths.NewDirectory("runtime");
            o.Box.DataDirectory = Path.Combine(o.DataDirectory, "box");
            o.Box.Enabled = true;
            o.Box.Executable = BoxProcess.BoxDll;
            o.Box.Backend = BoxBackendNames.Docker;
            o.Box.Settings["Docker__DefaultImage"] = BoxProcess.DockerImage;
            o.Box.HeartbeatInterval = TimeSpan.FromMilliseconds(500);
            configure?.Invoke(o);
        });
        return builder.Build();
    }

    private static Task<JsonElement> Invoke(PlugboardRuntime runtime, string tool, object arguments)
        => runtime.InvokeToolAsync("box/" + tool, JsonSerializer.SerializeToElement(arguments), timeout: TimeSpan.FromSeconds(120));

    /// <summary>The Box processes this runtime spawned (other tests' Boxes run as children of the test process too).</summary>
    private static List<int> BoxChildren(PlugboardRuntime runtime)
    {
        var marker = "PLUGBOARD_BOX_DataDirectory=" + runtime.Options.Box.DataDirectory + "\0";
        return [.. AllBoxChildren().Where(pid =>
        {
            try
            {
                return File.ReadAllText($"/proc/{pid}/environ").Contains(marker, StringComparison.Ordinal);
            }
            catch (IOException)
            {
                return false;
            }
        })];
    }

    private static List<int> AllBoxChildren()
    {
        var me = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[1] == me && File.ReadAllText(Path.Combine(directory, "cmdline")).Contains("plugboard-box", StringComparison.Ordinal))
                {
                    found.Add(int.Parse(Path.GetFileName(directory), System.Globalization.CultureInfo.InvariantCulture));
                }
            }
            catch (Exception ex) when (ex is IOException or FormatException or UnauthorizedAccessException)
            {
            }
        }

        return found;
    }

    private static bool ProcessAlive(int pid) => File.Exists($"/proc/{pid}/stat");

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 60 s");
            await Task.Delay(100);
        }
    }
}
