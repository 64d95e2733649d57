using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Plugboard.Runtime.Plugins;

/// <summary>
/// Computes the content address of a plugin folder: SHA-256 over its regular files in ordinal order of their relative
/// path ('/' separators). Per file it hashes the UTF-8 path, a zero byte, an executable flag byte ('x' or '-'), the
/// length as 8 bytes big-endian, then the content. Timestamps, other permissions and empty folders do not count, so the
/// same plugin packaged twice (or once as a folder, once as a zip) gets the same hash.
/// </summary>
internal static class ContentHasher
{
    public static async Task<string> HashDirectoryAsync(string root, CancellationToken cancellationToken)
    {
        var files = Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(f => (Full: f, Relative: Path.GetRelativePath(root, f).Replace('\\', '/')))
            .OrderBy(f => f.Relative, StringComparer.Ordinal)
            .ToList();

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        var header = new byte[10];
        foreach (var (full, relative) in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var info = new FileInfo(full);
            hash.AppendData(Encoding.UTF8.GetBytes(relative));
            header[0] = 0;
            header[1] = IsExecutable(info) ? (byte)'x' : (byte)'-';
            BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(2), info.Length);
            hash.AppendData(header);
            if (info.Length == 0)
            {
                continue;
            }

            await using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                hash.AppendData(buffer, 0, read);
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static bool IsExecutable(FileInfo file)
        => !OperatingSystem.IsWindows() && (file.UnixFileMode & UnixFileMode.UserExecute) != 0;
}
