using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Plugboard.Runtime;
using Plugboard.Runtime.Hosting;
using Plugboard.Runtime.Mcp;
using Plugboard.Runtime.Storage;

namespace Plugboard.Mcp.Tests.Infrastructure;

/// <summary>Runtimes over a temp data folder with fast supervision timings, and definitions of the real MCP servers.</summary>
public sealed class McpRuntimeFixture : IAsyncDisposable
{
    private readonly List<PlugboardRuntime> _runtimes = [];
    private readonly List<SqliteStorage> _storages = [];

    public McpRuntimeFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), "plugboard-mcp-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string DataDirectory => Path.Combine(Root, "data");

    /// <summary>server-everything over stdio on the host.</summary>
    public static McpServerDefinition Everything(string name = "everything") => new()
    {
        Name = name,
        Command = NodeServers.Node,
        Arguments = [NodeServers.Everything, "stdio"],
        Location = McpServerLocation.Host,
    };

    /// <summary>server-filesystem over stdio on the host, allowed into <paramref name="directory"/>.</summary>
    public static McpServerDefinition Filesystem(string directory, string name = "files") => new()
    {
        Name = name,
        Command = NodeServers.Node,
        Arguments = [NodeServers.Filesystem, directory],
        Location = McpServerLocation.Host,
    };

    /// <summary>The fixture server over stdio on the host.</summary>
    public static McpServerDefinition FixtureServer(string name = "fixture", string mode = "normal", IReadOnlyDictionary<string, string>? environment = null)
    {
        var env = new Dictionary<string, string>(environment ?? new Dictionary<string, string>(), StringComparer.Ordinal) { ["FIXTURE_MODE"] = mode };
        return new()
        {
            Name = name,
            Command = NodeServers.Node,
            Arguments = [NodeServers.Fixture],
            Environment = env,
            Location = McpServerLocation.Host,
        };
    }

    /// <summary>Creates and starts a runtime (no plugins) with fast supervision timings.</summary>
    public async Task<PlugboardRuntime> StartRuntimeAsync(Action<PlugboardOptions>? configure = null, ILoggerFactory? loggers = null, string? dataDirectory = null)
    {
        var options = new PlugboardOptions { DataDirectory = dataDirectory ?? DataDirectory };
        options.Supervisor.PingInterval = TimeSpan.FromMilliseconds(500);
        options.Supervisor.PingTimeout = TimeSpan.FromSeconds(10);
        options.Supervisor.RestartBaseDelay = TimeSpan.FromMilliseconds(100);
        options.Supervisor.RestartMaxDelay = TimeSpan.FromMilliseconds(800);
        options.Supervisor.ReadyTimeout = TimeSpan.FromSeconds(60);
        options.Supervisor.ShutdownTimeout = TimeSpan.FromSeconds(5);
        configure?.Invoke(options);
        var storage = new SqliteStorage(Options.Create(new SqliteStorageOptions { DataDirectory = options.DataDirectory }));
        _storages.Add(storage);
        var runtime = new PlugboardRuntime(Options.Create(options), storage, loggers ?? TestLog.Create());
        _runtimes.Add(runtime);
        await runtime.StartAsync();
        return runtime;
    }

    /// <summary>Adds a server and waits until it runs.</summary>
    public static async Task<McpServerStatus> AddRunningAsync(PlugboardRuntime runtime, McpServerDefinition definition)
    {
        await runtime.AddMcpServerAsync(definition);
        await WaitRunningAsync(runtime, definition.Name);
        return runtime.GetMcpServer(definition.Name);
    }

    /// <summary>Waits until a server runs, failing with its state, last error and stderr otherwise.</summary>
    public static async Task WaitRunningAsync(PlugboardRuntime runtime, string name, int seconds = 120)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try
        {
            await runtime.WaitUntilMcpServerRunningAsync(name, timeout.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or Protocol.JsonRpc.JsonRpcException)
        {
            var status = runtime.GetMcpServer(name);
            throw new InvalidOperationException($"MCP server {name} is {status.State} (last error: {status.LastError}); stderr:{Environment.NewLine}{string.Join(Environment.NewLine, runtime.GetMcpServerLogs(name, 30))}", ex);
        }
    }

    public static async Task WaitForAsync(Func<bool> condition, string what, int seconds = 60)
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

    /// <summary>The text of the first text content block of an MCP <c>CallToolResult</c>.</summary>
    public static string Text(JsonElement callToolResult)
        => callToolResult.GetProperty("content").EnumerateArray().First(c => c.GetProperty("type").GetString() == "text").GetProperty("text").GetString()!;

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
        catch (UnauthorizedAccessException)
        {
        }
    }
}
