using System.Reflection;
using Microsoft.Extensions.Options;
using Plugboard.Runtime;
using Plugboard.Runtime.Hosting;
using Plugboard.Runtime.Storage;

namespace Plugboard.Plugins.QQBot.Tests.Infrastructure;

/// <summary>
/// A real runtime in-process over a temp data folder, with the built QQBot and Echo plugins copied into its plugins
/// folder, so both run as real plugin processes (dotnet &lt;dll&gt;) on stdio JSON-RPC.
/// </summary>
internal sealed class RuntimeFixture : IAsyncDisposable
{
    public const string QQBotPluginId = "plugboard.qqbot";
    public const string EchoPluginId = "plugboard.echo";

    private readonly List<PlugboardRuntime> _runtimes = [];
    private readonly List<SqliteStorage> _storages = [];

    public RuntimeFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), "plugboard-qq-" + Guid.NewGuid().ToString("N")[..12]);
        PluginsDirectory = Path.Combine(Root, "plugins");
        Directory.CreateDirectory(PluginsDirectory);
        CopyPlugin("QQBotPluginAssembly", QQBotPluginId);
        CopyPlugin("EchoPluginAssembly", EchoPluginId);
    }

    public string Root { get; }

    public string PluginsDirectory { get; }

    public CapturingLoggerFactory Loggers { get; } = new();

    /// <summary>Starts a runtime and waits until both plugins run.</summary>
    public async Task<PlugboardRuntime> StartRuntimeAsync()
    {
        var options = new PlugboardOptions { DataDirectory = Path.Combine(Root, "data") };
        options.PluginDirectories.Add(PluginsDirectory);
        options.Supervisor.ReadyTimeout = TimeSpan.FromSeconds(60);
        var storage = new SqliteStorage(Options.Create(new SqliteStorageOptions { DataDirectory = options.DataDirectory }));
        _storages.Add(storage);
        var runtime = new PlugboardRuntime(Options.Create(options), storage, Loggers);
        _runtimes.Add(runtime);
        await runtime.StartAsync();
        await runtime.WaitUntilRunningAsync(QQBotPluginId).WaitAsync(TimeSpan.FromSeconds(90));
        await runtime.WaitUntilRunningAsync(EchoPluginId).WaitAsync(TimeSpan.FromSeconds(90));
        return runtime;
    }

    /// <summary>The runtime storage of the last started runtime.</summary>
    public IPlugboardStorage Storage => _storages[^1];

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

    private void CopyPlugin(string metadataKey, string pluginId)
    {
        var assembly = typeof(RuntimeFixture).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == metadataKey).Value!;
        var source = Path.GetDirectoryName(assembly)!;
        if (!File.Exists(Path.Combine(source, "plugin.json")))
        {
            throw new InvalidOperationException($"{source} has no plugin.json; build the solution first.");
        }

        var target = Path.Combine(PluginsDirectory, pluginId);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
    }
}
