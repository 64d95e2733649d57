using System.Net;
using System.Text.Json;
using Plugboard.Cli.Configuration;
using Plugboard.Cli.Tests.Infrastructure;
using Plugboard.Runtime.Hosting;
using Plugboard.Runtime.Supervision;

namespace Plugboard.Cli.Tests.Configuration;

public sealed class SettingsLoaderTests : IDisposable
{
    private readonly TempDirectory _temp = new("plugboard-config");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Load_NoFileNoEnvironment_UsesDocumentedDefaults()
    {
        var settings = Load(environment: new() { ["HOME"] = _temp.Path });

        Assert.Null(settings.ConfigFile);
        Assert.Equal(_temp.Combine(".local", "share", "plugboard"), settings.DataDirectory);
        Assert.Empty(settings.PluginDirectories);
        Assert.Equal(PlugboardStorageProvider.Sqlite, settings.StorageProvider);
        Assert.Equal(IPAddress.Loopback, settings.Control.Address);
        Assert.Equal(7420, settings.Control.Port);
        Assert.Equal(Path.Combine(settings.DataDirectory, "control.token"), settings.Control.TokenFile);
        Assert.True(settings.Debug.Enabled);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.Debug.ReattachGrace);
    }

    [Fact]
    public void Load_ConfigFile_ResolvesRelativePathsAgainstTheFilesFolder()
    {
        var file = WriteConfig("""
            {
              // comments and trailing commas are fine
              "dataDirectory": "state",
              "pluginDirectories": ["plugins", "/opt/more"],
              "control": { "port": 7500 },
              "limits": { "toolTimeout": "90s", "listenerTimeout": "00:00:02" },
              "supervisor": { "crashBudget": 3, "pingInterval": "250ms", "environmentAllowlist": ["MY_VAR"] },
            }
            """);

        var settings = Load(configFile: file);

        Assert.Equal(file, settings.ConfigFile);
        Assert.Equal(_temp.Combine("state"), settings.DataDirectory);
        Assert.Equal([_temp.Combine("plugins"), "/opt/more"], settings.PluginDirectories);
        Assert.Equal(7500, settings.Control.Port);
        Assert.Equal(TimeSpan.FromSeconds(90), settings.Limits.ToolTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2), settings.Limits.ListenerTimeout);
        var supervisor = new SupervisorOptions();
        settings.ConfigureSupervisor(supervisor);
        Assert.Equal(3, supervisor.CrashBudget);
        Assert.Equal(TimeSpan.FromMilliseconds(250), supervisor.PingInterval);
        Assert.Contains("MY_VAR", supervisor.EnvironmentAllowlist);
        Assert.Contains("PATH", supervisor.EnvironmentAllowlist);
    }

    [Fact]
    public void Load_EnvironmentVariables_OverrideTheFileKeyByKey()
    {
        var file = WriteConfig("""{ "control": { "port": 7500, "tokenFile": "/secrets/control" }, "pluginDirectories": ["a", "b"] }""");

        var settings = Load(configFile: file, environment: new()
        {
            ["PLUGBOARD__CONTROL__PORT"] = "7600",
            ["PLUGBOARD__PLUGINDIRECTORIES__1"] = "/elsewhere",
            ["PLUGBOARD__DEBUG__ENABLED"] = "false",
        });

        Assert.Equal(7600, settings.Control.Port);
        Assert.Equal("/secrets/control", settings.Control.TokenFile);
        Assert.Equal([_temp.Combine("a"), "/elsewhere"], settings.PluginDirectories);
        Assert.False(settings.Debug.Enabled);
    }

    [Fact]
    public void Load_DataDirOption_OverridesEnvironmentAndFile()
    {
        var settings = Load(configFile: WriteConfig("""{ "dataDirectory": "/from/file" }"""), environment: new() { ["PLUGBOARD__DATADIRECTORY"] = "/from/env" }, dataDirectory: "relative");

        Assert.Equal(_temp.Combine("relative"), settings.DataDirectory);
    }

    [Fact]
    public void Load_ConfigFileFromEnvironmentVariable_IsUsed()
    {
        var file = WriteConfig("""{ "control": { "port": 7501 } }""");

        var settings = Load(environment: new() { ["PLUGBOARD_CONFIG"] = file });

        Assert.Equal(7501, settings.Control.Port);
    }

    [Fact]
    public void Load_BadValues_ReportsEveryPathWithItsSource()
    {
        var file = WriteConfig("""{ "control": { "port": 70000 }, "limits": { "toolTimeout": "soon" }, "storage": { "provider": "mysql" } }""");

        var ex = Assert.Throws<SettingsException>(() => Load(configFile: file, environment: new() { ["PLUGBOARD__SUPERVISOR__CRASHBUDGET"] = "many" }));

        Assert.Contains(ex.Errors, e => e.Key == "control:port" && e.Message.Contains("0 to 65535", StringComparison.Ordinal) && e.Source == $"config file {file}");
        Assert.Contains(ex.Errors, e => e.Key == "limits:toolTimeout" && e.Message.Contains("\"soon\"", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Key == "storage:provider" && e.Message.Contains("sqlite", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Key == "supervisor:crashBudget" && e.Source == "environment variable PLUGBOARD__SUPERVISOR__CRASHBUDGET");
        Assert.Contains("docs/configuration.md", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UnknownKey_IsAnErrorWithASuggestion()
    {
        var ex = Assert.Throws<SettingsException>(() => Load(environment: new() { ["PLUGBOARD__CONTROL__PROT"] = "1", ["PLUGBOARD__LOGING__LEVEL"] = "Debug" }));

        var port = Assert.Single(ex.Errors, e => e.Key == "control:PROT");
        Assert.Contains("did you mean 'port'", port.Message, StringComparison.Ordinal);
        var logging = Assert.Single(ex.Errors, e => e.Key.StartsWith("LOGING", StringComparison.Ordinal));
        Assert.Contains("did you mean 'logging'", logging.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NonLoopbackAddressWithoutAllowRemote_IsRefused()
    {
        var ex = Assert.Throws<SettingsException>(() => Load(environment: new() { ["PLUGBOARD__CONTROL__ADDRESS"] = "0.0.0.0" }));

        var error = Assert.Single(ex.Errors);
        Assert.Equal("control:address", error.Key);
        Assert.Contains("control:allowRemote", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NonLoopbackAddressWithAllowRemote_IsAccepted()
    {
        var settings = Load(environment: new() { ["PLUGBOARD__CONTROL__ADDRESS"] = "0.0.0.0", ["PLUGBOARD__CONTROL__ALLOWREMOTE"] = "true" });

        Assert.Equal(IPAddress.Any, settings.Control.Address);
        Assert.True(settings.Control.AllowRemote);
    }

    [Fact]
    public void Load_PostgresWithoutConnectionString_NamesTheMissingSetting()
    {
        var ex = Assert.Throws<SettingsException>(() => Load(environment: new() { ["PLUGBOARD__STORAGE__PROVIDER"] = "postgres" }));

        Assert.Contains(ex.Errors, e => e.Key == "storage:connectionString");
    }

    [Fact]
    public void Load_PluginConfig_KeepsJsonTypesAndTakesEnvironmentOverrides()
    {
        var file = WriteConfig("""{ "plugins": { "acme.weather": { "config": { "units": "metric", "days": 3, "verbose": true, "cities": ["Paris", "Oslo"] } } } }""");

        var settings = Load(configFile: file, environment: new() { ["PLUGBOARD__PLUGINS__acme.weather__CONFIG__apiKey"] = "s3cret" });

        var config = settings.PluginConfig["acme.weather"];
        Assert.Equal("metric", config.GetProperty("units").GetString());
        Assert.Equal(3, config.GetProperty("days").GetInt32());
        Assert.Equal(JsonValueKind.True, config.GetProperty("verbose").ValueKind);
        Assert.Equal(["Paris", "Oslo"], config.GetProperty("cities").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("s3cret", config.GetProperty("apiKey").GetString());
    }

    [Fact]
    public void Load_PluginSectionWithBadIdOrKey_IsReported()
    {
        var file = WriteConfig("""{ "plugins": { "Not An Id": { "config": {} }, "acme.weather": { "settings": { "a": 1 } } } }""");

        var ex = Assert.Throws<SettingsException>(() => Load(configFile: file));

        Assert.Contains(ex.Errors, e => e.Key == "plugins:acme.weather:settings:a" && e.Message.Contains("\"config\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_MalformedJson_NamesTheLine()
    {
        var file = WriteConfig("{\n  \"control\": { \"port\": }\n}");

        var ex = Assert.Throws<SettingsException>(() => Load(configFile: file));

        Assert.Contains("line 2", Assert.Single(ex.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingExplicitConfigFile_SaysSo()
    {
        var ex = Assert.Throws<SettingsException>(() => Load(configFile: _temp.Combine("nope.json")));

        Assert.Contains("does not exist", Assert.Single(ex.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ReservedSections_AreAccepted()
    {
        var settings = Load(configFile: WriteConfig("""{ "$schema": "x", "bots": [{ "id": "b1" }], "box": { "enabled": false } }"""));

        Assert.NotNull(settings);
    }

    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("10s", 10_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("2m", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("00:00:03", 3_000)]
    public void DurationParser_ValidText_Parses(string text, int milliseconds)
    {
        Assert.True(DurationParser.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Theory]
    [InlineData("10")]
    [InlineData("ten seconds")]
    [InlineData("s")]
    [InlineData("")]
    public void DurationParser_InvalidText_IsRejected(string text) => Assert.False(DurationParser.TryParse(text, out _));

    private string WriteConfig(string json)
    {
        var path = _temp.Combine($"plugboard-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    private PlugboardSettings Load(string? configFile = null, Dictionary<string, string>? environment = null, string? dataDirectory = null)
    {
        environment ??= [];
        environment.TryAdd("HOME", _temp.Path);
        return SettingsLoader.Load(new SettingsRequest
        {
            ConfigFile = configFile,
            DataDirectory = dataDirectory,
            Environment = environment,
            WorkingDirectory = _temp.Path,
        });
    }
}
