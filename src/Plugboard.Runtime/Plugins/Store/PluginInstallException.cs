namespace Plugboard.Runtime.Plugins;

/// <summary>Why a <see cref="PluginStore"/> operation failed. The numeric values are stable.</summary>
public enum PluginInstallErrorKind
{
    /// <summary>The source folder or package does not exist.</summary>
    SourceNotFound = 1,

    /// <summary>The source is neither a folder nor a <c>.zip</c> file.</summary>
    UnsupportedSource = 2,

    /// <summary>The package is not a readable zip archive, or an entry is corrupt or uses an unsupported feature.</summary>
    CorruptPackage = 3,

    /// <summary>The package file is larger than <see cref="PluginStoreOptions.MaxPackageSize"/>.</summary>
    PackageTooLarge = 4,

    /// <summary>More entries than <see cref="PluginStoreOptions.MaxEntryCount"/>.</summary>
    TooManyEntries = 5,

    /// <summary>A file larger than <see cref="PluginStoreOptions.MaxEntrySize"/>.</summary>
    EntryTooLarge = 6,

    /// <summary>All files together larger than <see cref="PluginStoreOptions.MaxTotalSize"/>.</summary>
    TotalSizeTooLarge = 7,

    /// <summary>An entry or the package compresses better than <see cref="PluginStoreOptions.MaxCompressionRatio"/> (a zip bomb).</summary>
    CompressionRatioTooHigh = 8,

    /// <summary>An entry's data does not match its header (size or checksum): the package is corrupt or was tampered with.</summary>
    HeaderMismatch = 9,

    /// <summary>An entry path is absolute, has a drive letter, climbs out with <c>..</c>, or has forbidden characters.</summary>
    UnsafePath = 10,

    /// <summary>An entry is a symbolic link, a device, a FIFO or a socket.</summary>
    UnsafeEntryType = 11,

    /// <summary>Two entries have the same path (also when they differ only in letter case).</summary>
    DuplicateEntry = 12,

    /// <summary>The package has no <c>plugin.json</c>.</summary>
    ManifestMissing = 13,

    /// <summary>The package's <c>plugin.json</c> is invalid.</summary>
    ManifestInvalid = 14,

    /// <summary>A newer version of the plugin is installed and the install did not allow a downgrade.</summary>
    DowngradeRefused = 15,

    /// <summary>No plugin with that id is installed.</summary>
    NotInstalled = 16,

    /// <summary>Another process kept the store locked longer than <see cref="PluginStoreOptions.LockTimeout"/>.</summary>
    StoreBusy = 17,

    /// <summary>The store index file is unreadable.</summary>
    IndexCorrupt = 18,

    /// <summary>A file system operation failed (disk full, permissions).</summary>
    IOError = 19,
}

/// <summary>A <see cref="PluginStore"/> operation failed; <see cref="Kind"/> says why, the message says what to do next.</summary>
public sealed class PluginInstallException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="kind">Why the operation failed.</param>
    /// <param name="message">What happened and what to do next.</param>
    /// <param name="entryName">The offending package entry or file, if any.</param>
    /// <param name="innerException">The underlying exception, if any.</param>
    public PluginInstallException(PluginInstallErrorKind kind, string message, string? entryName = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        EntryName = entryName;
    }

    /// <summary>Why the operation failed (stable values, suitable for error codes).</summary>
    public PluginInstallErrorKind Kind { get; }

    /// <summary>The offending package entry or file (as named in the package), if any.</summary>
    public string? EntryName { get; }

    /// <summary>For <see cref="PluginInstallErrorKind.ManifestInvalid"/>: the manifest problems.</summary>
    public IReadOnlyList<ManifestError> ManifestErrors => (InnerException as ManifestValidationException)?.Errors ?? [];
}
