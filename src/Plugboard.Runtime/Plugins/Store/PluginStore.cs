using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Plugboard.Runtime.Plugins;

/// <summary>
/// Finds plugins (in <see cref="PluginStoreOptions.PluginDirectories"/> and in the store) and installs, upgrades,
/// enables, disables and uninstalls plugins in a content-addressed store under the runtime's data folder.
/// </summary>
/// <remarks>
/// <para>Layout under <c>&lt;DataDirectory&gt;/plugins/</c>:</para>
/// <list type="bullet">
/// <item><c>store/&lt;sha256&gt;/</c> — installed content, named by the hash of its normalized files (see docs/plugins.md).</item>
/// <item><c>data/&lt;id&gt;/</c> — each plugin's own data, created on demand, kept on uninstall unless asked.</item>
/// <item><c>index.json</c> — id → version, content hash, source, enabled flag, install time; replaced atomically.</item>
/// <item><c>staging/</c> — private temporary folders of installs in progress; removed on failure.</item>
/// <item><c>.lock</c> — held while the index changes, so several processes can share one store.</item>
/// </list>
/// <para>
/// Installs are all-or-nothing: a package is extracted into a staging folder with every limit enforced while the bytes
/// are written, its manifest is validated, and only then is the folder moved into the store and the index replaced.
/// Every method is safe to call concurrently, also from several processes.
/// </para>
/// </remarks>
public sealed class PluginStore
{
    private static readonly TimeSpan StaleStagingAge = TimeSpan.FromHours(1);

    private readonly PluginStoreOptions _options;
    private readonly ILogger<PluginStore> _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly string _indexPath;
    private readonly string _lockPath;
    private readonly string _contentRoot;
    private readonly string _dataRoot;
    private readonly string _stagingRoot;

    /// <summary>Creates the store.</summary>
    /// <param name="options">Store location, discovery folders and package limits.</param>
    /// <param name="logger">The logger.</param>
    /// <exception cref="InvalidOperationException">An option is missing or out of range.</exception>
    public PluginStore(IOptions<PluginStoreOptions> options, ILogger<PluginStore> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options.Value;
        _options.Validate();
        _logger = logger;
        RootDirectory = Path.GetFullPath(Path.Combine(_options.DataDirectory, "plugins"));
        _indexPath = Path.Combine(RootDirectory, "index.json");
        _lockPath = Path.Combine(RootDirectory, ".lock");
        _contentRoot = Path.Combine(RootDirectory, "store");
        _dataRoot = Path.Combine(RootDirectory, "data");
        _stagingRoot = Path.Combine(RootDirectory, "staging");
    }

    /// <summary>The store's root folder: <c>&lt;DataDirectory&gt;/plugins</c>.</summary>
    public string RootDirectory { get; }

    /// <summary>
    /// Installs a plugin from a folder or a <c>.zip</c> package. Installing the same content again changes nothing;
    /// installing another version of an installed id replaces its index entry (the old content folder is kept until
    /// <see cref="PruneAsync"/> or <see cref="UninstallAsync"/>).
    /// </summary>
    /// <param name="source">A plugin folder (holding <c>plugin.json</c>) or a <c>.zip</c> package (with <c>plugin.json</c> at its root or in a single top-level folder).</param>
    /// <param name="options">Downgrade permission, initial enabled state and progress reporting; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Cancels the install; nothing is left behind.</param>
    /// <returns>The installed plugin, its manifest and what the install did.</returns>
    /// <exception cref="PluginInstallException">The install failed; <see cref="PluginInstallException.Kind"/> says why. Nothing was changed.</exception>
    public async Task<PluginInstallResult> InstallAsync(string source, PluginInstallOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        options ??= new PluginInstallOptions();
        var fullSource = Path.GetFullPath(source);
        PluginSourceKind kind;
        if (Directory.Exists(fullSource))
        {
            kind = PluginSourceKind.Directory;
        }
        else if (File.Exists(fullSource))
        {
            kind = fullSource.EndsWith(".zip", StringComparison.OrdinalIgnoreCase)
                ? PluginSourceKind.Zip
                : throw Rejected(fullSource, new PluginInstallException(PluginInstallErrorKind.UnsupportedSource,
                    $"'{fullSource}' is neither a folder nor a .zip package; pass a plugin folder or a .zip file."));
        }
        else
        {
            throw Rejected(fullSource, new PluginInstallException(PluginInstallErrorKind.SourceNotFound,
                $"'{fullSource}' does not exist; check the path of the plugin folder or package."));
        }

        var staging = Path.Combine(_stagingRoot, Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(staging);
            var extractor = new PackageExtractor(_options, options.Progress);
            if (kind == PluginSourceKind.Zip)
            {
                await extractor.ExtractZipAsync(fullSource, staging, cancellationToken);
            }
            else
            {
                await extractor.CopyDirectoryAsync(fullSource, staging, cancellationToken);
            }

            options.Progress?.Report(new PluginInstallProgress(PluginInstallStage.Validating, 0, 0, extractor.BytesWritten));
            var contentRoot = FindContentRoot(staging);
            var manifest = LoadPackageManifest(contentRoot);

            options.Progress?.Report(new PluginInstallProgress(PluginInstallStage.Hashing, 0, 0, extractor.BytesWritten));
            var hash = await ContentHasher.HashDirectoryAsync(contentRoot, cancellationToken);

            options.Progress?.Report(new PluginInstallProgress(PluginInstallStage.Committing, 0, 0, extractor.BytesWritten));
            var result = await CommitAsync(manifest, contentRoot, hash, fullSource, kind, options, cancellationToken);
            options.Progress?.Report(new PluginInstallProgress(PluginInstallStage.Done, 0, 0, extractor.BytesWritten));
            PluginStoreLog.Installed(_logger, manifest.Id, manifest.Version.ToString(), fullSource, hash, result.Outcome);
            return result;
        }
        catch (PluginInstallException ex)
        {
            PluginStoreLog.PackageRejected(_logger, fullSource, ex.Kind, ex.Message);
            throw;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Rejected(fullSource, new PluginInstallException(PluginInstallErrorKind.IOError,
                $"Installing from '{fullSource}' failed: {ex.Message}. Check free disk space and permissions of '{RootDirectory}', then try again.", null, ex));
        }
        finally
        {
            TryDelete(staging);
        }
    }

    /// <summary>Removes an installed plugin: its index entry and its content folders (current and retained versions).</summary>
    /// <param name="id">The plugin id.</param>
    /// <param name="deleteData">Also delete the plugin's data folder (<see cref="GetDataDirectory"/>). Default: keep it.</param>
    /// <param name="cancellationToken">Cancels waiting for the store lock.</param>
    /// <returns>The entry that was removed.</returns>
    /// <exception cref="PluginInstallException"><see cref="PluginInstallErrorKind.NotInstalled"/> when no such plugin is installed.</exception>
    public async Task<InstalledPlugin> UninstallAsync(string id, bool deleteData = false, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        InstalledPlugin removed;
        List<string> folders;
        using (await LockAsync(cancellationToken))
        {
            var index = ReadIndex();
            var entry = index.Plugins.Find(p => p.Id == id)
                ?? throw new PluginInstallException(PluginInstallErrorKind.NotInstalled,
                    $"No plugin '{id}' is installed in the store; list the installed plugins to check the id. "
                    + "(Plugins found in PluginStoreOptions.PluginDirectories are removed by deleting their folder.)");
            index.Plugins.Remove(entry);
            WriteIndex(index);
            removed = ToInstalled(entry);
            var stillUsed = index.Plugins.SelectMany(p => p.RetainedContentHashes.Append(p.ContentHash)).ToHashSet(StringComparer.Ordinal);
            folders = entry.RetainedContentHashes.Append(entry.ContentHash).Where(h => !stillUsed.Contains(h)).ToList();
        }

        foreach (var hash in folders)
        {
            TryDelete(Path.Combine(_contentRoot, hash));
        }

        if (deleteData)
        {
            TryDelete(DataDirectoryPath(id));
        }

        PluginStoreLog.Uninstalled(_logger, id, deleteData ? "deleted" : "kept");
        return removed;
    }

    /// <summary>Enables or disables a plugin; the setting is persisted in the index. Works for installed plugins and for plugins found in <see cref="PluginStoreOptions.PluginDirectories"/>.</summary>
    /// <param name="id">The plugin id.</param>
    /// <param name="enabled">Whether the plugin should run.</param>
    /// <param name="cancellationToken">Cancels waiting for the store lock.</param>
    /// <returns>A task that completes when the setting is saved.</returns>
    /// <exception cref="PluginInstallException"><see cref="PluginInstallErrorKind.NotInstalled"/> when no plugin has that id.</exception>
    public async Task SetEnabledAsync(string id, bool enabled, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        using (await LockAsync(cancellationToken))
        {
            var index = ReadIndex();
            var entry = index.Plugins.Find(p => p.Id == id);
            if (entry is not null)
            {
                entry.Enabled = enabled;
            }
            else if (ScanDirectories([]).Any(p => p.Manifest.Id == id))
            {
                index.DisabledDirectoryPlugins.Remove(id);
                if (!enabled)
                {
                    index.DisabledDirectoryPlugins.Add(id);
                    index.DisabledDirectoryPlugins.Sort(StringComparer.Ordinal);
                }
            }
            else
            {
                throw new PluginInstallException(PluginInstallErrorKind.NotInstalled,
                    $"No plugin '{id}' is installed or found in the plugin folders; check the id.");
            }

            WriteIndex(index);
        }

        PluginStoreLog.EnabledChanged(_logger, id, enabled ? "enabled" : "disabled");
    }

    /// <summary>Lists the plugins installed in the store, ordered by id.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The index entries.</returns>
    /// <exception cref="PluginInstallException"><see cref="PluginInstallErrorKind.IndexCorrupt"/> when the index cannot be read.</exception>
    public Task<IReadOnlyList<InstalledPlugin>> ListInstalledAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        IReadOnlyList<InstalledPlugin> list = [.. ReadIndex().Plugins.OrderBy(p => p.Id, StringComparer.Ordinal).Select(ToInstalled)];
        return Task.FromResult(list);
    }

    /// <summary>Gets one installed plugin.</summary>
    /// <param name="id">The plugin id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The index entry, or <see langword="null"/> when the plugin is not installed.</returns>
    public async Task<InstalledPlugin?> GetInstalledAsync(string id, CancellationToken cancellationToken = default)
        => (await ListInstalledAsync(cancellationToken)).FirstOrDefault(p => p.Id == id);

    /// <summary>
    /// Finds every usable plugin: subfolders with a <c>plugin.json</c> in <see cref="PluginStoreOptions.PluginDirectories"/>
    /// and the plugins installed in the store. Bad manifests, unreadable folders and duplicate ids are reported as
    /// issues and skipped; the scan itself never fails. When an id appears more than once the highest version wins
    /// (on a tie, the first configured folder, then the store).
    /// </summary>
    /// <param name="cancellationToken">Cancels the scan.</param>
    /// <returns>The plugins (one per id, ordered by id) and the issues.</returns>
    public Task<PluginDiscoveryResult> DiscoverAsync(CancellationToken cancellationToken = default)
    {
        var issues = new List<PluginDiscoveryIssue>();
        PluginIndexFile index;
        try
        {
            index = ReadIndex();
        }
        catch (PluginInstallException ex)
        {
            issues.Add(new PluginDiscoveryIssue(_indexPath, ex.Message, []));
            index = new PluginIndexFile();
        }

        var candidates = ScanDirectories(issues)
            .Select(p => p with { Enabled = !index.DisabledDirectoryPlugins.Contains(p.Manifest.Id) })
            .ToList();
        foreach (var entry in index.Plugins.OrderBy(p => p.Id, StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var installed = ToInstalled(entry);
            try
            {
                var manifest = ManifestLoader.LoadFromDirectory(installed.Directory);
                if (manifest.Id != entry.Id)
                {
                    issues.Add(new PluginDiscoveryIssue(installed.Directory,
                        $"The store folder of '{entry.Id}' holds plugin '{manifest.Id}'; the store was modified by hand. Reinstall '{entry.Id}'.", []));
                    continue;
                }

                candidates.Add(new DiscoveredPlugin(manifest, installed.Directory, PluginOrigin.Store, entry.Enabled, installed));
            }
            catch (ManifestValidationException ex)
            {
                issues.Add(new PluginDiscoveryIssue(installed.Directory, $"The installed plugin '{entry.Id}' has an invalid manifest; reinstall it. {ex.Message}", ex.Errors));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                issues.Add(new PluginDiscoveryIssue(installed.Directory,
                    $"The installed plugin '{entry.Id}' cannot be read ({ex.Message}); reinstall it.", []));
            }
        }

        var plugins = new List<DiscoveredPlugin>();
        foreach (var group in candidates.GroupBy(c => c.Manifest.Id, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var ordered = group.Select((c, i) => (Candidate: c, Order: i))
                .OrderByDescending(c => c.Candidate.Manifest.Version)
                .ThenBy(c => c.Order)
                .Select(c => c.Candidate)
                .ToList();
            var winner = ordered[0];
            plugins.Add(winner);
            foreach (var loser in ordered.Skip(1))
            {
                issues.Add(new PluginDiscoveryIssue(loser.Directory,
                    $"'{loser.Manifest.Id}' {loser.Manifest.Version} here is shadowed by {winner.Manifest.Version} at '{winner.Directory}' "
                    + "(the highest version wins); remove one of them.", []));
            }
        }

        foreach (var issue in issues)
        {
            PluginStoreLog.DiscoveryIssue(_logger, issue.Location, issue.Message);
        }

        PluginStoreLog.Discovered(_logger, plugins.Count, issues.Count);
        return Task.FromResult(new PluginDiscoveryResult(plugins, issues));
    }

    /// <summary>Returns (and creates on first use) the plugin's private data folder, <c>&lt;data&gt;/plugins/data/&lt;id&gt;/</c>.</summary>
    /// <param name="id">The plugin id.</param>
    /// <returns>The full path of the folder.</returns>
    /// <exception cref="ArgumentException"><paramref name="id"/> is not a valid plugin id.</exception>
    public string GetDataDirectory(string id)
    {
        var path = DataDirectoryPath(id);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>
    /// Deletes content folders no installed plugin uses (earlier versions kept after upgrades) and staging folders
    /// left behind by crashed installs.
    /// </summary>
    /// <param name="cancellationToken">Cancels waiting for the store lock.</param>
    /// <returns>The number of content folders deleted.</returns>
    public async Task<int> PruneAsync(CancellationToken cancellationToken = default)
    {
        var removed = 0;
        using (await LockAsync(cancellationToken))
        {
            var index = ReadIndex();
            if (index.Plugins.Any(p => p.RetainedContentHashes.Count > 0))
            {
                index.Plugins.ForEach(p => p.RetainedContentHashes.Clear());
                WriteIndex(index);
            }

            var used = index.Plugins.Select(p => p.ContentHash).ToHashSet(StringComparer.Ordinal);
            if (Directory.Exists(_contentRoot))
            {
                foreach (var folder in Directory.EnumerateDirectories(_contentRoot))
                {
                    if (!used.Contains(Path.GetFileName(folder)) && TryDelete(folder))
                    {
                        removed++;
                    }
                }
            }

            if (Directory.Exists(_stagingRoot))
            {
                foreach (var folder in Directory.EnumerateDirectories(_stagingRoot))
                {
                    if (DateTime.UtcNow - Directory.GetLastWriteTimeUtc(folder) > StaleStagingAge)
                    {
                        TryDelete(folder);
                    }
                }
            }
        }

        PluginStoreLog.Pruned(_logger, removed);
        return removed;
    }

    private async Task<PluginInstallResult> CommitAsync(
        PluginManifest manifest, string contentRoot, string hash, string source, PluginSourceKind kind, PluginInstallOptions options, CancellationToken cancellationToken)
    {
        using (await LockAsync(cancellationToken))
        {
            var index = ReadIndex();
            var existing = index.Plugins.Find(p => p.Id == manifest.Id);
            SemanticVersion? previous = existing is null ? null : SemanticVersion.Parse(existing.Version);
            if (previous is not null && manifest.Version < previous && !options.AllowDowngrade)
            {
                throw new PluginInstallException(PluginInstallErrorKind.DowngradeRefused,
                    $"'{manifest.Id}' {previous} is installed; refusing to replace it with the older {manifest.Version}. "
                    + "Uninstall it first, or install with AllowDowngrade.");
            }

            var target = Path.Combine(_contentRoot, hash);
            if (!Directory.Exists(target))
            {
                Directory.CreateDirectory(_contentRoot);
                Directory.Move(contentRoot, target);
            }

            if (existing is not null && existing.ContentHash == hash)
            {
                return new PluginInstallResult(ToInstalled(existing), manifest, PluginInstallOutcome.Unchanged, previous);
            }

            var outcome = previous is null ? PluginInstallOutcome.Installed
                : manifest.Version > previous ? PluginInstallOutcome.Upgraded
                : manifest.Version < previous ? PluginInstallOutcome.Downgraded
                : PluginInstallOutcome.Reinstalled;
            var retained = existing?.RetainedContentHashes.Append(existing.ContentHash).Where(h => h != hash).Distinct().ToList() ?? [];
            var entry = new PluginIndexEntry
            {
                Id = manifest.Id,
                Version = manifest.Version.ToString(),
                ContentHash = hash,
                Source = source,
                SourceKind = kind,
                Enabled = existing?.Enabled ?? options.Enable,
                InstalledAt = DateTimeOffset.UtcNow,
                RetainedContentHashes = retained,
            };
            if (existing is not null)
            {
                index.Plugins.Remove(existing);
            }

            index.Plugins.Add(entry);
            WriteIndex(index);
            return new PluginInstallResult(ToInstalled(entry), manifest, outcome, previous);
        }
    }

    private static string FindContentRoot(string staging)
    {
        if (File.Exists(Path.Combine(staging, PluginManifest.FileName)))
        {
            return staging;
        }

        // Zips made by "compress this folder" wrap everything in one top-level folder.
        var directories = Directory.GetDirectories(staging);
        return directories.Length == 1 && Directory.GetFiles(staging).Length == 0 && File.Exists(Path.Combine(directories[0], PluginManifest.FileName))
            ? directories[0]
            : throw new PluginInstallException(PluginInstallErrorKind.ManifestMissing,
                "The package has no plugin.json at its root (or inside a single top-level folder). Add the manifest next to the plugin's files; see docs/plugins.md.");
    }

    private static PluginManifest LoadPackageManifest(string contentRoot)
    {
        try
        {
            return ManifestLoader.LoadFromDirectory(contentRoot);
        }
        catch (ManifestValidationException ex)
        {
            var problems = string.Concat(ex.Errors.Select(e => Environment.NewLine + "  " + e));
            throw new PluginInstallException(PluginInstallErrorKind.ManifestInvalid,
                $"The package's plugin.json is invalid ({ex.Errors.Count} problem{(ex.Errors.Count == 1 ? "" : "s")}); fix it and build the package again:{problems}",
                PluginManifest.FileName, ex);
        }
    }

    private List<DiscoveredPlugin> ScanDirectories(List<PluginDiscoveryIssue> issues)
    {
        var found = new List<DiscoveredPlugin>();
        foreach (var configured in _options.PluginDirectories)
        {
            var root = Path.GetFullPath(configured);
            string[] folders;
            try
            {
                if (!Directory.Exists(root))
                {
                    issues.Add(new PluginDiscoveryIssue(root, "The plugin folder does not exist; create it or remove it from PluginStoreOptions.PluginDirectories.", []));
                    continue;
                }

                // A configured folder that holds a plugin.json is itself one plugin; otherwise each subfolder may be.
                folders = File.Exists(Path.Combine(root, PluginManifest.FileName)) ? [root] : Directory.GetDirectories(root);
                Array.Sort(folders, StringComparer.Ordinal);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                issues.Add(new PluginDiscoveryIssue(root, $"The plugin folder cannot be read ({ex.Message}); check its permissions.", []));
                continue;
            }

            foreach (var folder in folders)
            {
                if (!File.Exists(Path.Combine(folder, PluginManifest.FileName)))
                {
                    continue;
                }

                try
                {
                    found.Add(new DiscoveredPlugin(ManifestLoader.LoadFromDirectory(folder), folder, PluginOrigin.Directory, true, null));
                }
                catch (ManifestValidationException ex)
                {
                    issues.Add(new PluginDiscoveryIssue(folder, ex.Message, ex.Errors));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    issues.Add(new PluginDiscoveryIssue(folder, $"The plugin's manifest cannot be read ({ex.Message}); check its permissions.", []));
                }
            }
        }

        return found;
    }

    private PluginIndexFile ReadIndex()
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(_indexPath);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return new PluginIndexFile();
        }

        PluginIndexFile? index;
        try
        {
            index = JsonSerializer.Deserialize(bytes, PluginIndexJsonContext.Default.PluginIndexFile);
        }
        catch (JsonException ex)
        {
            throw new PluginInstallException(PluginInstallErrorKind.IndexCorrupt,
                $"The plugin index '{_indexPath}' is not valid ({ex.Message}). Restore it from a backup, or delete it and install the plugins again "
                + "(their content in store/ and their data in data/ are kept).", null, ex);
        }

        if (index is null || index.FormatVersion > PluginIndexFile.CurrentFormatVersion)
        {
            throw new PluginInstallException(PluginInstallErrorKind.IndexCorrupt,
                $"The plugin index '{_indexPath}' has format version {index?.FormatVersion} which this runtime does not know; it was written by a newer Plugboard. "
                + "Upgrade the runtime.");
        }

        return index;
    }

    private void WriteIndex(PluginIndexFile index)
    {
        index.Plugins.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        Directory.CreateDirectory(RootDirectory);
        var temp = _indexPath + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                JsonSerializer.Serialize(stream, index, PluginIndexJsonContext.Default.PluginIndexFile);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, _indexPath, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private async Task<IDisposable> LockAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            Directory.CreateDirectory(RootDirectory);
            var deadline = DateTime.UtcNow + _options.LockTimeout;
            while (true)
            {
                try
                {
                    // An exclusive open is an OS file lock (flock on Unix): it also keeps other processes out, and the
                    // OS releases it if this process dies.
                    var handle = new FileStream(_lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                    return new StoreLock(handle, _gate);
                }
                catch (IOException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(50, cancellationToken);
                }
                catch (IOException ex)
                {
                    throw new PluginInstallException(PluginInstallErrorKind.StoreBusy,
                        $"Another process has been changing the plugin store '{RootDirectory}' for more than {_options.LockTimeout.TotalSeconds:0} s; "
                        + "wait for it to finish (e.g. a running 'plugboard install') and try again.", null, ex);
                }
            }
        }
        catch
        {
            _gate.Release();
            throw;
        }
    }

    private PluginInstallException Rejected(string source, PluginInstallException exception)
    {
        PluginStoreLog.PackageRejected(_logger, source, exception.Kind, exception.Message);
        return exception;
    }

    private InstalledPlugin ToInstalled(PluginIndexEntry entry) => new()
    {
        Id = entry.Id,
        Version = SemanticVersion.TryParse(entry.Version, out var version) ? version : new SemanticVersion(0, 0, 0),
        ContentHash = entry.ContentHash,
        Source = entry.Source,
        SourceKind = entry.SourceKind,
        Enabled = entry.Enabled,
        InstalledAt = entry.InstalledAt,
        Directory = Path.Combine(_contentRoot, entry.ContentHash),
        RetainedContentHashes = [.. entry.RetainedContentHashes],
    };

    private string DataDirectoryPath(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return ManifestValidator.IdRegex().IsMatch(id)
            ? Path.Combine(_dataRoot, id)
            : throw new ArgumentException($"'{id}' is not a valid plugin id (expected e.g. acme.weather).", nameof(id));
    }

    private bool TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                // Move aside first so a half-deleted folder never looks like valid content.
                var trash = Path.Combine(_stagingRoot, "trash-" + Guid.NewGuid().ToString("N"));
                Directory.CreateDirectory(_stagingRoot);
                Directory.Move(path, trash);
                Directory.Delete(trash, recursive: true);
            }
            else if (File.Exists(path))
            {
                File.Delete(path);
            }

            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            PluginStoreLog.DeleteFailed(_logger, path, ex);
            return false;
        }
    }

    private sealed class StoreLock(FileStream handle, SemaphoreSlim gate) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                handle.Dispose();
                gate.Release();
            }
        }
    }
}
