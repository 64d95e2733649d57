using System.Text.Json.Serialization;

namespace Plugboard.Runtime.Plugins;

/// <summary>Where an installed plugin came from (<c>"directory"</c> or <c>"zip"</c> in the index).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PluginSourceKind>))]
public enum PluginSourceKind
{
    /// <summary>Copied from a folder.</summary>
    [JsonStringEnumMemberName("directory")]
    Directory,

    /// <summary>Extracted from a <c>.zip</c> package.</summary>
    [JsonStringEnumMemberName("zip")]
    Zip,
}

/// <summary>A plugin installed in the <see cref="PluginStore"/> (one entry of the store index).</summary>
public sealed record InstalledPlugin
{
    /// <summary>The plugin id.</summary>
    public required string Id { get; init; }

    /// <summary>The installed version.</summary>
    public required SemanticVersion Version { get; init; }

    /// <summary>The SHA-256 (lowercase hex) of the normalized content; also the name of its folder in the store.</summary>
    public required string ContentHash { get; init; }

    /// <summary>The full path of the folder or package it was installed from.</summary>
    public required string Source { get; init; }

    /// <summary>Whether it came from a folder or a zip package.</summary>
    public required PluginSourceKind SourceKind { get; init; }

    /// <summary>Whether the plugin should run.</summary>
    public required bool Enabled { get; init; }

    /// <summary>When this version was installed.</summary>
    public required DateTimeOffset InstalledAt { get; init; }

    /// <summary>The plugin folder (the one holding <c>plugin.json</c>): <c>&lt;data&gt;/plugins/store/&lt;ContentHash&gt;</c>.</summary>
    public required string Directory { get; init; }

    /// <summary>Content hashes of earlier versions whose folders are kept until <see cref="PluginStore.PruneAsync"/> or uninstall.</summary>
    public IReadOnlyList<string> RetainedContentHashes { get; init; } = [];
}

/// <summary>What an install did.</summary>
public enum PluginInstallOutcome
{
    /// <summary>The plugin was not installed before.</summary>
    Installed,

    /// <summary>A lower version was replaced.</summary>
    Upgraded,

    /// <summary>A higher version was replaced (only with <see cref="PluginInstallOptions.AllowDowngrade"/>).</summary>
    Downgraded,

    /// <summary>The same version with different content replaced the installed one.</summary>
    Reinstalled,

    /// <summary>Exactly this content was already installed; nothing changed.</summary>
    Unchanged,
}

/// <summary>The result of <see cref="PluginStore.InstallAsync"/>.</summary>
/// <param name="Plugin">The installed plugin as recorded in the index.</param>
/// <param name="Manifest">Its manifest.</param>
/// <param name="Outcome">What the install did.</param>
/// <param name="PreviousVersion">The version installed before, if any.</param>
public sealed record PluginInstallResult(InstalledPlugin Plugin, PluginManifest Manifest, PluginInstallOutcome Outcome, SemanticVersion? PreviousVersion);

/// <summary>Options of one <see cref="PluginStore.InstallAsync"/> call.</summary>
public sealed class PluginInstallOptions
{
    /// <summary>Allow replacing a higher installed version with a lower one. Default <see langword="false"/>.</summary>
    public bool AllowDowngrade { get; init; }

    /// <summary>Whether a newly installed plugin is enabled. An upgrade keeps the current setting. Default <see langword="true"/>.</summary>
    public bool Enable { get; init; } = true;

    /// <summary>Receives progress reports while the package is checked, extracted and committed.</summary>
    public IProgress<PluginInstallProgress>? Progress { get; init; }
}

/// <summary>The stage of an install.</summary>
public enum PluginInstallStage
{
    /// <summary>Reading the package directory and checking entry names, types and declared sizes.</summary>
    Checking,

    /// <summary>Extracting (or copying) files into a temporary folder.</summary>
    Extracting,

    /// <summary>Validating the manifest.</summary>
    Validating,

    /// <summary>Hashing the content.</summary>
    Hashing,

    /// <summary>Moving the content into the store and updating the index.</summary>
    Committing,

    /// <summary>Finished.</summary>
    Done,
}

/// <summary>One progress report of an install.</summary>
/// <param name="Stage">The current stage.</param>
/// <param name="FilesDone">Files extracted or copied so far.</param>
/// <param name="FilesTotal">Files to extract or copy (0 before it is known).</param>
/// <param name="BytesDone">Bytes written so far.</param>
public readonly record struct PluginInstallProgress(PluginInstallStage Stage, int FilesDone, int FilesTotal, long BytesDone);
