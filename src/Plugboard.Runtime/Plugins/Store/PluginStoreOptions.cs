namespace Plugboard.Runtime.Plugins;

/// <summary>Where the <see cref="PluginStore"/> keeps plugins, where it discovers them, and the limits for packages.</summary>
/// <remarks>
/// The limits protect the runtime from hostile or broken packages (zip bombs, path traversal). They are checked while
/// a package is extracted, on the bytes actually written, not on the sizes its headers claim.
/// </remarks>
public sealed class PluginStoreOptions
{
    /// <summary>
    /// The runtime's data folder. The store lives in <c>&lt;DataDirectory&gt;/plugins/</c>: installed content in
    /// <c>store/&lt;sha256&gt;/</c>, per-plugin data in <c>data/&lt;id&gt;/</c>, the index in <c>index.json</c>. Required.
    /// </summary>
    public string DataDirectory { get; set; } = "";

    /// <summary>
    /// Folders whose subfolders holding a <c>plugin.json</c> are discovered as plugins and run in place (bundled or
    /// development plugins). Relative paths are resolved against the current directory. Default: none.
    /// </summary>
    public IList<string> PluginDirectories { get; } = [];

    /// <summary>The largest package file (the compressed <c>.zip</c>) accepted. Default: 512 MiB.</summary>
    public long MaxPackageSize { get; set; } = 512L * 1024 * 1024;

    /// <summary>The most entries (files and folders) a package or source folder may have. Default: 10,000.</summary>
    public int MaxEntryCount { get; set; } = 10_000;

    /// <summary>The largest single file, uncompressed. Default: 256 MiB.</summary>
    public long MaxEntrySize { get; set; } = 256L * 1024 * 1024;

    /// <summary>The largest total size of all files, uncompressed. Default: 1 GiB.</summary>
    public long MaxTotalSize { get; set; } = 1024L * 1024 * 1024;

    /// <summary>
    /// The highest compression ratio (uncompressed ÷ compressed) of one entry and of the package as a whole.
    /// Default: 100 (ordinary code and text compress 3–10×; zip bombs reach 1000× and more).
    /// </summary>
    public double MaxCompressionRatio { get; set; } = 100;

    /// <summary>
    /// Entries (and packages) smaller than this, uncompressed, are exempt from the ratio check, so a small file of
    /// repeated characters is not mistaken for a bomb. Default: 1 MiB.
    /// </summary>
    public long CompressionRatioThreshold { get; set; } = 1024 * 1024;

    /// <summary>How long to wait for another process (e.g. <c>plugboard install</c>) that is changing the store. Default: 30 seconds.</summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Throws when an option is missing or out of range.</summary>
    /// <exception cref="InvalidOperationException">An option is invalid; the message names it and says what to set.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            throw new InvalidOperationException(
                "PluginStoreOptions.DataDirectory is not set; set it to the runtime's data folder (plugins are stored under <DataDirectory>/plugins).");
        }

        Check(nameof(MaxPackageSize), MaxPackageSize > 0);
        Check(nameof(MaxEntryCount), MaxEntryCount > 0);
        Check(nameof(MaxEntrySize), MaxEntrySize > 0);
        Check(nameof(MaxTotalSize), MaxTotalSize > 0);
        Check(nameof(MaxCompressionRatio), MaxCompressionRatio >= 1);
        Check(nameof(CompressionRatioThreshold), CompressionRatioThreshold >= 0);
        Check(nameof(LockTimeout), LockTimeout >= TimeSpan.Zero);
    }

    private static void Check(string name, bool valid)
    {
        if (!valid)
        {
            throw new InvalidOperationException(
                $"PluginStoreOptions.{name} is out of range; use a positive value (MaxCompressionRatio at least 1), or leave it at its default.");
        }
    }
}
