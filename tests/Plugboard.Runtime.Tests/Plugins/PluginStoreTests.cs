using System.IO.Compression;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Plugboard.Runtime.Plugins;

namespace Plugboard.Runtime.Tests.Plugins;

public sealed class PluginStoreTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    internal static PluginStore CreateStore(string dataDirectory, Action<PluginStoreOptions>? configure = null)
    {
        var options = new PluginStoreOptions { DataDirectory = dataDirectory };
        configure?.Invoke(options);
        return new PluginStore(Options.Create(options), NullLogger<PluginStore>.Instance);
    }

    private PluginStore Store(Action<PluginStoreOptions>? configure = null) => CreateStore(_temp.Combine("data"), configure);

    private string Folder(string name, string manifest, IDictionary<string, string>? files = null)
        => PluginPackages.CreateFolder(_temp.Combine("sources", name), manifest, files);

    [Fact]
    public async Task InstallAsync_FromFolder_StoresContentByHashAndRecordsIndex()
    {
        var store = Store();
        var source = Folder("minimal", Manifests.Minimal);

        var result = await store.InstallAsync(source);

        Assert.Equal(PluginInstallOutcome.Installed, result.Outcome);
        var plugin = result.Plugin;
        Assert.Equal("acme.minimal", plugin.Id);
        Assert.Equal("0.1.0", plugin.Version.ToString());
        Assert.Matches("^[0-9a-f]{64}$", plugin.ContentHash);
        Assert.Equal(Path.Combine(store.RootDirectory, "store", plugin.ContentHash), plugin.Directory);
        Assert.True(File.Exists(Path.Combine(plugin.Directory, "plugin.json")));
        Assert.True(File.Exists(Path.Combine(plugin.Directory, "index.js")));
        Assert.Equal(PluginSourceKind.Directory, plugin.SourceKind);
        Assert.Equal(Path.GetFullPath(source), plugin.Source);
        Assert.True(plugin.Enabled);
        Assert.InRange(plugin.InstalledAt, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));

        var index = await File.ReadAllTextAsync(Path.Combine(store.RootDirectory, "index.json"));
        Assert.Contains("\"acme.minimal\"", index, StringComparison.Ordinal);
        Assert.Contains(plugin.ContentHash, index, StringComparison.Ordinal);
        Assert.Contains("\"sourceKind\": \"directory\"", index, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(store.RootDirectory, "*.tmp"));
    }

    [Fact]
    public async Task InstallAsync_SameContentAsFolderAndZip_IsIdempotent()
    {
        var store = Store();
        var first = await store.InstallAsync(Folder("minimal", Manifests.Minimal));
        var zip = PluginPackages.CreateZip(_temp.Combine("minimal.zip"), Manifests.Minimal);

        var second = await store.InstallAsync(zip);
        var third = await store.InstallAsync(zip);

        Assert.Equal(PluginInstallOutcome.Unchanged, second.Outcome);
        Assert.Equal(PluginInstallOutcome.Unchanged, third.Outcome);
        Assert.Equal(first.Plugin.ContentHash, third.Plugin.ContentHash);
        Assert.Single(Directory.GetDirectories(Path.Combine(store.RootDirectory, "store")));
        Assert.Single(await store.ListInstalledAsync());
    }

    [Fact]
    public async Task InstallAsync_ZipWithSingleTopLevelFolder_UsesThatFolder()
    {
        var store = Store();
        var zip = PluginPackages.CreateZip(_temp.Combine("wrapped.zip"), Manifests.Minimal, prefix: "minimal-0.1.0/");

        var result = await store.InstallAsync(zip);

        Assert.True(File.Exists(Path.Combine(result.Plugin.Directory, "plugin.json")));
        Assert.Equal(PluginSourceKind.Zip, result.Plugin.SourceKind);
        Assert.Equal((await store.InstallAsync(Folder("minimal", Manifests.Minimal))).Plugin.ContentHash, result.Plugin.ContentHash);
    }

    [Fact]
    public async Task InstallAsync_NewVersion_ReplacesEntryAndKeepsOldContentUntilPrune()
    {
        var store = Store();
        var v1 = await store.InstallAsync(Folder("v1", Manifests.WithVersion("acme.up", "1.0.0")));
        await store.SetEnabledAsync("acme.up", false);

        var v2 = await store.InstallAsync(Folder("v2", Manifests.WithVersion("acme.up", "1.1.0")));

        Assert.Equal(PluginInstallOutcome.Upgraded, v2.Outcome);
        Assert.Equal(SemanticVersion.Parse("1.0.0"), v2.PreviousVersion);
        Assert.False(v2.Plugin.Enabled);
        Assert.Equal([v1.Plugin.ContentHash], v2.Plugin.RetainedContentHashes);
        Assert.True(Directory.Exists(v1.Plugin.Directory));
        var installed = Assert.Single(await store.ListInstalledAsync());
        Assert.Equal("1.1.0", installed.Version.ToString());

        Assert.Equal(1, await store.PruneAsync());

        Assert.False(Directory.Exists(v1.Plugin.Directory));
        Assert.True(Directory.Exists(v2.Plugin.Directory));
        Assert.Empty((await store.GetInstalledAsync("acme.up"))!.RetainedContentHashes);
    }

    [Fact]
    public async Task InstallAsync_OlderVersion_IsRefusedUnlessAllowed()
    {
        var store = Store();
        await store.InstallAsync(Folder("v2", Manifests.WithVersion("acme.down", "2.0.0")));
        var older = Folder("v1", Manifests.WithVersion("acme.down", "1.9.9"));

        var ex = await Assert.ThrowsAsync<PluginInstallException>(() => store.InstallAsync(older));
        Assert.Equal(PluginInstallErrorKind.DowngradeRefused, ex.Kind);
        Assert.Contains("AllowDowngrade", ex.Message, StringComparison.Ordinal);
        Assert.Single(Directory.GetDirectories(Path.Combine(store.RootDirectory, "store")));

        var result = await store.InstallAsync(older, new PluginInstallOptions { AllowDowngrade = true });
        Assert.Equal(PluginInstallOutcome.Downgraded, result.Outcome);
    }

    [Fact]
    public async Task InstallAsync_SameVersionDifferentContent_Reinstalls()
    {
        var store = Store();
        await store.InstallAsync(Folder("a", Manifests.Minimal));

        var result = await store.InstallAsync(Folder("b", Manifests.Minimal, new Dictionary<string, string> { ["extra.txt"] = "changed" }));

        Assert.Equal(PluginInstallOutcome.Reinstalled, result.Outcome);
    }

    [Fact]
    public async Task InstallAsync_ExecutableBitInZip_IsKeptAndNothingElse()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix permissions only.
        }

        var store = Store();
        var zipPath = _temp.Combine("exec.zip");
        using (var zip = ZipFile.Open(zipPath, ZipArchiveMode.Create))
        {
            PluginPackages.AddText(zip, "plugin.json", Manifests.Mutate(Manifests.Minimal, m => m["execution"] = System.Text.Json.Nodes.JsonNode.Parse("""{"command": "bin/run.sh"}""")));
            PluginPackages.AddText(zip, "bin/run.sh", "#!/bin/sh\n", unixMode: 0x8000 | 0b111_111_111 | 0b100_000_000_000); // rwxrwxrwx + setuid
            PluginPackages.AddText(zip, "notes.txt", "x", unixMode: 0x8000 | 0b110_110_110);
        }

        var result = await store.InstallAsync(zipPath);

        Assert.Equal(
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
            File.GetUnixFileMode(Path.Combine(result.Plugin.Directory, "bin", "run.sh")));
        Assert.Equal(
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            File.GetUnixFileMode(Path.Combine(result.Plugin.Directory, "notes.txt")));
    }

    [Fact]
    public async Task InstallAsync_InvalidManifest_ReportsManifestErrorsAndLeavesNothing()
    {
        var store = Store();
        var zip = PluginPackages.CreateZip(_temp.Combine("bad.zip"), Manifests.Mutate(Manifests.Minimal, m => m["version"] = "1.0"));

        var ex = await Assert.ThrowsAsync<PluginInstallException>(() => store.InstallAsync(zip));

        Assert.Equal(PluginInstallErrorKind.ManifestInvalid, ex.Kind);
        Assert.Equal("$.version", Assert.Single(ex.ManifestErrors).Path);
        Assert.Contains("$.version: \"1.0\" is not a semantic version", ex.Message, StringComparison.Ordinal);
        HostileZipTests.AssertNothingInstalled(store);
    }

    [Fact]
    public async Task InstallAsync_NoManifest_IsManifestMissing()
    {
        var store = Store();
        var zipPath = _temp.Combine("empty.zip");
        using (var zip = ZipFile.Open(zipPath, ZipArchiveMode.Create))
        {
            PluginPackages.AddText(zip, "README.md", "hello");
        }

        var ex = await Assert.ThrowsAsync<PluginInstallException>(() => store.InstallAsync(zipPath));

        Assert.Equal(PluginInstallErrorKind.ManifestMissing, ex.Kind);
        HostileZipTests.AssertNothingInstalled(store);
    }

    [Fact]
    public async Task InstallAsync_MissingOrUnsupportedSource_IsTyped()
    {
        var store = Store();
        var tar = _temp.Combine("plugin.tar");
        await File.WriteAllTextAsync(tar, "not a zip");

        Assert.Equal(PluginInstallErrorKind.SourceNotFound, (await Assert.ThrowsAsync<PluginInstallException>(() => store.InstallAsync(_temp.Combine("nope")))).Kind);
        Assert.Equal(PluginInstallErrorKind.UnsupportedSource, (await Assert.ThrowsAsync<PluginInstallException>(() => store.InstallAsync(tar))).Kind);
    }

    [Fact]
    public async Task InstallAsync_FolderWithSymlink_IsRejected()
    {
        var store = Store();
        var source = Folder("linked", Manifests.Minimal);
        File.CreateSymbolicLink(Path.Combine(source, "passwd"), "/etc/passwd");

        var ex = await Assert.ThrowsAsync<PluginInstallException>(() => store.InstallAsync(source));

        Assert.Equal(PluginInstallErrorKind.UnsafeEntryType, ex.Kind);
        Assert.Equal("passwd", ex.EntryName);
        HostileZipTests.AssertNothingInstalled(store);
    }

    [Fact]
    public async Task InstallAsync_Progress_ReportsStagesThroughDone()
    {
        var store = Store();
        var stages = new List<PluginInstallStage>();

        await store.InstallAsync(Folder("minimal", Manifests.Minimal), new PluginInstallOptions { Progress = new SyncProgress(p => stages.Add(p.Stage)) });

        Assert.Equal(PluginInstallStage.Checking, stages[0]);
        Assert.Contains(PluginInstallStage.Validating, stages);
        Assert.Equal(PluginInstallStage.Done, stages[^1]);
    }

    [Fact]
    public async Task UninstallAsync_RemovesEntryAndContentButKeepsDataUnlessAsked()
    {
        var store = Store();
        var v1 = await store.InstallAsync(Folder("v1", Manifests.WithVersion("acme.gone", "1.0.0")));
        var v2 = await store.InstallAsync(Folder("v2", Manifests.WithVersion("acme.gone", "2.0.0")));
        var data = store.GetDataDirectory("acme.gone");
        await File.WriteAllTextAsync(Path.Combine(data, "state.json"), "{}");

        var removed = await store.UninstallAsync("acme.gone");

        Assert.Equal("2.0.0", removed.Version.ToString());
        Assert.Empty(await store.ListInstalledAsync());
        Assert.False(Directory.Exists(v1.Plugin.Directory));
        Assert.False(Directory.Exists(v2.Plugin.Directory));
        Assert.True(File.Exists(Path.Combine(data, "state.json")));

        await store.InstallAsync(Folder("v3", Manifests.WithVersion("acme.gone", "3.0.0")));
        await store.UninstallAsync("acme.gone", deleteData: true);
        Assert.False(Directory.Exists(data));
    }

    [Fact]
    public async Task UninstallAsync_UnknownId_IsNotInstalled()
    {
        var ex = await Assert.ThrowsAsync<PluginInstallException>(() => Store().UninstallAsync("acme.unknown"));

        Assert.Equal(PluginInstallErrorKind.NotInstalled, ex.Kind);
    }

    [Fact]
    public async Task SetEnabledAsync_IsPersistedAcrossStoreInstances()
    {
        var plugins = _temp.Combine("plugins");
        PluginPackages.CreateFolder(Path.Combine(plugins, "dev"), Manifests.WithVersion("acme.dev", "0.0.1"));
        var store = Store(o => o.PluginDirectories.Add(plugins));
        await store.InstallAsync(Folder("minimal", Manifests.Minimal));

        await store.SetEnabledAsync("acme.minimal", false);
        await store.SetEnabledAsync("acme.dev", false);

        var reopened = Store(o => o.PluginDirectories.Add(plugins));
        Assert.False((await reopened.GetInstalledAsync("acme.minimal"))!.Enabled);
        var discovered = (await reopened.DiscoverAsync()).Plugins.ToDictionary(p => p.Manifest.Id);
        Assert.False(discovered["acme.minimal"].Enabled);
        Assert.False(discovered["acme.dev"].Enabled);

        await reopened.SetEnabledAsync("acme.dev", true);
        Assert.True((await Store(o => o.PluginDirectories.Add(plugins)).DiscoverAsync()).Plugins.Single(p => p.Manifest.Id == "acme.dev").Enabled);
        Assert.Equal(PluginInstallErrorKind.NotInstalled, (await Assert.ThrowsAsync<PluginInstallException>(() => reopened.SetEnabledAsync("acme.none", true))).Kind);
    }

    [Fact]
    public async Task DiscoverAsync_BadManifests_AreReportedAndSkipped()
    {
        var plugins = _temp.Combine("plugins");
        PluginPackages.CreateFolder(Path.Combine(plugins, "good"), Manifests.WithVersion("acme.good", "1.0.0"));
        PluginPackages.CreateFolder(Path.Combine(plugins, "bad-version"), Manifests.Mutate(Manifests.Minimal, m => m["version"] = "1.0"));
        PluginPackages.CreateFolder(Path.Combine(plugins, "not-json"), "{ this is not json");
        Directory.CreateDirectory(Path.Combine(plugins, "no-manifest"));
        var store = Store(o =>
        {
            o.PluginDirectories.Add(plugins);
            o.PluginDirectories.Add(_temp.Combine("missing"));
        });
        await store.InstallAsync(Folder("stored", Manifests.WithVersion("acme.stored", "1.0.0")));

        var result = await store.DiscoverAsync();

        Assert.Equal(["acme.good", "acme.stored"], result.Plugins.Select(p => p.Manifest.Id));
        Assert.Equal(PluginOrigin.Directory, result.Plugins[0].Origin);
        Assert.Equal(PluginOrigin.Store, result.Plugins[1].Origin);
        Assert.NotNull(result.Plugins[1].Installation);
        Assert.Contains(result.Issues, i => i.Location.EndsWith("bad-version", StringComparison.Ordinal) && i.Errors.Single().Path == "$.version");
        Assert.Contains(result.Issues, i => i.Location.EndsWith("not-json", StringComparison.Ordinal) && i.Errors.Single().Message.StartsWith("malformed JSON at line 1", StringComparison.Ordinal));
        Assert.Contains(result.Issues, i => i.Location.EndsWith("missing", StringComparison.Ordinal) && i.Message.Contains("does not exist", StringComparison.Ordinal));
        Assert.Equal(3, result.Issues.Count);
    }

    [Fact]
    public async Task DiscoverAsync_SameIdTwice_HighestVersionWinsAndTheOtherIsReported()
    {
        var plugins = _temp.Combine("plugins");
        PluginPackages.CreateFolder(Path.Combine(plugins, "old"), Manifests.WithVersion("acme.twice", "1.0.0"));
        var store = Store(o => o.PluginDirectories.Add(plugins));
        await store.InstallAsync(Folder("new", Manifests.WithVersion("acme.twice", "1.2.0")));

        var result = await store.DiscoverAsync();

        var plugin = Assert.Single(result.Plugins);
        Assert.Equal(PluginOrigin.Store, plugin.Origin);
        Assert.Contains("shadowed by 1.2.0", Assert.Single(result.Issues).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DiscoverAsync_CorruptIndex_IsReportedAndDirectoriesStillLoad()
    {
        var plugins = _temp.Combine("plugins");
        PluginPackages.CreateFolder(Path.Combine(plugins, "good"), Manifests.WithVersion("acme.good", "1.0.0"));
        var store = Store(o => o.PluginDirectories.Add(plugins));
        Directory.CreateDirectory(store.RootDirectory);
        await File.WriteAllTextAsync(Path.Combine(store.RootDirectory, "index.json"), "{ broken");

        var result = await store.DiscoverAsync();

        Assert.Equal("acme.good", Assert.Single(result.Plugins).Manifest.Id);
        Assert.Contains("delete it and install the plugins again", Assert.Single(result.Issues).Message, StringComparison.Ordinal);
        Assert.Equal(PluginInstallErrorKind.IndexCorrupt, (await Assert.ThrowsAsync<PluginInstallException>(() => store.ListInstalledAsync())).Kind);
    }

    [Fact]
    public void GetDataDirectory_CreatesPerPluginFolderAndRejectsBadIds()
    {
        var store = Store();

        var data = store.GetDataDirectory("acme.weather");

        Assert.Equal(Path.Combine(store.RootDirectory, "data", "acme.weather"), data);
        Assert.True(Directory.Exists(data));
        Assert.Throws<ArgumentException>(() => store.GetDataDirectory("../escape"));
    }

    [Fact]
    public async Task InstallAsync_ConcurrentStoresOnOneFolder_KeepEveryInstall()
    {
        var sources = Enumerable.Range(0, 6).Select(i => Folder("p" + i, Manifests.WithVersion("acme.p" + i, "1.0.0"))).ToList();

        await Task.WhenAll(sources.Select(source => Task.Run(() => Store().InstallAsync(source))));

        Assert.Equal(6, (await Store().ListInstalledAsync()).Count);
    }

    [Fact]
    public void Constructor_WithoutDataDirectory_SaysWhatToSet()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => CreateStore(""));

        Assert.Contains("PluginStoreOptions.DataDirectory", ex.Message, StringComparison.Ordinal);
    }

    private sealed class SyncProgress(Action<PluginInstallProgress> report) : IProgress<PluginInstallProgress>
    {
        public void Report(PluginInstallProgress value) => report(value);
    }
}
