namespace Plugboard.Runtime.Plugins;

/// <summary>Where a discovered plugin lives.</summary>
public enum PluginOrigin
{
    /// <summary>A subfolder of one of <see cref="PluginStoreOptions.PluginDirectories"/>, run in place.</summary>
    Directory,

    /// <summary>Installed in the store.</summary>
    Store,
}

/// <summary>A plugin found by <see cref="PluginStore.DiscoverAsync"/>, ready to be started.</summary>
/// <param name="Manifest">The validated manifest.</param>
/// <param name="Directory">The plugin folder (the one holding <c>plugin.json</c>).</param>
/// <param name="Origin">Whether it runs in place or from the store.</param>
/// <param name="Enabled">Whether it should run.</param>
/// <param name="Installation">The store entry, for <see cref="PluginOrigin.Store"/>.</param>
public sealed record DiscoveredPlugin(PluginManifest Manifest, string Directory, PluginOrigin Origin, bool Enabled, InstalledPlugin? Installation);

/// <summary>A plugin that discovery skipped, and why.</summary>
/// <param name="Location">The folder (or file) concerned.</param>
/// <param name="Message">What is wrong and what to do.</param>
/// <param name="Errors">The manifest problems, when the manifest is invalid.</param>
public sealed record PluginDiscoveryIssue(string Location, string Message, IReadOnlyList<ManifestError> Errors);

/// <summary>The result of <see cref="PluginStore.DiscoverAsync"/>: the usable plugins (one per id) and what was skipped.</summary>
/// <param name="Plugins">The usable plugins, one per id, ordered by id.</param>
/// <param name="Issues">Everything skipped: bad manifests, unreadable folders, shadowed duplicates.</param>
public sealed record PluginDiscoveryResult(IReadOnlyList<DiscoveredPlugin> Plugins, IReadOnlyList<PluginDiscoveryIssue> Issues);
