using System.Text;
using Plugboard.Box.Backends;

namespace Plugboard.Box.Sessions;

/// <summary>
/// The file tools run inside the session, as the session's user, like any command: the host's files are never
/// opened on the caller's behalf. They still refuse a symlink anywhere in the path (the path must equal its
/// <c>realpath</c>), so a link planted in the workspace cannot redirect them, even to the sandbox's own files.
/// </summary>
internal static class FileScripts
{
    /// <summary>Arguments: path, max bytes. Stderr: the size; stdout: the first max bytes.</summary>
    public const string Read = """
        p=$1; max=$2
        if [ -L "$p" ]; then echo "it is a symlink" >&2; exit 41; fi
        if [ ! -e "$p" ]; then exit 44; fi
        if [ ! -f "$p" ]; then echo "it is not a regular file" >&2; exit 42; fi
        r=$(realpath "$p" 2>/dev/null || readlink -f "$p")
        if [ "$r" != "$p" ]; then echo "the path goes through a symlink (it resolves to $r)" >&2; exit 43; fi
        size=$(wc -c < "$p") || exit 47
        echo $size >&2
        head -c "$max" "$p" || exit 47
        """;

    /// <summary>Arguments: path, append (0/1), create folders (0/1). Stdin: the content.</summary>
    public const string Write = """
        p=$1; d=${p%/*}; [ -z "$d" ] && d=/
        if [ "$3" = 1 ] && [ ! -d "$d" ]; then mkdir -p "$d" || exit 47; fi
        if [ ! -d "$d" ]; then echo "the folder $d does not exist" >&2; exit 44; fi
        r=$(realpath "$d" 2>/dev/null || readlink -f "$d")
        if [ "$r" != "$d" ]; then echo "the path goes through a symlink (the folder resolves to $r)" >&2; exit 43; fi
        if [ -L "$p" ]; then echo "it is a symlink" >&2; exit 41; fi
        if [ -e "$p" ] && [ ! -f "$p" ]; then echo "it is not a regular file" >&2; exit 42; fi
        if [ "$2" = 1 ]; then cat >> "$p" || exit 47; else cat > "$p" || exit 47; fi
        """;

    /// <summary>An absolute canonical path inside the sandbox; relative paths are taken from <c>/workspace</c>.</summary>
    public static string NormalizePath(string? path)
    {
        if (string.IsNullOrEmpty(path) || path.Any(char.IsControl))
        {
            throw BoxErrors.InvalidRequest("path", "The path is empty or contains a control character.");
        }

        if (!path.StartsWith('/'))
        {
            path = SessionSpecResolver.WorkspacePath + "/" + path;
        }

        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Any(s => s is "." or ".."))
        {
            throw BoxErrors.InvalidRequest("path", $"'{path}' contains '.' or '..'; pass the plain absolute path.");
        }

        if (segments.Length == 0)
        {
            throw BoxErrors.InvalidRequest("path", "'/' is not a file.");
        }

        return "/" + string.Join('/', segments);
    }

    public static void ThrowOnFailure(string path, ExecOutcome outcome)
    {
        if (outcome.Status != Contracts.BoxExecStatus.Completed)
        {
            throw BoxErrors.InvalidRequest("path", $"The file operation on '{path}' did not finish: {outcome.Message}");
        }

        var detail = Encoding.UTF8.GetString(outcome.Stderr.ToArray()).Trim();
        switch (outcome.ExitCode)
        {
            case 0:
                return;
            case 44:
                throw BoxErrors.FileNotFound(path);
            case 41 or 42 or 43:
                throw BoxErrors.FileAccessDenied(path, detail);
            default:
                throw BoxErrors.FileAccessDenied(path, detail.Length == 0 ? $"the operation failed with exit code {outcome.ExitCode}" : detail);
        }
    }
}
