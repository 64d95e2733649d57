namespace Plugboard.Box.Security;

/// <summary>A host path that passed <see cref="MountValidator"/>.</summary>
/// <param name="HostPath">The canonical host path (no symlink anywhere in it).</param>
/// <param name="IsDirectory">Whether it is a folder (else a regular file).</param>
internal sealed record ValidatedHostPath(string HostPath, bool IsDirectory);

/// <summary>
/// Decides whether a host path may be mounted into a sandbox. A path must be absolute and canonical (no <c>.</c>,
/// <c>..</c>, empty segments or trailing slash), contain no NUL or control character, have no symlink in any
/// component, exist as a folder or regular file, lie under one of the allowed roots (themselves resolved once,
/// at start-up), and be neither a denied path (<c>/</c>, <c>/proc</c>, <c>/sys</c>, <c>/dev</c>, <c>/etc</c>,
/// <c>/root</c>, <c>/boot</c>, <c>/run</c>, the Docker socket and data, the Box's own data), nor inside one, nor an
/// ancestor of one. An empty allowlist rejects every host mount.
/// </summary>
internal sealed class MountValidator
{
    private static readonly string[] SystemDenied = ["/proc", "/sys", "/dev", "/etc", "/root", "/boot", "/run", "/var/run", "/var/lib/docker", "/var/lib/containerd"];
    private static readonly string[] ReservedTargets = ["/", "/bin", "/sbin", "/usr", "/lib", "/lib32", "/lib64", "/etc", "/tmp", "/var", "/run", "/root", "/home", "/boot", "/opt"];
    private static readonly string[] DeniedTargetTrees = ["/proc", "/sys", "/dev"];
    private readonly List<string> _allowedRoots = [];
    private readonly List<string> _denied = [];

    /// <param name="allowedRoots">Host folders under which mounts are allowed (resolved here; missing ones are ignored with a warning by the caller).</param>
    /// <param name="extraDenied">More denied host paths: the Docker socket, the Box's data folder.</param>
    public MountValidator(IEnumerable<string> allowedRoots, IEnumerable<string> extraDenied)
    {
        foreach (var root in allowedRoots)
        {
            if (string.IsNullOrWhiteSpace(root) || !Path.IsPathFullyQualified(root) || !Directory.Exists(root))
            {
                Problems.Add($"allowed mount root '{root}' is not an existing absolute folder; ignored");
                continue;
            }

            var real = PathResolver.ResolveReal(root);
            if (real == "/")
            {
                Problems.Add("allowed mount root '/' would allow every host path; ignored");
                continue;
            }

            _allowedRoots.Add(real);
        }

        foreach (var path in SystemDenied.Concat(extraDenied))
        {
            if (string.IsNullOrWhiteSpace(path) || !Path.IsPathFullyQualified(path))
            {
                continue;
            }

            _denied.Add(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)));
            try
            {
                _denied.Add(PathResolver.ResolveReal(path));
            }
            catch (IOException)
            {
                // A denied path that does not exist (yet) is still denied by its literal name.
            }
        }
    }

    /// <summary>The resolved allowed roots.</summary>
    public IReadOnlyList<string> AllowedRoots => _allowedRoots;

    /// <summary>Configuration problems found at start-up (logged by the caller).</summary>
    public List<string> Problems { get; } = [];

    /// <summary>Validates a host path; throws <see cref="BoxErrors.MountRejected"/> with the reason.</summary>
    public ValidatedHostPath ValidateHostPath(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            throw BoxErrors.MountRejected(path ?? "", "the host path is empty.");
        }

        if (path.Any(char.IsControl))
        {
            throw BoxErrors.MountRejected(Printable(path), "the host path contains a NUL or control character.");
        }

        if (!path.StartsWith('/'))
        {
            throw BoxErrors.MountRejected(path, "the host path must be absolute.");
        }

        if (path == "/")
        {
            throw BoxErrors.MountRejected(path, "'/' would expose the whole host.");
        }

        var segments = path.Split('/');
        if (segments.Skip(1).Any(s => s is "" or "." or ".."))
        {
            throw BoxErrors.MountRejected(path, "the host path must be canonical: no '.', '..', empty segments or trailing '/'.");
        }

        foreach (var denied in _denied)
        {
            if (path == denied || IsUnder(path, denied))
            {
                throw BoxErrors.MountRejected(path, $"'{denied}' is never mountable.");
            }

            if (IsUnder(denied, path))
            {
                throw BoxErrors.MountRejected(path, $"it contains '{denied}', which is never mountable.");
            }
        }

        if (_allowedRoots.Count == 0)
        {
            throw BoxErrors.MountRejected(path, "the Box allows no host mounts (Box:AllowedMountRoots is empty).");
        }

        if (!_allowedRoots.Any(root => path == root || IsUnder(path, root)))
        {
            throw BoxErrors.MountRejected(path, $"it is outside the allowed mount roots ({string.Join(", ", _allowedRoots)}).");
        }

        // Every component must exist and none may be a symlink (Docker and bwrap follow bind-source symlinks).
        var prefix = "";
        for (var i = 1; i < segments.Length; i++)
        {
            prefix += "/" + segments[i];
            var type = PathResolver.FileType(prefix);
            if (type == PathResolver.UnixFileType.Missing)
            {
                throw BoxErrors.MountRejected(path, $"'{prefix}' does not exist.");
            }

            if (type == PathResolver.UnixFileType.Symlink)
            {
                throw BoxErrors.MountRejected(path, $"'{prefix}' is a symlink; mount the real path instead.");
            }
        }

        return PathResolver.FileType(path) switch
        {
            PathResolver.UnixFileType.Directory => new ValidatedHostPath(path, IsDirectory: true),
            PathResolver.UnixFileType.Regular => new ValidatedHostPath(path, IsDirectory: false),
            _ => throw BoxErrors.MountRejected(path, "it is neither a folder nor a regular file (sockets and devices are never mountable)."),
        };
    }

    /// <summary>Validates a path inside the sandbox where a host path is mounted.</summary>
    public static string ValidateTarget(string? target, string field)
    {
        if (string.IsNullOrEmpty(target) || !target.StartsWith('/'))
        {
            throw BoxErrors.InvalidRequest(field, $"The mount path '{target}' must be an absolute path inside the sandbox, e.g. /workspace/data.");
        }

        if (target.Any(char.IsControl) || target.Contains(','))
        {
            throw BoxErrors.InvalidRequest(field, $"The mount path '{Printable(target)}' contains a control character or a comma.");
        }

        if (target.Split('/').Skip(1).Any(s => s is "" or "." or ".."))
        {
            throw BoxErrors.InvalidRequest(field, $"The mount path '{target}' must be canonical: no '.', '..', empty segments or trailing '/'.");
        }

        if (ReservedTargets.Contains(target) || DeniedTargetTrees.Any(t => target == t || IsUnder(target, t)))
        {
            throw BoxErrors.InvalidRequest(field, $"The mount path '{target}' would hide a system folder; mount under /workspace or /mnt instead.");
        }

        return target;
    }

    private static bool IsUnder(string path, string root) => path.StartsWith(root == "/" ? "/" : root + "/", StringComparison.Ordinal);

    private static string Printable(string value) => new(value.Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
