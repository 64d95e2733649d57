using System.Security.Cryptography;
using System.Text;

namespace Plugboard.Cli.Server;

/// <summary>
/// Secret tokens kept in files readable by their owner only (mode 0600): generated on first use, reused afterwards,
/// and compared in constant time.
/// </summary>
internal static class TokenFile
{
    /// <summary>The mode token files get: read and write for the owner only.</summary>
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// Returns the token stored at <paramref name="path"/>, creating the file with a new random token if it does not exist
    /// or is empty. A file readable by others is tightened to 0600 (<paramref name="tightened"/> tells).
    /// </summary>
    public static string EnsureToken(string path, out bool created, out bool tightened)
    {
        created = false;
        tightened = false;
        var directory = Path.GetDirectoryName(path)!;
        CreatePrivateDirectory(directory);
        if (File.Exists(path))
        {
            if (!OperatingSystem.IsWindows())
            {
                var mode = File.GetUnixFileMode(path);
                if ((mode & ~OwnerOnly) != 0)
                {
                    File.SetUnixFileMode(path, OwnerOnly);
                    tightened = true;
                }
            }

            var existing = File.ReadAllText(path).Trim();
            if (existing.Length > 0)
            {
                return existing;
            }

            File.Delete(path);
        }

        var token = NewToken();
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        try
        {
            using var stream = new FileStream(path, options);
            stream.Write(Encoding.UTF8.GetBytes(token + "\n"));
            created = true;
            return token;
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created it first: use theirs.
            return File.ReadAllText(path).Trim();
        }
    }

    /// <summary>Reads an existing token file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static string Read(string path) => File.ReadAllText(path).Trim();

    /// <summary>A new random token: 32 bytes, base64url.</summary>
    public static string NewToken() => Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>Compares a presented token with the expected one in constant time.</summary>
    public static bool Matches(string? presented, string expected)
    {
        if (presented is null)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
    }

    /// <summary>Creates a folder (and its parents) with mode 0700 when it does not exist yet.</summary>
    public static void CreatePrivateDirectory(string directory)
    {
        if (Directory.Exists(directory))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
