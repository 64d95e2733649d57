using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Plugboard.Box.Sessions;

/// <summary>A Box-managed host folder backing a session's <c>/workspace</c> (its <c>workspace</c> subfolder) and, for host jails, <c>/tmp</c> (its <c>tmp</c> subfolder).</summary>
/// <param name="Path">The host folder (the mount point when mounted).</param>
/// <param name="Persistent">Whether it survives the session.</param>
/// <param name="Mounted">Whether the Box mounted a size-capped file system on it (tmpfs or a loop image).</param>
/// <param name="Description">How its size is capped, for status output.</param>
internal sealed record HostWorkspace(string Path, bool Persistent, bool Mounted, string Description)
{
    /// <summary>The folder seen as <c>/workspace</c>.</summary>
    public string WorkspacePath => System.IO.Path.Combine(Path, "workspace");

    /// <summary>The folder host jails see as <c>/tmp</c> (emptied whenever the workspace is prepared).</summary>
    public string TmpPath => System.IO.Path.Combine(Path, "tmp");
}

/// <summary>
/// Host folders for workspaces under <c>DATA/workspaces</c>. The quota is the size of the mount itself: a persistent
/// workspace is a loop-mounted ext4 image of the quota's size (kept as <c>ID.img</c> between sessions and Box
/// restarts), a temporary one a size-capped tmpfs. Mounting needs root; without it the folder is plain and the
/// quota is reported as not enforced.
/// </summary>
internal sealed partial class WorkspaceStore
{
    private readonly ILogger _logger;

    public WorkspaceStore(string dataDirectory, ILogger logger)
    {
        Root = System.IO.Path.Combine(dataDirectory, "workspaces");
        _logger = logger;
        Directory.CreateDirectory(Root);
        File.SetUnixFileMode(Root, Hosting.BoxHost.TraverseOnly);
        CanMount = Environment.IsPrivilegedProcess && FindTool("mount") is not null && FindTool("mkfs.ext4") is not null;
    }

    public string Root { get; }

    /// <summary>Whether quotas are enforced by mounts (the Box runs as root and has mount and mkfs.ext4).</summary>
    public bool CanMount { get; }

    /// <summary>Prepares a workspace (with its <c>workspace</c> and empty <c>tmp</c> subfolders) owned by <paramref name="uid"/>:<paramref name="gid"/>.</summary>
    public async Task<HostWorkspace> PrepareAsync(string sessionId, bool persistent, int quotaMb, int uid, int gid, CancellationToken cancellationToken)
    {
        var workspace = await PrepareRootAsync(sessionId, persistent, quotaMb, uid, gid, cancellationToken).ConfigureAwait(false);
        try
        {
            Directory.CreateDirectory(workspace.WorkspacePath);
            DeleteTree(workspace.TmpPath);
            Directory.CreateDirectory(workspace.TmpPath);
            MakeAccessible(workspace.WorkspacePath, uid, gid, sticky: false);
            MakeAccessible(workspace.TmpPath, uid, gid, sticky: true);
            return workspace;
        }
        catch
        {
            await ReleaseAsync(workspace, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    private async Task<HostWorkspace> PrepareRootAsync(string sessionId, bool persistent, int quotaMb, int uid, int gid, CancellationToken cancellationToken)
    {
        var path = persistent
            ? System.IO.Path.Combine(Root, sessionId)
            : System.IO.Path.Combine(Root, $"tmp-{sessionId}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4))}");
        Directory.CreateDirectory(path);
        if (await IsMountPointAsync(path).ConfigureAwait(false))
        {
            // A leftover mount (a crashed Box, or a session recreated): reuse it.
            return new HostWorkspace(path, persistent, true, persistent ? $"host folder on a {quotaMb} MiB loop image" : $"host tmpfs {quotaMb} MiB");
        }

        if (!CanMount)
        {
            return new HostWorkspace(path, persistent, false, "host folder (quota not enforced: the Box is not root)");
        }

        if (persistent)
        {
            var image = path + ".img";
            if (!File.Exists(image))
            {
                await using (var stream = new FileStream(image, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                {
                    stream.SetLength(quotaMb * 1024L * 1024L);
                }

                File.SetUnixFileMode(image, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                await RunAsync(FindTool("mkfs.ext4")!, ["-q", "-F", "-m", "0", "-E", $"root_owner={uid}:{gid}", image], cancellationToken).ConfigureAwait(false);
            }

            await RunAsync("mount", ["-o", "loop,nosuid,nodev,noatime", image, path], cancellationToken).ConfigureAwait(false);
            return new HostWorkspace(path, true, true, $"host folder on a {new FileInfo(image).Length / (1024 * 1024)} MiB loop image");
        }

        await RunAsync("mount", ["-t", "tmpfs", "-o", string.Create(CultureInfo.InvariantCulture, $"size={quotaMb}m,mode=0700,uid={uid},gid={gid},nosuid,nodev"), "tmpfs", path], cancellationToken).ConfigureAwait(false);
        return new HostWorkspace(path, false, true, $"host tmpfs {quotaMb} MiB");
    }

    /// <summary>Unmounts a workspace and deletes it unless it is persistent.</summary>
    public async Task ReleaseAsync(HostWorkspace workspace, CancellationToken cancellationToken)
    {
        if (!workspace.Path.StartsWith(Root + "/", StringComparison.Ordinal))
        {
            return;
        }

        if (workspace.Mounted || await IsMountPointAsync(workspace.Path).ConfigureAwait(false))
        {
            await UnmountAsync(workspace.Path, cancellationToken).ConfigureAwait(false);
        }

        if (!workspace.Persistent)
        {
            DeleteTree(workspace.Path);
        }
    }

    /// <summary>Deletes a persistent workspace for good (folder and image).</summary>
    public async Task DeletePersistentAsync(string sessionId, CancellationToken cancellationToken)
    {
        var path = System.IO.Path.Combine(Root, sessionId);
        if (await IsMountPointAsync(path).ConfigureAwait(false))
        {
            await UnmountAsync(path, cancellationToken).ConfigureAwait(false);
        }

        DeleteTree(path);
        File.Delete(path + ".img");
    }

    /// <summary>At start-up: unmounts what a crashed Box left mounted and deletes its temporary workspaces.</summary>
    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
        foreach (var mountPoint in await ListMountPointsAsync().ConfigureAwait(false))
        {
            if (mountPoint.StartsWith(Root + "/", StringComparison.Ordinal))
            {
                await UnmountAsync(mountPoint, cancellationToken).ConfigureAwait(false);
            }
        }

        foreach (var directory in Directory.EnumerateDirectories(Root, "tmp-*"))
        {
            DeleteTree(directory);
        }
    }

    private async Task UnmountAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            await RunAsync("umount", [path], cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Busy (a container still holds it): detach it lazily so the session can be deleted anyway.
            await RunAsync("umount", ["-l", path], cancellationToken).ConfigureAwait(false);
        }
    }

    private void DeleteTree(string path)
    {
        try
        {
            // Directory.Delete removes symlinks without following them.
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.WorkspaceDeleteFailed(_logger, path, ex.Message);
        }
    }

    private static void MakeAccessible(string path, int uid, int gid, bool sticky)
    {
        try
        {
            if (Environment.IsPrivilegedProcess)
            {
                Chown(path, uid, gid);
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            else
            {
                // The sandbox user may differ from ours and we cannot chown: open the folder itself (the data folder above stays private).
                File.SetUnixFileMode(path, (UnixFileMode)(sticky ? 0x3FF : 0x1FF));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort; the sandbox reports permission errors itself.
        }
    }

    private static void Chown(string path, int uid, int gid)
    {
        if (LChown(path, uid, gid) != 0)
        {
            throw new IOException($"chown {uid}:{gid} {path} failed (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}).");
        }
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "lchown", StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8, SetLastError = true)]
    private static partial int LChown(string path, int uid, int gid);

    private static async Task<bool> IsMountPointAsync(string path) => (await ListMountPointsAsync().ConfigureAwait(false)).Contains(path);

    private static async Task<HashSet<string>> ListMountPointsAsync()
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in await File.ReadAllLinesAsync("/proc/self/mounts").ConfigureAwait(false))
        {
            var fields = line.Split(' ');
            if (fields.Length > 1)
            {
                // /proc/self/mounts escapes space, tab, newline and backslash as octal.
                result.Add(fields[1].Replace("\\040", " ", StringComparison.Ordinal).Replace("\\011", "\t", StringComparison.Ordinal).Replace("\\012", "\n", StringComparison.Ordinal).Replace("\\134", "\\", StringComparison.Ordinal));
            }
        }

        return result;
    }

    internal static string? FindTool(string name)
    {
        foreach (var directory in new[] { "/usr/sbin", "/sbin", "/usr/bin", "/bin" })
        {
            var candidate = System.IO.Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static async Task RunAsync(string file, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start.");
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        _ = process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {(await stderr.ConfigureAwait(false)).Trim()}");
        }
    }
}
