using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Plugboard.Runtime.Hosting;
using Plugboard.Runtime.Storage;

namespace Plugboard.Runtime.Tests.Supervision;

/// <summary>Builds plugin folders around the Python test plugin and runtimes over a temp data folder.</summary>
internal sealed class PluginFixture : IAsyncDisposable
{
    private readonly List<PlugboardRuntime> _runtimes = [];
    private readonly List<SqliteStorage> _storages = [];

    public PluginFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), "plugboard-rt-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path.Combine(Root, "plugins"));
    }

    public string Root { get; }

    public string PluginsDirectory => Path.Combine(Root, "plugins");

    public static string PythonPluginSource => Path.Combine(AppContext.BaseDirectory, "Supervision", "TestPlugin", "plugin.py");

    /// <summary>Creates a plugin folder running the Python test plugin in the given mode.</summary>
    public string AddPythonPlugin(string id, string mode = "normal", IDictionary<string, string>? env = null, string? extraConfigFields = null, bool adapter = false)
    {
        var directory = Path.Combine(PluginsDirectory, id);
        Directory.CreateDirectory(directory);
        File.Copy(PythonPluginSource, Path.Combine(directory, "plugin.py"), overwrite: true);
        var environment = new JsonObject { ["MODE"] = mode };
        foreach (var (key, value) in env ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        var manifest = new JsonObject
        {
            ["id"] = id,
            ["version"] = "1.0.0",
            ["displayName"] = "Test plugin " + id,
            ["components"] = JsonNode.Parse("""
                {"tools":[
                  {"name":"echo","description":"Echo text","parameters":{"type":"object","properties":{"text":{"type":"string"}},"required":["text"]}},
                  {"name":"slow","description":"Wait","parameters":{"type":"object","properties":{"milliseconds":{"type":"integer"}}}},
                  {"name":"cancelled_count","description":"Cancellations seen","parameters":{"type":"object"}},
                  {"name":"crash","description":"Exit","parameters":{"type":"object"}},
                  {"name":"hang","description":"Stop answering","parameters":{"type":"object"}},
                  {"name":"config","description":"Config seen","parameters":{"type":"object"}},
                  {"name":"env","description":"Environment variable names","parameters":{"type":"object"}},
                  {"name":"outbox","description":"Adapter calls received","parameters":{"type":"object"}},
                  {"name":"bots","description":"Bots started","parameters":{"type":"object"}},
                  {"name":"inject","description":"Emit a message event for a bot","parameters":{"type":"object","required":["botId"]}}
                ]}
                """),
            ["config"] = JsonNode.Parse(extraConfigFields ?? """[{"name":"priority","type":"int","default":10},{"name":"apiKey","type":"secret"}]"""),
            ["execution"] = new JsonObject
            {
                ["command"] = "python3",
                ["args"] = new JsonArray("plugin.py"),
                ["env"] = environment,
            },
        };
        if (adapter)
        {
            manifest["components"]!["adapters"] = JsonNode.Parse("""
                [{"platform":"testchat","config":[{"name":"token","type":"secret","required":true},{"name":"greeting","type":"string","default":"hi"}],
                  "events":["message.received"],"apis":["send","reply","replyStream"],"actions":[{"name":"pin"}]}]
                """);
        }

        File.WriteAllText(Path.Combine(directory, "plugin.json"), manifest.ToJsonString());
        return directory;
    }

    /// <summary>Creates and starts a runtime over the fixture's plugins folder with fast supervision timings.</summary>
    public async Task<PlugboardRuntime> StartRuntimeAsync(Action<PlugboardOptions>? configure = null, ILoggerFactory? loggers = null)
    {
        var options = new PlugboardOptions { DataDirectory = Path.Combine(Root, "data") };
        options.PluginDirectories.Add(PluginsDirectory);
        options.Supervisor.PingInterval = TimeSpan.FromMilliseconds(300);
        options.Supervisor.PingTimeout = TimeSpan.FromMilliseconds(1500);
        options.Supervisor.RestartBaseDelay = TimeSpan.FromMilliseconds(100);
        options.Supervisor.RestartMaxDelay = TimeSpan.FromMilliseconds(800);
        options.Supervisor.ReadyTimeout = TimeSpan.FromSeconds(10);
        options.Supervisor.ShutdownTimeout = TimeSpan.FromSeconds(3);
        configure?.Invoke(options);
        loggers ??= NullLoggerFactory.Instance;
        var storage = new SqliteStorage(Options.Create(new SqliteStorageOptions { DataDirectory = options.DataDirectory }));
        _storages.Add(storage);
        var runtime = new PlugboardRuntime(Options.Create(options), storage, loggers);
        _runtimes.Add(runtime);
        await runtime.StartAsync();
        return runtime;
    }

    public static async Task WaitForAsync(Func<bool> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {seconds} s waiting for {what}.");
            }

            await Task.Delay(50);
        }
    }

    public static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    public async ValueTask DisposeAsync()
    {
        foreach (var runtime in _runtimes)
        {
            await runtime.DisposeAsync();
        }

        foreach (var storage in _storages)
        {
            await storage.DisposeAsync();
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
