namespace Plugboard.Runtime.Plugins;

/// <summary>
/// The parsed and validated content of a plugin's <c>plugin.json</c>: identity, display information, the components
/// the plugin provides, its configuration fields and how to start it. Load one with <see cref="ManifestLoader"/>.
/// </summary>
/// <remarks>The published JSON Schema is <c>docs/schemas/plugin.schema.json</c> (also <see cref="PluginManifestSchema"/>).</remarks>
public sealed class PluginManifest
{
    /// <summary>The manifest's file name inside a plugin folder: <c>plugin.json</c>.</summary>
    public const string FileName = "plugin.json";

    /// <summary>
    /// The plugin id: lowercase, dot-separated segments of letters, digits and <c>-</c>, at least two segments,
    /// e.g. <c>acme.weather</c> (pattern <see cref="ManifestLoader.IdPattern"/>).
    /// </summary>
    public required string Id { get; init; }

    /// <summary>The plugin version (Semantic Versioning 2.0.0).</summary>
    public required SemanticVersion Version { get; init; }

    /// <summary>The name shown to people.</summary>
    public required string DisplayName { get; init; }

    /// <summary>What the plugin does, in one or two sentences.</summary>
    public string? Description { get; init; }

    /// <summary>Who wrote the plugin.</summary>
    public string? Author { get; init; }

    /// <summary>An absolute http(s) URL of the plugin's home page.</summary>
    public string? Homepage { get; init; }

    /// <summary>A path inside the plugin folder to an icon (e.g. <c>assets/icon.svg</c>).</summary>
    public string? Icon { get; init; }

    /// <summary>The lowest runtime protocol version the plugin works with, <c>MAJOR.MINOR</c> (e.g. <c>1.0</c>).</summary>
    public string? MinProtocolVersion { get; init; }

    /// <summary>The listeners, tools, commands and adapters the plugin provides.</summary>
    public PluginComponents Components { get; init => field = value ?? new(); } = new();

    /// <summary>The plugin's configuration fields.</summary>
    public IReadOnlyList<ConfigField> Config { get; init => field = value ?? []; } = [];

    /// <summary>How the runtime starts the plugin process.</summary>
    public required PluginExecution Execution { get; init; }
}
