using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Plugboard.Plugins.WeComBot.Tests.Infrastructure;
using Plugboard.Plugins.WeComBot.Tests.Simulator;
using Plugboard.Runtime;
using Plugboard.Runtime.Hosting;
using Plugboard.Runtime.Storage;

namespace Plugboard.Plugins.WeComBot.Tests.EndToEnd;

/// <summary>
/// A real runtime in-process with two real plugin processes, the built WeComBot plugin and the bundled Echo plugin
/// (which replies, streaming when the text starts with "stream"), plus the WeCom simulator. Shared by the end-to-end
/// tests (starting plugins is slow).
/// </summary>
public sealed class RuntimeFixture : IAsyncLifetime
{
    public const string WeComPlugin = "plugboard.wecombot";
    public const string Echo = "plugboard.echo";

    private SqliteStorage? _storage;

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "plugboard-wecom-e2e-" + Guid.NewGuid().ToString("N")[..12]);

    internal WeComSimulator Simulator { get; private set; } = null!;

    internal CapturingLoggerFactory Logs { get; } = new();

    public PlugboardRuntime Runtime { get; private set; } = null!;

    public static string PluginOutputDirectory { get; } = BuiltFolder("WeComBotPluginAssembly");

    public static string EchoOutputDirectory { get; } = BuiltFolder("EchoPluginAssembly");

    public async Task InitializeAsync()
    {
        Simulator = await WeComSimulator.StartAsync();
        var plugins = Path.Combine(Root, "plugins");
        CopyDirectory(PluginOutputDirectory, Path.Combine(plugins, WeComPlugin));
        CopyDirectory(EchoOutputDirectory, Path.Combine(plugins, Echo));

        var options = new PlugboardOptions { DataDirectory = Path.Combine(Root, "data") };
        options.PluginDirectories.Add(plugins);
        options.Supervisor.ReadyTimeout = TimeSpan.FromSeconds(60);
        options.Supervisor.ShutdownTimeout = TimeSpan.FromSeconds(5);
        options.PluginConfig[Echo] = JsonSerializer.SerializeToElement(new { streamChunkDelayMs = 0 });
        _storage = new SqliteStorage(Options.Create(new SqliteStorageOptions { DataDirectory = options.DataDirectory }));
        Runtime = new PlugboardRuntime(Options.Create(options), _storage, Logs);
        await Runtime.StartAsync();
        await Runtime.WaitUntilRunningAsync(WeComPlugin).WaitAsync(TimeSpan.FromSeconds(90));
        await Runtime.WaitUntilRunningAsync(Echo).WaitAsync(TimeSpan.FromSeconds(90));
    }

    public async Task DisposeAsync()
    {
        await Runtime.DisposeAsync();
        if (_storage is not null)
        {
            await _storage.DisposeAsync();
        }

        await Simulator.DisposeAsync();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string BuiltFolder(string key) => Path.GetDirectoryName(
        typeof(RuntimeFixture).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!)!;

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}
