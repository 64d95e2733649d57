using System.IO.Compression;
using Plugboard.Runtime.Plugins;

namespace Plugboard.Runtime.Tests.Plugins;

/// <summary>Real hostile zip archives, built byte by byte where needed; each must be rejected leaving nothing behind.</summary>
public sealed class HostileZipTests : IDisposable
{
    private const long MiB = 1024 * 1024;
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>No index, no content folder, no staging leftovers.</summary>
    internal static void AssertNothingInstalled(PluginStore store)
    {
        Assert.False(File.Exists(Path.Combine(store.RootDirectory, "index.json")));
        foreach (var folder in new[] { "store", "staging" })
        {
            var path = Path.Combine(store.RootDirectory, folder);
            Assert.True(!Directory.Exists(path) || !Directory.EnumerateFileSystemEntries(path).Any(), $"{path} is not empty");
        }
    }

    private PluginStore Store(Action<PluginStoreOptions>? configure = null) => PluginStoreTests.CreateStore(_temp.Combine("data"), configure);

    private string Zip(string name, Action<ZipArchive> build, bool withManifest = true)
    {
        var path = _temp.Combine(name);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        if (withManifest)
        {
            PluginPackages.AddText(zip, "plugin.json", Manifests.Minimal);
            PluginPackages.AddText(zip, "index.js", "console.log(1);");
        }

        build(zip);
        return path;
    }

    private static async Task<PluginInstallException> RejectAsync(PluginStore store, string zip, PluginInstallErrorKind kind, IProgress<PluginInstallProgress>? progress = null)
    {
        var ex = await Assert.ThrowsAsync<PluginInstallException>(() => store.InstallAsync(zip, new PluginInstallOptions { Progress = progress }));
        Assert.Equal(kind, ex.Kind);
        AssertNothingInstalled(store);
        return ex;
    }

    [Theory]
    [InlineData("../evil.txt")]
    [InlineData("bin/../../evil.txt")]
    [InlineData("..\\evil.txt")]
    [InlineData("/tmp/evil.txt")]
    [InlineData("\\evil.txt")]
    [InlineData("C:\\evil.txt")]
    [InlineData("c:evil.txt")]
    [InlineData("bin/file.txt:stream")]
    [InlineData("bad\u0001name.txt")]
    public async Task InstallAsync_UnsafeEntryPath_IsRejectedBeforeAnyWrite(string entryName)
    {
        var store = Store();
        var zip = Zip("slip.zip", z => PluginPackages.AddText(z, entryName, "pwned"));

        var ex = await RejectAsync(store, zip, PluginInstallErrorKind.UnsafePath);

        Assert.Equal(entryName, ex.EntryName);
        Assert.False(File.Exists(_temp.Combine("evil.txt")));
        Assert.False(File.Exists(Path.Combine(store.RootDirectory, "evil.txt")));
        Assert.False(File.Exists("/tmp/evil.txt") && File.ReadAllText("/tmp/evil.txt") == "pwned");
    }

    [Fact]
    public async Task InstallAsync_SymlinkEntry_IsRejected()
    {
        var store = Store();
        var zip = Zip("symlink.zip", z => PluginPackages.AddText(z, "passwd", "/etc/passwd", unixMode: 0xA000 | 0b111_111_111));

        var ex = await RejectAsync(store, zip, PluginInstallErrorKind.UnsafeEntryType);

        Assert.Contains("symbolic link", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0x1000, "FIFO")]
    [InlineData(0x2000, "character device")]
    [InlineData(0x6000, "block device")]
    [InlineData(0xC000, "socket")]
    public async Task InstallAsync_DeviceOrFifoEntry_IsRejected(int type, string description)
    {
        var store = Store();
        var zip = Zip("special.zip", z => PluginPackages.AddText(z, "special", "", unixMode: type | 0b110_110_110));

        var ex = await RejectAsync(store, zip, PluginInstallErrorKind.UnsafeEntryType);

        Assert.Contains(description, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("index.js")]
    [InlineData("INDEX.js")]
    [InlineData("./index.js")]
    public async Task InstallAsync_DuplicateEntry_IsRejected(string duplicate)
    {
        var store = Store();
        var zip = Zip("dup.zip", z => PluginPackages.AddText(z, duplicate, "second"));

        await RejectAsync(store, zip, PluginInstallErrorKind.DuplicateEntry);
    }

    [Fact]
    public async Task InstallAsync_FileAndFolderWithSameName_IsRejected()
    {
        var store = Store();
        var zip = Zip("clash.zip", z =>
        {
            PluginPackages.AddText(z, "lib", "a file");
            PluginPackages.AddText(z, "lib/inner.js", "a file inside a folder of the same name");
        });

        await RejectAsync(store, zip, PluginInstallErrorKind.DuplicateEntry);
    }

    [Fact]
    public async Task InstallAsync_EntryBomb_IsRejected()
    {
        var store = Store(o => o.MaxEntryCount = 100);
        var zip = Zip("entries.zip", z =>
        {
            for (var i = 0; i < 200; i++)
            {
                z.CreateEntry($"f/{i}.txt");
            }
        });

        var ex = await RejectAsync(store, zip, PluginInstallErrorKind.TooManyEntries);

        Assert.Contains("MaxEntryCount", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InstallAsync_SizeBomb_IsRejectedWithoutWritingIt()
    {
        // 200 MiB of zeros compress to a few hundred KiB; the per-entry limit must stop it before it hits the disk.
        var store = Store(o =>
        {
            o.MaxEntrySize = 16 * MiB;
            o.MaxCompressionRatio = 1_000_000;
        });
        var zip = Zip("size-bomb.zip", z => PluginPackages.AddFilled(z, "big.bin", 200 * MiB));
        Assert.True(new FileInfo(zip).Length < 2 * MiB);
        var written = new MaxBytes();

        var ex = await RejectAsync(store, zip, PluginInstallErrorKind.EntryTooLarge, written);

        Assert.Equal("big.bin", ex.EntryName);
        Assert.True(written.Max <= 16 * MiB, $"{written.Max} bytes were written");
    }

    [Fact]
    public async Task InstallAsync_SizeBombBehindLyingHeader_StopsAtTheDeclaredSize()
    {
        // The header claims 1 KiB; the data inflates to 200 MiB. Extraction must never write more than declared.
        var store = Store(o => o.MaxCompressionRatio = 1_000_000);
        var zip = Zip("lying-bomb.zip", z => PluginPackages.AddFilled(z, "big.bin", 200 * MiB));
        PluginPackages.PatchDeclaredSize(zip, "big.bin", 1024);
        var written = new MaxBytes();

        var ex = await RejectAsync(store, zip, PluginInstallErrorKind.HeaderMismatch, written);

        Assert.Equal("big.bin", ex.EntryName);
        Assert.True(written.Max <= 64 * 1024, $"{written.Max} bytes were written"); // 1 KiB of big.bin plus the two small files.
    }

    [Fact]
    public async Task InstallAsync_TotalSizeOverLimit_IsRejected()
    {
        var store = Store(o => o.MaxTotalSize = 10 * MiB);
        var zip = Zip("total.zip", z =>
        {
            for (var i = 0; i < 3; i++)
            {
                PluginPackages.AddRandom(z, $"blob{i}.bin", (int)(4 * MiB));
            }
        });

        await RejectAsync(store, zip, PluginInstallErrorKind.TotalSizeTooLarge);
    }

    [Fact]
    public async Task InstallAsync_RatioBomb_IsRejectedWithDefaultLimits()
    {
        var store = Store();
        var zip = Zip("ratio.zip", z => PluginPackages.AddFilled(z, "zeros.bin", 8 * MiB, level: CompressionLevel.SmallestSize));

        var ex = await RejectAsync(store, zip, PluginInstallErrorKind.CompressionRatioTooHigh);

        Assert.Contains("zip bombs", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InstallAsync_SmallHighlyCompressibleFile_IsNotMistakenForABomb()
    {
        var store = Store();
        var zip = Zip("small.zip", z => PluginPackages.AddFilled(z, "padding.txt", 512 * 1024, value: (byte)' '));

        var result = await store.InstallAsync(zip);

        Assert.Equal(512 * 1024, new FileInfo(Path.Combine(result.Plugin.Directory, "padding.txt")).Length);
    }

    [Theory]
    [InlineData(10u)]
    [InlineData(100_000u)]
    public async Task InstallAsync_LyingHeaderSize_IsRejected(uint declared)
    {
        var store = Store();
        var zip = Zip("lie.zip", z => PluginPackages.AddRandom(z, "data.bin", 1000));
        PluginPackages.PatchDeclaredSize(zip, "data.bin", declared);

        var ex = await RejectAsync(store, zip, PluginInstallErrorKind.HeaderMismatch);

        Assert.Contains("tampered", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InstallAsync_NotAZip_IsCorruptPackage()
    {
        var store = Store();
        var path = _temp.Combine("garbage.zip");
        await File.WriteAllBytesAsync(path, [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 31))]);

        await RejectAsync(store, path, PluginInstallErrorKind.CorruptPackage);
    }

    [Fact]
    public async Task InstallAsync_PackageOverSizeLimit_IsRejected()
    {
        var store = Store(o => o.MaxPackageSize = 512);
        var zip = Zip("big.zip", z => PluginPackages.AddRandom(z, "blob.bin", 4096));

        await RejectAsync(store, zip, PluginInstallErrorKind.PackageTooLarge);
    }

    [Fact]
    public async Task InstallAsync_AfterRejections_StoreStillWorks()
    {
        var store = Store();
        await RejectAsync(store, Zip("slip.zip", z => PluginPackages.AddText(z, "../evil", "x")), PluginInstallErrorKind.UnsafePath);

        var result = await store.InstallAsync(PluginPackages.CreateZip(_temp.Combine("ok.zip"), Manifests.Minimal));

        Assert.Equal(PluginInstallOutcome.Installed, result.Outcome);
    }

    private sealed class MaxBytes : IProgress<PluginInstallProgress>
    {
        public long Max { get; private set; }

        public void Report(PluginInstallProgress value) => Max = Math.Max(Max, value.BytesDone);
    }
}
