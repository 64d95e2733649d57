using System.Reflection;
using System.Text.Json;
using Company.Plugin1;
using Microsoft.Extensions.DependencyInjection;
using Plugboard.Protocol.Contracts;
using Plugboard.Runtime;
using Plugboard.Runtime.Hosting;

namespace Company.Plugin1.Tests;

/// <summary>Runs the plugin as its own process under a Plugboard runtime hosted in the test, like production does.</summary>
public sealed class PluginTests : IAsyncLifetime
{
    private const string PluginId = "sample.pluginid";
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "plugboard-test-" + Guid.NewGuid().ToString("N"));
    private ServiceProvider _services = null!;
    private PlugboardRuntime _runtime = null!;

    /// <summary>The plugin's build output (with plugin.json), recorded by the RecordPluginOutput target.</summary>
    private static string PluginDirectory => typeof(PluginTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "PluginOutputDirectory").Value!;

    public async Task InitializeAsync()
    {
        var services = new ServiceCollection();
        services.AddPlugboard(options =>
        {
            options.DataDirectory = _dataDirectory;
            options.PluginDirectories.Add(PluginDirectory);
        });
        _services = services.BuildServiceProvider();
        _runtime = _services.GetRequiredService<PlugboardRuntime>();
        await _runtime.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _runtime.WaitUntilRunningAsync(PluginId, timeout.Token);
    }

    public async Task DisposeAsync()
    {
        await _runtime.StopAsync();
        await _services.DisposeAsync();
        Directory.Delete(_dataDirectory, recursive: true);
    }

    [Fact]
    public void Greet_Name_SaysHello() => Assert.Equal("Hello, Ada!", Greeter.Greet("Ada"));

    [Fact]
    public async Task GreetTool_InvokedThroughTheRuntime_ReturnsTheGreeting()
    {
        var result = await _runtime.InvokeToolAsync($"{PluginId}/greet", Json("""{ "name": "Ada" }"""));

        Assert.Equal("Hello, Ada!", result.GetProperty("text").GetString());
    }

    [Fact]
    public async Task HelloListener_MessageStartingWithHello_AnswersAndStopsPropagation()
    {
        var message = Json("""
            { "messageId": "m1", "chat": { "type": "person", "id": "u1" }, "sender": { "id": "u1", "name": "Ada" },
              "chain": [ { "type": "plain", "text": "hello bot" } ] }
            """);

        var outcome = await _runtime.DispatchEventAsync(new PluginEvent("e1", "message.received", DateTimeOffset.UtcNow, message));

        Assert.Equal($"{PluginId}/hello", outcome.StoppedBy);
        Assert.Equal("Hello, there!", outcome.Listeners[0].Result!.Value.GetProperty("text").GetString());
    }

    [Fact]
    public async Task GreetCommand_WithAName_PrintsTheGreeting()
    {
        var result = await _runtime.ExecuteCommandAsync("greet", ["Ada"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("Hello, Ada!", result.Output?.Trim());
    }

    private static JsonElement Json(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
