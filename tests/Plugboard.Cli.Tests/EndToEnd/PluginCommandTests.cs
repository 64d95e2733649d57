using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Plugboard.Cli.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Plugboard.Cli.Tests.EndToEnd;

/// <summary>The `plugboard` command against a real `plugboard run`, with real plugin processes.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class PluginCommandTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _temp = new("plugboard-plugins");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task PluginLifecycle_PackInstallListInvokeLogsUninstall_Works()
    {
        var source = PluginFolders.CopyPythonPlugin(_temp.Path);
        await using var runtime = await StartAsync();

        var pack = await Cli(runtime, "plugin", "pack", source, "--output", _temp.Combine("out"));
        Assert.True(pack.ExitCode == 0, pack.ToString());
        var zip = pack.Output.Trim();
        Assert.Equal(_temp.Combine("out", "test.py-hello-1.2.3.zip"), zip);
        using (var archive = ZipFile.OpenRead(zip))
        {
            Assert.Equal(["plugin.json", "plugin.py"], archive.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
        }

        var install = await Cli(runtime, "plugin", "install", zip);
        Assert.True(install.ExitCode == 0, install.ToString());
        Assert.Contains("test.py-hello is Running", install.Error, StringComparison.Ordinal);

        var list = await Cli(runtime, "plugin", "list", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        using (var plugins = JsonDocument.Parse(list.Output))
        {
            var plugin = Assert.Single(plugins.RootElement.EnumerateArray());
            Assert.Equal("test.py-hello", plugin.GetProperty("id").GetString());
            Assert.Equal("Running", plugin.GetProperty("state").GetString());
            Assert.Equal("1.2.3", plugin.GetProperty("version").GetString());
        }

        var table = await Cli(runtime, "plugin", "list");
        Assert.Contains("test.py-hello  1.2.3", table.Output, StringComparison.Ordinal);

        var invoke = await Cli(runtime, "tool", "invoke", "test.py-hello/echo", """{"text":"from the cli"}""");
        Assert.True(invoke.ExitCode == 0, invoke.ToString());
        using (var result = JsonDocument.Parse(invoke.Output))
        {
            Assert.Equal("from the cli", result.RootElement.GetProperty("text").GetString());
        }

        var logs = await Cli(runtime, "plugin", "logs", "test.py-hello");
        Assert.True(logs.ExitCode == 0, logs.ToString());
        Assert.Contains("py-hello starting", logs.Output, StringComparison.Ordinal);

        var uninstall = await Cli(runtime, "plugin", "uninstall", "test.py-hello");
        Assert.True(uninstall.ExitCode == 0, uninstall.ToString());
        var after = await Cli(runtime, "plugin", "list", "--json");
        Assert.Equal("[]", after.Output.Trim());
    }

    [Fact]
    public async Task Install_Folder_InstallsAndStartsIt()
    {
        var source = PluginFolders.CopyPythonPlugin(_temp.Path);
        await using var runtime = await StartAsync();

        var install = await Cli(runtime, "plugin", "install", source);

        Assert.True(install.ExitCode == 0, install.ToString());
        var tools = await Cli(runtime, "tool", "list");
        Assert.Contains("test.py-hello/echo", tools.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DisableEnableRestart_ChangeTheState()
    {
        var source = PluginFolders.CopyPythonPlugin(_temp.Path);
        await using var runtime = await StartAsync();
        Assert.Equal(0, (await Cli(runtime, "plugin", "install", source)).ExitCode);

        var disable = await Cli(runtime, "plugin", "disable", "test.py-hello");
        var disabled = await Cli(runtime, "plugin", "list");
        var enable = await Cli(runtime, "plugin", "enable", "test.py-hello");
        var restart = await Cli(runtime, "plugin", "restart", "test.py-hello");
        var running = await Cli(runtime, "plugin", "list");

        Assert.True(disable.ExitCode == 0, disable.ToString());
        Assert.Contains("Disabled", disabled.Output, StringComparison.Ordinal);
        Assert.True(enable.ExitCode == 0, enable.ToString());
        Assert.True(restart.ExitCode == 0, restart.ToString());
        Assert.Contains("Running", running.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CommandRun_StreamsTheCommandsOutput()
    {
        var source = PluginFolders.CopyPythonPlugin(_temp.Path);
        await using var runtime = await StartAsync();
        Assert.Equal(0, (await Cli(runtime, "plugin", "install", source)).ExitCode);

        var run = await Cli(runtime, "command", "run", "hello");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("hello world", run.Output.Trim());
    }

    [Fact]
    public async Task Logs_Follow_PrintsNewLinesAsTheyAreWritten()
    {
        var source = PluginFolders.CopyPythonPlugin(_temp.Path);
        await using var runtime = await StartAsync();
        Assert.Equal(0, (await Cli(runtime, "plugin", "install", source)).ExitCode);
        using var follow = CliProcess.Start("dotnet", [CliPaths.CliDll, "plugin", "logs", "test.py-hello", "--follow", "--data-dir", runtime.DataDirectory], runtime.Environment);
        var printed = new StringBuilder();
        var pump = Task.Run(async () =>
        {
            while (await follow.StandardOutput.ReadLineAsync() is { } line)
            {
                lock (printed)
                {
                    printed.AppendLine(line);
                }
            }
        });

        try
        {
            await WaitUntil(() => Contains(printed, "py-hello starting"), TimeSpan.FromSeconds(20));
            Assert.Equal(0, (await Cli(runtime, "tool", "invoke", "test.py-hello/log", """{"line":"marker-7731"}""")).ExitCode);
            await WaitUntil(() => Contains(printed, "marker-7731"), TimeSpan.FromSeconds(20));
        }
        finally
        {
            follow.Kill();
            await follow.WaitForExitAsync();
            await pump;
        }
    }

    [Fact]
    public async Task Install_InvalidManifest_ExitsPackageInvalidNamingTheField()
    {
        var source = PluginFolders.CopyPythonPlugin(_temp.Path);
        File.WriteAllText(Path.Combine(source, "plugin.json"), File.ReadAllText(Path.Combine(source, "plugin.json")).Replace("\"1.2.3\"", "\"one\"", StringComparison.Ordinal));
        await using var runtime = await StartAsync();

        var install = await Cli(runtime, "plugin", "install", source);

        Assert.Equal(8, install.ExitCode);
        Assert.Contains("$.version", install.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PluginCommands_NoRuntime_ExitRuntimeUnavailable()
    {
        var list = await CliProcess.RunAsync(["plugin", "list", "--data-dir", _temp.Combine("nothing-here")]);

        Assert.Equal(4, list.ExitCode);
        Assert.Contains("plugboard run", list.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PluginCommands_WrongToken_ExitUnauthorized()
    {
        await using var runtime = await StartAsync();
        var wrong = _temp.Combine("wrong.token");
        File.WriteAllText(wrong, "nope");

        var list = await Cli(runtime, "plugin", "list", "--token-file", wrong);

        Assert.Equal(5, list.ExitCode);
        Assert.Contains("rejected the control token", list.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_PluginOrTool_ExitNotFound()
    {
        await using var runtime = await StartAsync();

        var restart = await Cli(runtime, "plugin", "restart", "no.such");
        var invoke = await Cli(runtime, "tool", "invoke", "no.such/tool");

        Assert.Equal(6, restart.ExitCode);
        Assert.Contains("plugboard plugin list", restart.Error, StringComparison.Ordinal);
        Assert.Equal(6, invoke.ExitCode);
    }

    [Fact]
    public async Task Usage_UnknownCommand_ExitsTwo()
    {
        var result = await CliProcess.RunAsync(["plugin", "frobnicate"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--help", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_EveryCommand_PrintsUsage()
    {
        foreach (var command in new[] { "", "run", "plugin", "plugin install", "plugin logs", "plugin pack", "tool invoke", "debug env", "config check" })
        {
            var result = await CliProcess.RunAsync([.. command.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--help"]);
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Contains("Usage:", result.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Run_NonLoopbackAddressWithoutAllowRemote_ExitsWithConfigError()
    {
        var result = await CliProcess.RunAsync(["run", "--data-dir", _temp.Combine("data"), "--port", "0"], new Dictionary<string, string?> { ["PLUGBOARD__CONTROL__ADDRESS"] = "0.0.0.0" }, timeout: TimeSpan.FromSeconds(60));

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("control:address", result.Error, StringComparison.Ordinal);
        Assert.Contains("allowRemote", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(_temp.Combine("data", "runtime.json")));
    }

    [Fact]
    public async Task Run_NonLoopbackAddressWithAllowRemote_Starts()
    {
        await using var runtime = await RuntimeProcess.StartAsync(_temp.Combine("data"), new Dictionary<string, string?>
        {
            ["PLUGBOARD__CONTROL__ADDRESS"] = "0.0.0.0",
            ["PLUGBOARD__CONTROL__ALLOWREMOTE"] = "true",
        });

        Assert.Contains("other machines can reach", runtime.Output, StringComparison.Ordinal);
        Assert.Equal(0, (await Cli(runtime, "status")).ExitCode);
    }

    [Fact]
    public async Task Run_SecondRuntimeOnTheSameDataFolder_ExitsAlreadyRunning()
    {
        await using var runtime = await StartAsync();

        var second = await CliProcess.RunAsync(["run", "--data-dir", runtime.DataDirectory, "--port", "0"], timeout: TimeSpan.FromSeconds(60));

        Assert.Equal(7, second.ExitCode);
        Assert.Contains($"pid {runtime.ProcessId}", second.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_TokenFiles_AreOwnerOnlyAndKeptAcrossRestarts()
    {
        var data = _temp.Combine("data");
        string first;
        await using (var runtime = await RuntimeProcess.StartAsync(data))
        {
            first = runtime.ControlToken;
            Assert.Contains(Path.Combine(data, "control.token"), runtime.Output, StringComparison.Ordinal);
        }

        await using var again = await RuntimeProcess.StartAsync(data);

        Assert.Equal(first, again.ControlToken);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(data, "control.token")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(data, "debug.token")));
        Assert.True(first.Length >= 40);
    }

    [Fact]
    public async Task Run_SigTerm_StopsPluginsGracefullyAndExitsZero()
    {
        var source = PluginFolders.CopyPythonPlugin(_temp.Path);
        var runtime = await StartAsync();
        Assert.Equal(0, (await Cli(runtime, "plugin", "install", source)).ExitCode);
        var list = await Cli(runtime, "plugin", "list", "--json");
        int pluginPid;
        using (var document = JsonDocument.Parse(list.Output))
        {
            pluginPid = document.RootElement[0].GetProperty("processId").GetInt32();
        }

        var exit = await runtime.StopAsync();
        await runtime.DisposeAsync();

        Assert.Equal(0, exit);
        Assert.Contains("Plugboard stopped.", runtime.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(runtime.DataDirectory, "runtime.json")));
        Assert.Throws<ArgumentException>(() => Process.GetProcessById(pluginPid));
    }

    private async Task<RuntimeProcess> StartAsync() => await RuntimeProcess.StartAsync(_temp.Combine("data"));

    private async Task<CliResult> Cli(RuntimeProcess runtime, params string[] args)
    {
        var result = await runtime.CliAsync(args);
        output.WriteLine($"$ plugboard {string.Join(' ', args)}{Environment.NewLine}{result}");
        return result;
    }

    private static bool Contains(StringBuilder builder, string text)
    {
        lock (builder)
        {
            return builder.ToString().Contains(text, StringComparison.Ordinal);
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
