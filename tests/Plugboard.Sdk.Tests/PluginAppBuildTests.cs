using System.ComponentModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Plugboard.Sdk.Tests.Infrastructure;

namespace Plugboard.Sdk.Tests;

/// <summary>The builder, in process: schema generation, the manifest check, and registration errors.</summary>
public sealed class PluginAppBuildTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("plugboard-sdk-tests-").FullName;

    public enum Units
    {
        Celsius,
        Fahrenheit,
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Build_TypedTool_GeneratesAnObjectSchemaWithRequiredMembersEnumsAndDescriptions()
    {
        var builder = NewBuilder();
        builder.AddTool<ForecastArgs, ForecastResult>("forecast", "Weather forecast.", (a, _) => ValueTask.FromResult(new ForecastResult(a.City)));

        await using var app = builder.Build();

        var tool = Assert.Single(app.Capabilities.Tools!);
        var schema = tool.Parameters!.Value;
        Assert.Equal("object", schema.GetProperty("type").GetString());
        Assert.Equal("Where and how to forecast.", schema.GetProperty("description").GetString());
        var properties = schema.GetProperty("properties");
        Assert.Equal("string", properties.GetProperty("city").GetProperty("type").GetString());
        Assert.Equal("The city name.", properties.GetProperty("city").GetProperty("description").GetString());
        Assert.Equal("integer", properties.GetProperty("days").GetProperty("type").GetString());
        Assert.Equal(["celsius", "fahrenheit"], properties.GetProperty("units").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["city"], schema.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Build_DiTool_TakesItsDescriptionFromTheClassAndResolvesFromServices()
    {
        var builder = NewBuilder();
        builder.AddTool<ForecastTool>("forecast");
        builder.AddTool<ForecastTool>("forecast");

        await using var app = builder.Build();

        var tool = Assert.Single(app.Capabilities.Tools!);
        Assert.Equal("Forecasts the weather.", tool.Description);
        Assert.NotNull(app.Services.GetService<ForecastTool>());
    }

    [Fact]
    public async Task Build_CodeAndManifestDiffer_LogsAWarningNamingBothSidesForEachDifference()
    {
        var manifest = WriteManifest("""
            {
              "id": "acme.weather", "version": "1.0.0", "displayName": "Weather",
              "components": {
                "listeners": [ { "events": ["message.*"], "priority": 5 } ],
                "tools": [
                  { "name": "forecast", "description": "x", "parameters": { "type": "object", "properties": { "town": { "type": "string" } }, "required": ["town"] } },
                  { "name": "ghost", "description": "x", "parameters": { "type": "object" } }
                ],
                "commands": [ { "name": "weather" } ]
              },
              "execution": { "command": "x" }
            }
            """);
        var logs = new CapturingLoggerProvider();
        var builder = NewBuilder(manifest, logs);
        builder.AddTool<ForecastArgs, ForecastResult>("forecast", "Weather forecast.", (a, _) => ValueTask.FromResult(new ForecastResult(a.City)));
        builder.AddTool<ForecastArgs, ForecastResult>("extra", "Not in the manifest.", (a, _) => ValueTask.FromResult(new ForecastResult(a.City)));
        builder.AddListener("replies", ["message.*"], 10, _ => ValueTask.CompletedTask);

        await using var app = builder.Build();

        var warnings = logs.Entries.Where(e => e.Level == LogLevel.Warning).Select(e => e.Message).ToList();
        Assert.Contains(warnings, w => w.Contains("'extra' is registered in the code but not declared in " + manifest, StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("'ghost' is declared in " + manifest + " but not registered in the code", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("'weather' is declared in", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("The parameters of tool 'forecast' differ", StringComparison.Ordinal)
            && w.Contains("property 'city' is missing from the manifest", StringComparison.Ordinal)
            && w.Contains("property 'town' is declared in the manifest but not in the code", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("The listener 'replies' (events [message.*], priority 10)", StringComparison.Ordinal));
        Assert.Equal("acme.weather", app.PluginId);
    }

    [Fact]
    public async Task Build_ManifestMatchesTheCode_LogsNoWarnings()
    {
        var manifest = WriteManifest("""
            {
              "id": "acme.weather", "version": "1.0.0", "displayName": "Weather",
              "components": {
                "listeners": [ { "events": ["message.*", "group.*"], "priority": 10 } ],
                "tools": [ { "name": "forecast", "description": "x", "parameters": { "type": "object", "properties": { "city": { "type": "string" }, "days": { "type": "integer" }, "units": { "type": "string" } }, "required": ["city"] } } ]
              },
              "execution": { "command": "x" }
            }
            """);
        var logs = new CapturingLoggerProvider();
        var builder = NewBuilder(manifest, logs);
        builder.AddTool<ForecastArgs, ForecastResult>("forecast", "Weather forecast.", (a, _) => ValueTask.FromResult(new ForecastResult(a.City)));
        builder.AddListener("replies", ["group.*", "message.*"], 10, _ => ValueTask.CompletedTask);

        await using var app = builder.Build();

        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public void AddTool_SameNameTwiceWithDelegates_ThrowsNamingTheTool()
    {
        var builder = NewBuilder();
        builder.AddTool<ForecastArgs, ForecastResult>("forecast", null, (a, _) => ValueTask.FromResult(new ForecastResult(a.City)));

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddTool<ForecastArgs, ForecastResult>("forecast", null, (a, _) => ValueTask.FromResult(new ForecastResult(a.City))));

        Assert.Contains("'forecast'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddCommand_AliasUsedByAnotherCommand_ThrowsNamingBoth()
    {
        var builder = NewBuilder();
        builder.AddCommand("weather", _ => ValueTask.FromResult(0), aliases: ["w"]);

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddCommand("wind", _ => ValueTask.FromResult(0), aliases: ["w"]));

        Assert.Contains("'w'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'weather'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_ToolArgumentsThatAreNotAnObject_ThrowsNamingTheTool()
    {
        var builder = NewBuilder();
        builder.AddTool<int, int>("square", null, (a, _) => ValueTask.FromResult(a * a));

        var error = Assert.Throws<InvalidOperationException>(() => builder.Build());

        Assert.Contains("'square'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_DiToolWithAnUnregisteredDependency_FailsAtBuild()
    {
        var builder = NewBuilder();
        builder.AddTool<NeedsClockTool>("time");

        var error = Assert.ThrowsAny<Exception>(() => builder.Build());

        Assert.Contains(nameof(TimeProvider), error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Runtime_BeforeTheHandshake_ThrowsExplainingWhenItWorks()
    {
        await using var app = NewBuilder().Build();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => app.Runtime.GetConfigAsync());

        Assert.Contains("handshake", error.Message, StringComparison.Ordinal);
        Assert.False(app.Runtime.IsConnected);
    }

    private PluginAppBuilder NewBuilder(string? manifest = null, CapturingLoggerProvider? logs = null)
    {
        var builder = PluginApp.CreateBuilder([]);
        builder.Options.ManifestPath = manifest ?? Path.Combine(_folder, "absent.json");
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        return builder;
    }

    private string WriteManifest(string json)
    {
        var path = Path.Combine(_folder, "plugin.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Description("Where and how to forecast.")]
    public sealed record ForecastArgs([property: Description("The city name.")] string City, int Days = 3, Units Units = Units.Celsius);

    public sealed record ForecastResult(string City);

    [Description("Forecasts the weather.")]
    public sealed class ForecastTool : ITool<ForecastArgs, ForecastResult>
    {
        public ValueTask<ForecastResult> InvokeAsync(ForecastArgs arguments, ToolContext context) => ValueTask.FromResult(new ForecastResult(arguments.City));
    }

    public sealed class NeedsClockTool(TimeProvider clock) : ITool<ForecastArgs, ForecastResult>
    {
        public ValueTask<ForecastResult> InvokeAsync(ForecastArgs arguments, ToolContext context) => ValueTask.FromResult(new ForecastResult(clock.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture)));
    }
}
