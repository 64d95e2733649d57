using System.Globalization;
using System.IO.Compression;

namespace Plugboard.Runtime.Plugins;

/// <summary>
/// Extracts a plugin package (zip) or copies a plugin folder into a private staging folder, enforcing
/// <see cref="PluginStoreOptions"/> limits. Header values are only used to reject early; the limits are enforced on the
/// bytes actually written, and every entry's size and CRC-32 are checked against its header after extraction.
/// </summary>
internal sealed class PackageExtractor
{
    private const int BufferSize = 81920;
    private const int UnixTypeMask = 0xF000;
    private const int UnixRegular = 0x8000;
    private const int UnixDirectory = 0x4000;
    private const int UnixSymlink = 0xA000;
    private const int MaxPathLength = 1024;
    private const int MaxSegmentLength = 255;

    private readonly PluginStoreOptions _limits;
    private readonly IProgress<PluginInstallProgress>? _progress;
    private long _totalBytes;
    private int _filesDone;
    private int _filesTotal;
    private long _lastReported;

    public PackageExtractor(PluginStoreOptions limits, IProgress<PluginInstallProgress>? progress)
    {
        _limits = limits;
        _progress = progress;
    }

    public long BytesWritten => _totalBytes;

    public async Task ExtractZipAsync(string packagePath, string destination, CancellationToken cancellationToken)
    {
        var packageSize = new FileInfo(packagePath).Length;
        if (packageSize > _limits.MaxPackageSize)
        {
            throw Fail(PluginInstallErrorKind.PackageTooLarge,
                $"The package is {Size(packageSize)}, more than the {Size(_limits.MaxPackageSize)} allowed (PluginStoreOptions.MaxPackageSize). "
                + "Remove unneeded files from the package or raise the limit.");
        }

        ZipArchive archive;
        try
        {
            archive = ZipFile.OpenRead(packagePath);
        }
        catch (InvalidDataException ex)
        {
            throw Fail(PluginInstallErrorKind.CorruptPackage,
                $"The package is not a readable zip archive ({ex.Message}). Build it again, e.g. with 'dotnet publish' and a zip tool.", null, ex);
        }

        using (archive)
        {
            _progress?.Report(new PluginInstallProgress(PluginInstallStage.Checking, 0, 0, 0));
            var plan = CheckEntries(archive.Entries, packageSize);
            _filesTotal = plan.Count(p => !p.IsDirectory);
            try
            {
                foreach (var item in plan)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var target = ResolveInside(destination, item.Path, item.Entry.FullName);
                    if (item.IsDirectory)
                    {
                        Directory.CreateDirectory(target);
                        continue;
                    }

                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    await ExtractEntryAsync(item, target, packageSize, cancellationToken);
                }
            }
            finally
            {
                // Also on failure: the last report says how far extraction got.
                Report(PluginInstallStage.Extracting, force: true);
            }
        }
    }

    public async Task CopyDirectoryAsync(string source, string destination, CancellationToken cancellationToken)
    {
        _progress?.Report(new PluginInstallProgress(PluginInstallStage.Checking, 0, 0, 0));
        var files = new List<(FileInfo File, string Relative)>();
        var entries = 0;
        var pending = new Stack<(DirectoryInfo Directory, string Relative)>();
        pending.Push((new DirectoryInfo(source), ""));
        var options = new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = false };
        while (pending.TryPop(out var current))
        {
            foreach (var item in current.Directory.EnumerateFileSystemInfos("*", options).OrderBy(i => i.Name, StringComparer.Ordinal))
            {
                var relative = current.Relative.Length == 0 ? item.Name : current.Relative + "/" + item.Name;
                if (++entries > _limits.MaxEntryCount)
                {
                    throw Fail(PluginInstallErrorKind.TooManyEntries,
                        $"The folder has more than {_limits.MaxEntryCount:N0} files and folders (PluginStoreOptions.MaxEntryCount). "
                        + "Install the published output rather than a source tree, or raise the limit.", relative);
                }

                if (item.LinkTarget is not null)
                {
                    throw Fail(PluginInstallErrorKind.UnsafeEntryType,
                        $"'{relative}' is a symbolic link (to '{item.LinkTarget}'); plugins may not contain links. Replace it with the file it points to.", relative);
                }

                if (item is DirectoryInfo directory)
                {
                    pending.Push((directory, relative));
                }
                else
                {
                    var file = (FileInfo)item;
                    CheckDeclaredSize(file.Length, relative);
                    files.Add((file, relative));
                }
            }
        }

        _filesTotal = files.Count;
        try
        {
            foreach (var (file, relative) in files)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var target = ResolveInside(destination, relative, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                await CopyFileAsync(file, relative, target, cancellationToken);
            }
        }
        finally
        {
            Report(PluginInstallStage.Extracting, force: true);
        }
    }

    private List<PlannedEntry> CheckEntries(IReadOnlyCollection<ZipArchiveEntry> entries, long packageSize)
    {
        if (entries.Count > _limits.MaxEntryCount)
        {
            throw Fail(PluginInstallErrorKind.TooManyEntries,
                $"The package has {entries.Count:N0} entries, more than the {_limits.MaxEntryCount:N0} allowed (PluginStoreOptions.MaxEntryCount). "
                + "Remove unneeded files or raise the limit.");
        }

        var plan = new List<PlannedEntry>(entries.Count);
        var seen = new Dictionary<string, bool>(StringComparer.OrdinalIgnoreCase); // path → is directory (explicit or implied)
        var explicitEntries = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        long declaredTotal = 0;
        foreach (var entry in entries)
        {
            var mode = (int)((uint)entry.ExternalAttributes >> 16);
            var type = mode & UnixTypeMask;
            if (type == UnixSymlink)
            {
                throw Fail(PluginInstallErrorKind.UnsafeEntryType,
                    $"The entry '{entry.FullName}' is a symbolic link; plugins may not contain links. Replace it with the file it points to and build the package again.",
                    entry.FullName);
            }

            if (type != 0 && type != UnixRegular && type != UnixDirectory)
            {
                throw Fail(PluginInstallErrorKind.UnsafeEntryType,
                    $"The entry '{entry.FullName}' is a {DescribeType(type)}, not a regular file or folder; remove it and build the package again.", entry.FullName);
            }

            var isDirectory = entry.FullName.EndsWith('/') || entry.FullName.EndsWith('\\') || type == UnixDirectory;
            var path = NormalizeEntryPath(entry.FullName);
            if (isDirectory && entry.Length != 0)
            {
                throw Fail(PluginInstallErrorKind.CorruptPackage, $"The folder entry '{entry.FullName}' has content; the package is corrupt. Build it again.", entry.FullName);
            }

            if (!explicitEntries.Add(path))
            {
                throw Fail(PluginInstallErrorKind.DuplicateEntry,
                    $"The package has the entry '{entry.FullName}' more than once (names that differ only in letter case count as the same); remove the duplicate and build the package again.",
                    entry.FullName);
            }

            RecordPath(seen, path, isDirectory, entry.FullName);
            if (!isDirectory)
            {
                CheckDeclaredSize(entry.Length, entry.FullName);
                declaredTotal += entry.Length;
                if (declaredTotal > _limits.MaxTotalSize)
                {
                    throw TotalTooLarge(declaredTotal, entry.FullName);
                }

                var compressed = Math.Clamp(entry.CompressedLength, 1, packageSize);
                CheckRatio(entry.Length, compressed, entry.FullName);
            }

            plan.Add(new PlannedEntry(entry, path, isDirectory, mode));
        }

        CheckRatio(declaredTotal, Math.Max(packageSize, 1), null);
        return plan;
    }

    private async Task ExtractEntryAsync(PlannedEntry item, string target, long packageSize, CancellationToken cancellationToken)
    {
        var entry = item.Entry;
        var compressed = Math.Clamp(entry.CompressedLength, 1, packageSize);
        var crc = new Crc32();
        long written = 0;
        var buffer = new byte[BufferSize];
        try
        {
            await using var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
            await using var input = entry.Open();
            int read;
            while ((read = await input.ReadAsync(buffer, cancellationToken)) > 0)
            {
                written += read;
                _totalBytes += read;

                // Enforce on what the archive really produces, before the bytes reach the disk.
                if (written > entry.Length)
                {
                    throw Fail(PluginInstallErrorKind.HeaderMismatch,
                        $"The entry '{entry.FullName}' declares {entry.Length:N0} bytes but expands to more; the package is corrupt or was tampered with. Build it again.",
                        entry.FullName);
                }

                CheckDeclaredSize(written, entry.FullName);
                if (_totalBytes > _limits.MaxTotalSize)
                {
                    throw TotalTooLarge(_totalBytes, entry.FullName);
                }

                CheckRatio(written, compressed, entry.FullName);
                CheckRatio(_totalBytes, Math.Max(packageSize, 1), null);

                crc.Append(buffer.AsSpan(0, read));
                await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                Report(PluginInstallStage.Extracting, force: false);
            }
        }
        catch (InvalidDataException ex)
        {
            throw Fail(PluginInstallErrorKind.CorruptPackage,
                $"The entry '{entry.FullName}' cannot be decompressed ({ex.Message}); the package is corrupt. Build it again.", entry.FullName, ex);
        }
        catch (NotSupportedException ex)
        {
            throw Fail(PluginInstallErrorKind.CorruptPackage,
                $"The entry '{entry.FullName}' uses an unsupported zip feature ({ex.Message}); build the package with plain deflate compression and no encryption.",
                entry.FullName, ex);
        }

        if (written != entry.Length || crc.Value != entry.Crc32)
        {
            throw Fail(PluginInstallErrorKind.HeaderMismatch,
                $"The entry '{entry.FullName}' does not match its header (declares {entry.Length:N0} bytes with CRC-32 {entry.Crc32:x8}, "
                + $"holds {written:N0} bytes with CRC-32 {crc.Value:x8}); the package is corrupt or was tampered with. Build it again.",
                entry.FullName);
        }

        SetMode(target, (item.Mode & 0x49) != 0); // Any of the owner/group/other execute bits.
        _filesDone++;
    }

    private async Task CopyFileAsync(FileInfo file, string relative, string target, CancellationToken cancellationToken)
    {
        var executable = !OperatingSystem.IsWindows() && (file.UnixFileMode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
        if (file.Length == 0)
        {
            // Never open zero-length entries: FIFOs, sockets and device nodes report length 0, and reading them could
            // block forever or copy device content. An empty regular file loses nothing.
            await using (new FileStream(target, FileMode.CreateNew, FileAccess.Write))
            {
            }
        }
        else
        {
            long written = 0;
            var buffer = new byte[BufferSize];
            await using var input = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
            await using var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
            int read;
            while ((read = await input.ReadAsync(buffer, cancellationToken)) > 0)
            {
                written += read;
                _totalBytes += read;
                CheckDeclaredSize(written, relative);
                if (_totalBytes > _limits.MaxTotalSize)
                {
                    throw TotalTooLarge(_totalBytes, relative);
                }

                await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                Report(PluginInstallStage.Extracting, force: false);
            }
        }

        SetMode(target, executable);
        _filesDone++;
    }

    /// <summary>Turns an archive entry name into a safe relative path with '/' separators, or throws.</summary>
    internal static string NormalizeEntryPath(string name)
    {
        string Reject(string why) => throw new PluginInstallException(PluginInstallErrorKind.UnsafePath,
            $"The entry '{name}' {why}; a package may only contain relative paths inside the plugin folder. Rebuild the package from the plugin folder.", name);

        if (name.Length == 0 || name.Length > MaxPathLength)
        {
            return Reject(name.Length == 0 ? "has an empty name" : $"has a path longer than {MaxPathLength} characters");
        }

        if (name.Any(c => char.IsControl(c)))
        {
            return Reject("contains control characters");
        }

        var unified = name.Replace('\\', '/');
        if (unified[0] == '/')
        {
            return Reject("is an absolute path");
        }

        if (unified.Length >= 2 && char.IsAsciiLetter(unified[0]) && unified[1] == ':')
        {
            return Reject("starts with a drive letter");
        }

        if (unified.Contains(':', StringComparison.Ordinal))
        {
            return Reject("contains ':' (drive letters and alternate data streams are not allowed)");
        }

        var segments = new List<string>();
        foreach (var segment in unified.Split('/'))
        {
            if (segment.Length == 0 || segment == ".")
            {
                continue;
            }

            if (segment == "..")
            {
                return Reject("contains a '..' segment (path traversal)");
            }

            if (segment.Length > MaxSegmentLength)
            {
                return Reject($"has a name longer than {MaxSegmentLength} characters");
            }

            segments.Add(segment);
        }

        return segments.Count == 0 ? Reject("names no file or folder") : string.Join('/', segments);
    }

    internal static string ResolveInside(string root, string relative, string entryName)
    {
        var fullRoot = Path.GetFullPath(root);
        var target = Path.GetFullPath(Path.Combine(fullRoot, relative));
        if (!target.StartsWith(fullRoot + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new PluginInstallException(PluginInstallErrorKind.UnsafePath,
                $"The entry '{entryName}' resolves outside the plugin folder; rebuild the package from the plugin folder.", entryName);
        }

        return target;
    }

    private static void RecordPath(Dictionary<string, bool> seen, string path, bool isDirectory, string entryName)
    {
        var slash = -1;
        while ((slash = path.IndexOf('/', slash + 1)) >= 0)
        {
            var parent = path[..slash];
            if (seen.TryGetValue(parent, out var parentIsDirectory) && !parentIsDirectory)
            {
                throw new PluginInstallException(PluginInstallErrorKind.DuplicateEntry,
                    $"The entry '{entryName}' needs '{parent}' to be a folder, but the package also has a file with that name; remove one and build the package again.",
                    entryName);
            }

            seen[parent] = true;
        }

        if (seen.TryGetValue(path, out var existingIsDirectory) && existingIsDirectory != isDirectory)
        {
            throw new PluginInstallException(PluginInstallErrorKind.DuplicateEntry,
                $"The package has both a file and a folder named '{path}'; remove one and build the package again.", entryName);
        }

        seen[path] = isDirectory;
    }

    private void CheckDeclaredSize(long size, string entryName)
    {
        if (size > _limits.MaxEntrySize)
        {
            throw Fail(PluginInstallErrorKind.EntryTooLarge,
                $"The file '{entryName}' is larger than the {Size(_limits.MaxEntrySize)} allowed per file (PluginStoreOptions.MaxEntrySize). "
                + "Remove it from the package or raise the limit.", entryName);
        }
    }

    private void CheckRatio(long uncompressed, long compressed, string? entryName)
    {
        if (uncompressed <= _limits.CompressionRatioThreshold || (double)uncompressed / compressed <= _limits.MaxCompressionRatio)
        {
            return;
        }

        var ratio = ((double)uncompressed / compressed).ToString("N0", CultureInfo.InvariantCulture);
        var what = entryName is null ? "The package" : $"The entry '{entryName}'";
        throw Fail(PluginInstallErrorKind.CompressionRatioTooHigh,
            $"{what} expands more than {_limits.MaxCompressionRatio:N0}× ({ratio}× so far), which is how zip bombs work; it was rejected. "
            + "If the package is genuine, raise PluginStoreOptions.MaxCompressionRatio.", entryName);
    }

    private PluginInstallException TotalTooLarge(long total, string entryName) => Fail(PluginInstallErrorKind.TotalSizeTooLarge,
        $"The files add up to more than the {Size(_limits.MaxTotalSize)} allowed (PluginStoreOptions.MaxTotalSize; {Size(total)} reached at '{entryName}'). "
        + "Remove unneeded files or raise the limit.", entryName);

    private void Report(PluginInstallStage stage, bool force)
    {
        if (_progress is null || (!force && _totalBytes - _lastReported < 1024 * 1024))
        {
            return;
        }

        _lastReported = _totalBytes;
        _progress.Report(new PluginInstallProgress(stage, _filesDone, _filesTotal, _totalBytes));
    }

    private static void SetMode(string path, bool executable)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // Never setuid/setgid/sticky, never group- or world-writable, whatever the package says.
        var mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        if (executable)
        {
            mode |= UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        }

        File.SetUnixFileMode(path, mode);
    }

    private static string DescribeType(int type) => type switch
    {
        0x1000 => "FIFO (named pipe)",
        0x2000 => "character device",
        0x6000 => "block device",
        0xC000 => "socket",
        _ => $"special file (type 0x{type:x4})",
    };

    private static PluginInstallException Fail(PluginInstallErrorKind kind, string message, string? entryName = null, Exception? inner = null)
        => new(kind, message, entryName, inner);

    internal static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.#", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.#", CultureInfo.InvariantCulture) + " MiB",
        >= 1L << 10 => (bytes / (double)(1L << 10)).ToString("0.#", CultureInfo.InvariantCulture) + " KiB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " bytes",
    };

    private sealed record PlannedEntry(ZipArchiveEntry Entry, string Path, bool IsDirectory, int Mode);
}
