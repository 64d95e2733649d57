using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Plugboard.Box.Security;

/// <summary>Host path helpers that do not trust symlinks.</summary>
internal static partial class PathResolver
{
    /// <summary>The kind of a host file system entry, without following a final symlink.</summary>
    internal enum UnixFileType
    {
        Missing,
        Regular,
        Directory,
        Symlink,
        Other,
    }

    /// <summary>Resolves every symlink in an absolute path (like <c>realpath</c>); throws <see cref="IOException"/> on a loop or a missing component.</summary>
    public static string ResolveReal(string path)
    {
        if (!Path.IsPathFullyQualified(path))
        {
            throw new IOException($"'{path}' is not absolute.");
        }

        var pending = new List<string>(path.Split('/', StringSplitOptions.RemoveEmptyEntries));
        var current = "/";
        var hops = 0;
        while (pending.Count > 0)
        {
            var part = pending[0];
            pending.RemoveAt(0);
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? "/";
                continue;
            }

            var next = current == "/" ? "/" + part : current + "/" + part;
            var type = FileType(next);
            if (type == UnixFileType.Missing)
            {
                throw new IOException($"'{next}' does not exist.");
            }

            if (type == UnixFileType.Symlink)
            {
                if (++hops > 40)
                {
                    throw new IOException($"Too many symlinks resolving '{path}'.");
                }

                var target = new FileInfo(next).LinkTarget ?? "";
                pending.InsertRange(0, target.Split('/', StringSplitOptions.RemoveEmptyEntries));
                if (target.StartsWith('/'))
                {
                    current = "/";
                }

                continue;
            }

            current = next;
        }

        return current;
    }

    /// <summary>The type of <paramref name="path"/> itself, from <c>lstat(2)</c> (a final symlink is <see cref="UnixFileType.Symlink"/>).</summary>
    public static UnixFileType FileType(string path)
    {
        var mode = LStatMode(path);
        if (mode is null)
        {
            return UnixFileType.Missing;
        }

        return (mode.Value & 0xF000) switch
        {
            0x8000 => UnixFileType.Regular,
            0x4000 => UnixFileType.Directory,
            0xA000 => UnixFileType.Symlink,
            _ => UnixFileType.Other,
        };
    }

    private static uint? LStatMode(string path)
    {
        // struct stat layouts: x86-64 puts st_mode at offset 24 (after 8-byte st_dev, st_ino, st_nlink); the generic
        // layout of arm64 and most others at offset 16 (st_nlink is 4 bytes and follows st_mode).
        var offset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 24 : 16;
        var buffer = new byte[256];
        if (LStat(path, buffer) != 0)
        {
            return null;
        }

        return BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(offset));
    }

    [LibraryImport("libc", EntryPoint = "lstat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int LStat(string path, byte[] buffer);
}
