using System.Text.Json.Serialization;

namespace Plugboard.Runtime.Plugins;

/// <summary>The on-disk form of <c>&lt;data&gt;/plugins/index.json</c>.</summary>
internal sealed class PluginIndexFile
{
    public const int CurrentFormatVersion = 1;

    public int FormatVersion { get; set; } = CurrentFormatVersion;

    public List<PluginIndexEntry> Plugins { get; set; } = [];

    /// <summary>Ids of plugins discovered in <see cref="PluginStoreOptions.PluginDirectories"/> that were disabled.</summary>
    public List<string> DisabledDirectoryPlugins { get; set; } = [];
}

/// <summary>One installed plugin in the index.</summary>
internal sealed class PluginIndexEntry
{
    public required string Id { get; set; }

    public required string Version { get; set; }

    public required string ContentHash { get; set; }

    public required string Source { get; set; }

    public required PluginSourceKind SourceKind { get; set; }

    public bool Enabled { get; set; } = true;

    public DateTimeOffset InstalledAt { get; set; }

    public List<string> RetainedContentHashes { get; set; } = [];
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true)]
[JsonSerializable(typeof(PluginIndexFile))]
internal sealed partial class PluginIndexJsonContext : JsonSerializerContext;
