using System.Net;
using System.Text.Json;
using Plugboard.Runtime.Hosting;
using Plugboard.Runtime.Supervision;

namespace Plugboard.Cli.Configuration;

/// <summary>
/// The effective settings of a <c>plugboard</c> process: the config file, overridden by <c>PLUGBOARD__...</c>
/// environment variables, overridden by command-line options. Loaded and validated by <see cref="SettingsLoader"/>;
/// every key is documented in docs/configuration.md.
/// </summary>
internal sealed class PlugboardSettings
{
    /// <summary>The config file the settings came from, if any.</summary>
    public string? ConfigFile { get; init; }

    /// <summary>The data folder (absolute).</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Folders scanned for plugins (absolute).</summary>
    public IReadOnlyList<string> PluginDirectories { get; init; } = [];

    /// <summary>The storage provider.</summary>
    public PlugboardStorageProvider StorageProvider { get; init; } = PlugboardStorageProvider.Sqlite;

    /// <summary>The PostgreSQL connection string.</summary>
    public string? PostgresConnectionString { get; init; }

    /// <summary>The control endpoint.</summary>
    public required ControlSettings Control { get; init; }

    /// <summary>The debug-attach endpoint.</summary>
    public required DebugSettings Debug { get; init; }

    /// <summary>Dispatch and message limits.</summary>
    public LimitSettings Limits { get; init; } = new();

    /// <summary>Applied onto <see cref="PlugboardOptions.Supervisor"/>.</summary>
    public required Action<SupervisorOptions> ConfigureSupervisor { get; init; }

    /// <summary>Plugin configuration by plugin id.</summary>
    public IReadOnlyDictionary<string, JsonElement> PluginConfig { get; init; } = new Dictionary<string, JsonElement>();

    /// <summary>Logging.</summary>
    public LoggingSettings Logging { get; init; } = new();

    /// <summary>The file the running runtime describes itself in (addresses, pid, token files).</summary>
    public string RuntimeInfoFile => Path.Combine(DataDirectory, "runtime.json");

    /// <summary>Copies these settings onto the runtime's options.</summary>
    public void Apply(PlugboardOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.DataDirectory = DataDirectory;
        foreach (var directory in PluginDirectories)
        {
            options.PluginDirectories.Add(directory);
        }

        options.Storage = StorageProvider;
        options.PostgresConnectionString = PostgresConnectionString;
        options.ListenerTimeout = Limits.ListenerTimeout;
        options.ToolTimeout = Limits.ToolTimeout;
        options.MaxMessageSize = Limits.MaxMessageSize;
        options.MaxConcurrentRequests = Limits.MaxConcurrentRequests;
        ConfigureSupervisor(options.Supervisor);
        foreach (var (id, config) in PluginConfig)
        {
            options.PluginConfig[id] = config;
        }
    }
}

/// <summary>The control endpoint's settings (<c>control:*</c>).</summary>
internal sealed class ControlSettings
{
    /// <summary>The default port of the control, debug and health endpoints.</summary>
    public const int DefaultPort = 7420;

    /// <summary>The address Kestrel listens on. Default 127.0.0.1.</summary>
    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>The TCP port; 0 picks a free one (written to runtime.json). Default 7420.</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>Whether a non-loopback <see cref="Address"/> is allowed. Default false.</summary>
    public bool AllowRemote { get; init; }

    /// <summary>The control token file (absolute). Default <c>&lt;data&gt;/control.token</c>.</summary>
    public required string TokenFile { get; init; }
}

/// <summary>The debug-attach endpoint's settings (<c>debug:*</c>).</summary>
internal sealed class DebugSettings
{
    /// <summary>Whether <c>/debug</c> is served. Default true.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>The debug token file (absolute). Default <c>&lt;data&gt;/debug.token</c>.</summary>
    public required string TokenFile { get; init; }

    /// <summary>How long the runtime waits for a detached plugin to reattach before it starts the supervised process again. Default 30 s.</summary>
    public TimeSpan ReattachGrace { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>Dispatch and message limits (<c>limits:*</c>).</summary>
internal sealed class LimitSettings
{
    /// <summary>See <see cref="PlugboardOptions.ListenerTimeout"/>.</summary>
    public TimeSpan ListenerTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>See <see cref="PlugboardOptions.ToolTimeout"/>.</summary>
    public TimeSpan ToolTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>See <see cref="PlugboardOptions.MaxMessageSize"/>; also the limit of control and debug connections.</summary>
    public int MaxMessageSize { get; init; } = 16 * 1024 * 1024;

    /// <summary>See <see cref="PlugboardOptions.MaxConcurrentRequests"/>; also the limit of control and debug connections.</summary>
    public int MaxConcurrentRequests { get; init; } = 1024;
}

/// <summary>How the process logs (<c>logging:*</c>).</summary>
internal sealed class LoggingSettings
{
    /// <summary>The minimum level. Default Information.</summary>
    public Microsoft.Extensions.Logging.LogLevel Level { get; init; } = Microsoft.Extensions.Logging.LogLevel.Information;

    /// <summary>Console format: <c>text</c> or <c>json</c>. Default text.</summary>
    public string Format { get; init; } = "text";
}
