using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Plugboard.Runtime;
using Plugboard.Runtime.Bots;
using Plugboard.Runtime.Hosting;
using Plugboard.Runtime.Storage;

namespace Plugboard.Plugins.Tests.Infrastructure;

/// <summary>
/// A real runtime (in this process) over a temp data folder, running the bundled WebChat and Echo plugins from
/// plugins/ next to the test assembly as real processes.
/// </summary>
internal sealed class PluginHost : IAsyncDisposable
{
    public const string WebChat = "plugboard.webchat";
    public const string Echo = "plugboard.echo";

    private readonly SqliteStorage _storage;
    private readonly bool _ownsRoot;

    private PluginHost(string root, bool ownsRoot, PlugboardRuntime runtime, SqliteStorage storage, CapturingLoggerFactory loggers)
    {
        Root = root;
        _ownsRoot = ownsRoot;
        Runtime = runtime;
        _storage = storage;
        Loggers = loggers;
    }

    /// <summary>Where the build put the bundled plugins (plugins/&lt;id&gt;/).</summary>
    public static string BundledPlugins => Path.Combine(AppContext.BaseDirectory, "plugins");

    public string Root { get; }

    public PlugboardRuntime Runtime { get; }

    public CapturingLoggerFactory Loggers { get; }

    /// <summary>Starts a runtime; a given <paramref name="root"/> is kept afterwards (to start again over the same data).</summary>
    /// <param name="configure">Changes the runtime options.</param>
    /// <param name="root">The data root; default a fresh temp folder deleted at the end.</param>
    /// <param name="plugins">The plugin folder; default <see cref="BundledPlugins"/>.</param>
    public static async Task<PluginHost> StartAsync(Action<PlugboardOptions>? configure = null, string? root = null, string? plugins = null)
    {
        var ownsRoot = root is null;
        plugins ??= BundledPlugins;
        if (!File.Exists(Path.Combine(plugins, WebChat, "plugin.json")) || !File.Exists(Path.Combine(plugins, Echo, "plugin.json")))
        {
            throw new InvalidOperationException($"The bundled plugins are missing under {plugins}; build tests/Plugboard.Plugins.Tests with its csproj (its BundlePlugins target copies them).");
        }

        root ??= Path.Combine(Path.GetTempPath(), "plugboard-chat-" + Guid.NewGuid().ToString("N")[..12]);
        var options = new PlugboardOptions { DataDirectory = Path.Combine(root, "data") };
        options.PluginDirectories.Add(plugins);
        options.Supervisor.RestartBaseDelay = TimeSpan.FromMilliseconds(100);
        options.Supervisor.RestartMaxDelay = TimeSpan.FromMilliseconds(800);
        options.Supervisor.ReadyTimeout = TimeSpan.FromSeconds(30);
        options.Supervisor.ShutdownTimeout = TimeSpan.FromSeconds(5);
        configure?.Invoke(options);
        var loggers = new CapturingLoggerFactory();
        var storage = new SqliteStorage(Options.Create(new SqliteStorageOptions { DataDirectory = options.DataDirectory }));
        var runtime = new PlugboardRuntime(Options.Create(options), storage, loggers);
        var host = new PluginHost(root, ownsRoot, runtime, storage, loggers);
        await runtime.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await runtime.WaitUntilRunningAsync(WebChat, timeout.Token);
            await runtime.WaitUntilRunningAsync(Echo, timeout.Token);
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException($"The bundled plugins did not start: {ex.Message}{Environment.NewLine}{host.Diagnostics()}", ex);
        }

        return host;
    }

    /// <summary>Adds a web chat bot (default route: all listeners), waits until it runs, returns its chat URL.</summary>
    public async Task<Uri> AddWebChatBotAsync(string botId = "chat", string config = "{}")
    {
        await Runtime.AddBotAsync(new BotDefinition(botId, "Chat " + botId, WebChat, "webchat", Json(config)));
        await WaitForBotAsync(botId, "Running");
        return await ChatUrlAsync(botId);
    }

    public async Task WaitForBotAsync(string botId, string state, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (Runtime.GetBot(botId).State != state)
        {
            if (DateTime.UtcNow > deadline)
            {
                var bot = Runtime.GetBot(botId);
                throw new TimeoutException($"Bot {botId} is {bot.State} ({bot.LastError}), not {state}, after {seconds} s.{Environment.NewLine}{Diagnostics()}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>The chat URL of a bot, from the plugin's <c>webchat_url</c> tool.</summary>
    public async Task<Uri> ChatUrlAsync(string botId)
    {
        var result = await Runtime.InvokeToolAsync(WebChat + "/webchat_url", Json($$"""{"botId":"{{botId}}"}"""));
        var bot = result.GetProperty("bots").EnumerateArray().Single();
        return new Uri(bot.GetProperty("url").GetString()!);
    }

    public string Diagnostics()
        => string.Join(Environment.NewLine, [
            "--- runtime log ---",
            .. Loggers.Lines.TakeLast(60),
            "--- webchat stderr ---",
            .. Runtime.GetPluginLogs(WebChat, 40),
            "--- echo stderr ---",
            .. Runtime.GetPluginLogs(Echo, 40),
        ]);

    public static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    /// <summary>Copies the bundled plugins into <paramref name="target"/>, letting <paramref name="editWebChatManifest"/> change WebChat's plugin.json.</summary>
    public static string CopyBundledPlugins(string target, Action<System.Text.Json.Nodes.JsonObject> editWebChatManifest)
    {
        foreach (var file in Directory.EnumerateFiles(BundledPlugins, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(BundledPlugins, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination, overwrite: true);
        }

        var manifestPath = Path.Combine(target, WebChat, "plugin.json");
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifestPath))!.AsObject();
        editWebChatManifest(manifest);
        File.WriteAllText(manifestPath, manifest.ToJsonString());
        return target;
    }

    public async ValueTask DisposeAsync()
    {
        await Runtime.DisposeAsync();
        await _storage.DisposeAsync();
        if (!_ownsRoot)
        {
            return;
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

/// <summary>Keeps the runtime's log lines for failure messages.</summary>
internal sealed class CapturingLoggerFactory : ILoggerFactory
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IEnumerable<string> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(string category, CapturingLoggerFactory owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            owner._lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)}{(exception is null ? string.Empty : " " + exception.Message)}");
            while (owner._lines.Count > 2000)
            {
                owner._lines.TryDequeue(out _);
            }
        }
    }
}
