using System.Text.Json;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Runtime.Box;
using Plugboard.Runtime.Mcp;
using Plugboard.Runtime.Supervision;

namespace Plugboard.Runtime.Hosting;

/// <summary>Where the runtime keeps its data.</summary>
public enum PlugboardStorageProvider
{
    /// <summary>An embedded SQLite file in the data folder (the default).</summary>
    Sqlite,

    /// <summary>A PostgreSQL database (<see cref="PlugboardOptions.PostgresConnectionString"/>).</summary>
    Postgres,
}

/// <summary>Settings of the embedded Plugboard runtime. Every property has a documented default.</summary>
public sealed class PlugboardOptions
{
    /// <summary>The runtime's data folder (storage, installed plugins, per-plugin data). Default: <c>~/.local/share/plugboard</c>.</summary>
    public string DataDirectory { get; set; } = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), "plugboard");

    /// <summary>Folders scanned for plugins: each subfolder holding a <c>plugin.json</c> (or the folder itself) is one plugin. Default: none.</summary>
    public IList<string> PluginDirectories { get; } = [];

    /// <summary>The storage provider. Default: <see cref="PlugboardStorageProvider.Sqlite"/>.</summary>
    public PlugboardStorageProvider Storage { get; set; } = PlugboardStorageProvider.Sqlite;

    /// <summary>The PostgreSQL connection string when <see cref="Storage"/> is <see cref="PlugboardStorageProvider.Postgres"/>.</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>Supervision timings, restart backoff, crash budget and the environment allowlist.</summary>
    public SupervisorOptions Supervisor { get; } = new();

    /// <summary>How long one listener may take with one event before the next listener runs. Default 10 s.</summary>
    public TimeSpan ListenerTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a tool invocation may take unless the caller gives its own timeout. Default 60 s.</summary>
    public TimeSpan ToolTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The largest JSON-RPC message exchanged with a plugin. Default 16 MiB.</summary>
    public int MaxMessageSize { get; set; } = JsonRpcConnectionOptions.DefaultMaxMessageSize;

    /// <summary>The most requests in flight per plugin connection, each way. Default 1024.</summary>
    public int MaxConcurrentRequests { get; set; } = 1024;

    /// <summary>Plugin configuration by plugin id (a JSON object validated against the manifest's config fields).</summary>
    public IDictionary<string, JsonElement> PluginConfig { get; } = new Dictionary<string, JsonElement>(StringComparer.Ordinal);

    /// <summary>Whether enabled plugins start with the runtime. Default true.</summary>
    public bool StartPlugins { get; set; } = true;

    /// <summary>
    /// Whether the runtime creates its default bots (<see cref="Bots.DefaultBots"/>: the <c>webchat</c> bot on the
    /// bundled web chat adapter) at start, once per data folder. Default false; <c>plugboard run</c> turns it on.
    /// </summary>
    public bool SeedDefaultBots { get; set; }

    /// <summary>Hosted MCP servers and what Plugboard's own MCP server exposes (see docs/mcp.md).</summary>
    public McpOptions Mcp { get; } = new();

    /// <summary>The Box (sandbox process) and the sandbox tools; off unless <see cref="PlugboardBoxOptions.Enabled"/> (see docs/box.md).</summary>
    public PlugboardBoxOptions Box { get; } = new();

    /// <summary>Returns every problem with these options, each naming the setting.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            errors.Add("DataDirectory must be set to a writable folder.");
        }

        if (Storage == PlugboardStorageProvider.Postgres && string.IsNullOrWhiteSpace(PostgresConnectionString))
        {
            errors.Add("PostgresConnectionString is required when Storage is Postgres (e.g. \"Host=127.0.0.1;Username=plugboard;Password=...;Database=plugboard\").");
        }

        for (var i = 0; i < PluginDirectories.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(PluginDirectories[i]))
            {
                errors.Add($"PluginDirectories[{i}] is empty.");
            }
        }

        if (ListenerTimeout <= TimeSpan.Zero)
        {
            errors.Add($"ListenerTimeout must be positive (got {ListenerTimeout}).");
        }

        if (ToolTimeout <= TimeSpan.Zero)
        {
            errors.Add($"ToolTimeout must be positive (got {ToolTimeout}).");
        }

        if (MaxMessageSize < 1024)
        {
            errors.Add($"MaxMessageSize must be at least 1024 bytes (got {MaxMessageSize}).");
        }

        if (MaxConcurrentRequests < 1)
        {
            errors.Add($"MaxConcurrentRequests must be at least 1 (got {MaxConcurrentRequests}).");
        }

        foreach (var (id, config) in PluginConfig)
        {
            if (config.ValueKind != JsonValueKind.Object)
            {
                errors.Add($"PluginConfig[{id}] must be a JSON object (got {config.ValueKind}).");
            }
        }

        Supervisor.Validate(errors);
        Box.Validate(errors);
        errors.AddRange(Mcp.Validate());
        return errors;
    }
}
