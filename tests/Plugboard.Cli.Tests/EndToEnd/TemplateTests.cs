using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Plugboard.Cli.Tests.Infrastructure;
using Plugboard.Protocol.JsonRpc;
using Xunit.Abstractions;

namespace Plugboard.Cli.Tests.EndToEnd;

/// <summary>
/// The plugin author's path, for real: install the template pack from the repository, `dotnet new`, build, test, pack,
/// install into a running runtime and call the tool; and debug attach under `dotnet watch` with a source edit. Prints
/// the two times the issue asks for (dotnet new → first tool call; source edit → new behaviour served).
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class TemplateTests(TemplateFixture templates, ITestOutputHelper output) : IClassFixture<TemplateFixture>
{
    [Fact]
    public async Task PluginTemplate_NewInstallInvokeTestPackInstall_Works()
    {
        await using var runtime = await RuntimeProcess.StartAsync(Path.Combine(templates.Work, "data-" + Guid.NewGuid().ToString("N")[..6]));

        // dotnet new → first successful tool call (what a plugin author does first).
        var clock = Stopwatch.StartNew();
        var solution = await templates.NewAsync("plugboard-plugin", "Acme.Hello");
        var project = Path.Combine(solution, "src", "Acme.Hello");
        await Cli(runtime, "plugin", "install", project);
        var first = await Cli(runtime, "tool", "invoke", "acme.hello/greet", """{"name":"Ada"}""");
        clock.Stop();
        Assert.Equal("Hello, Ada!", Text(first.Output));
        Report("dotnet new -> first successful tool call", clock.Elapsed);

        // The generated tests run the plugin under a runtime hosted in the test.
        var tests = await TemplateFixture.MustSucceed("dotnet", ["test", solution, "--nologo"], solution);
        Assert.Contains("Passed!", tests.Output, StringComparison.Ordinal);

        // Pack → install the package → call the tool.
        var pack = await Cli(runtime, "plugin", "pack", project, "--output", Path.Combine(solution, "out"));
        var zip = pack.Output.Trim();
        Assert.EndsWith("acme.hello-0.1.0.zip", zip, StringComparison.Ordinal);
        await Cli(runtime, "plugin", "install", zip);
        var again = await Cli(runtime, "tool", "invoke", "acme.hello/greet", """{"name":"Grace"}""");
        Assert.Equal("Hello, Grace!", Text(again.Output));
    }

    [Fact]
    public async Task AdapterTemplate_NewAndItsTests_Pass()
    {
        var solution = await templates.NewAsync("plugboard-adapter", "Acme.Chat");

        var tests = await TemplateFixture.MustSucceed("dotnet", ["test", solution, "--nologo"], solution);

        Assert.Contains("Passed!", tests.Output, StringComparison.Ordinal);
        Assert.Contains("\"platform\": \"chat\"", await File.ReadAllTextAsync(Path.Combine(solution, "src", "Acme.Chat", "plugin.json")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PluginTemplate_InvalidPluginId_FailsTheBuildWithWhatToDo()
    {
        var solution = await templates.NewAsync("plugboard-plugin", "Bad.Id", "--plugin-id", "Bad_Id");

        var build = await CliProcess.RunProgramAsync("dotnet", ["build", Path.Combine(solution, "src", "Bad.Id"), "--nologo"], workingDirectory: solution, timeout: TimeSpan.FromMinutes(10));

        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains("'Bad_Id' is not a valid plugin id", build.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DebugAttach_DotnetWatch_ServesTheEditedCodeAfterTheRebuild()
    {
        await using var runtime = await RuntimeProcess.StartAsync(Path.Combine(templates.Work, "data-" + Guid.NewGuid().ToString("N")[..6]), new Dictionary<string, string?>
        {
            ["PLUGBOARD__DEBUG__REATTACHGRACE"] = "5m", // the supervised copy must not come back while dotnet watch rebuilds
        });
        var solution = await templates.NewAsync("plugboard-plugin", "Acme.Watch");
        var project = Path.Combine(solution, "src", "Acme.Watch");
        await Cli(runtime, "plugin", "install", project);
        var env = await Cli(runtime, "debug", "env", "--project", project);
        Assert.Contains("acme.watch", env.Output, StringComparison.Ordinal);
        var launchSettings = await File.ReadAllTextAsync(Path.Combine(project, "Properties", "launchSettings.json"));
        Assert.Contains(runtime.DebugToken, launchSettings, StringComparison.Ordinal);

        await using var control = await runtime.ConnectAsync();
        using var watch = CliProcess.Start("dotnet", ["watch", "--project", project, "--non-interactive", "--no-hot-reload"], new Dictionary<string, string?>
        {
            ["DOTNET_WATCH_SUPPRESS_EMOJIS"] = "1",
            ["DOTNET_WATCH_RESTART_ON_RUDE_EDIT"] = "1",
        }, project);
        var watchLog = new System.Text.StringBuilder();
        var pumps = Task.WhenAll(Pump(watch.StandardOutput, watchLog), Pump(watch.StandardError, watchLog));
        try
        {
            await WaitForSessionAsync(control, "acme.watch", watchLog);
            await WaitForAnswerAsync(control, "Hello, Ada!", watchLog);
            var firstPid = await SessionPidAsync(control);

            // Edit the source: dotnet watch rebuilds and restarts the process, which attaches again.
            var greeter = Path.Combine(project, "Greeter.cs");
            var clock = Stopwatch.StartNew();
            await File.WriteAllTextAsync(greeter, (await File.ReadAllTextAsync(greeter)).Replace("$\"Hello, {name}!\"", "$\"Howdy, {name}!\"", StringComparison.Ordinal));
            await WaitForAnswerAsync(control, "Howdy, Ada!", watchLog);
            clock.Stop();
            Report("source edit under dotnet watch -> new behaviour served (restart + reattach)", clock.Elapsed);
            var secondPid = await SessionPidAsync(control);
            Assert.NotEqual(firstPid, secondPid); // a new process attached: the restart-and-reattach loop
        }
        finally
        {
            watch.Kill(entireProcessTree: true);
            await watch.WaitForExitAsync();
            await pumps;
            output.WriteLine("dotnet watch:" + Environment.NewLine + Snapshot(watchLog));
        }
    }

    private static async Task<string?> GreetAsync(JsonRpcConnection control)
    {
        var result = await control.InvokeAsync<JsonElement>("tool/invoke", new { name = "acme.watch/greet", arguments = new { name = "Ada" } });
        return result.GetProperty("text").GetString();
    }

    /// <summary>Calls the tool until it answers <paramref name="expected"/> (between processes it is briefly not running).</summary>
    private static async Task WaitForAnswerAsync(JsonRpcConnection control, string expected, System.Text.StringBuilder log)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        string? answer = null;
        while (answer != expected)
        {
            Assert.True(DateTime.UtcNow < deadline, $"The tool did not answer '{expected}' within 5 minutes (last answer: {answer}).{Environment.NewLine}dotnet watch:{Environment.NewLine}{Snapshot(log)}");
            try
            {
                answer = await GreetAsync(control);
            }
            catch (JsonRpcException ex) when (ex.Code == 1001)
            {
                answer = "(not running: " + ex.Message + ")";
            }

            if (answer != expected)
            {
                await Task.Delay(100);
            }
        }
    }

    private static async Task<int> SessionPidAsync(JsonRpcConnection control)
    {
        var sessions = await control.InvokeAsync<JsonElement>("debug/list");
        var session = Assert.Single(sessions.EnumerateArray());
        Assert.Equal("acme.watch", session.GetProperty("pluginId").GetString());
        return session.GetProperty("processId").GetInt32();
    }

    private static async Task WaitForSessionAsync(JsonRpcConnection control, string pluginId, System.Text.StringBuilder log)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while (true)
        {
            var sessions = await control.InvokeAsync<JsonElement>("debug/list");
            if (sessions.EnumerateArray().Any(s => s.GetProperty("pluginId").GetString() == pluginId))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"dotnet watch did not attach within 5 minutes:{Environment.NewLine}{Snapshot(log)}");
            await Task.Delay(200);
        }
    }

    private async Task<CliResult> Cli(RuntimeProcess runtime, params string[] args)
    {
        var result = await runtime.CliAsync(args);
        output.WriteLine($"$ plugboard {string.Join(' ', args)}{Environment.NewLine}{result}");
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    private void Report(string what, TimeSpan elapsed)
    {
        var line = string.Create(CultureInfo.InvariantCulture, $"MEASURED {what}: {elapsed.TotalSeconds:0.0} s");
        output.WriteLine(line);
        File.AppendAllText(Path.Combine(Path.GetTempPath(), "plugboard-cli-measurements.txt"), $"{DateTime.UtcNow:O} {line}{Environment.NewLine}");
    }

    private static string? Text(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("text").GetString();
    }

    private static string Snapshot(System.Text.StringBuilder builder)
    {
        lock (builder)
        {
            return builder.ToString();
        }
    }

    private static async Task Pump(StreamReader reader, System.Text.StringBuilder into)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (into)
            {
                into.AppendLine(line);
            }
        }
    }
}
