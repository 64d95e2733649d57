using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Plugboard.Box.Hosting;

/// <summary>
/// Who this Box process is, written as labels on everything it creates so a later Box can tell its own live
/// sandboxes from orphans: a random instance id, a scope (shared by Boxes of one data folder), and the host, pid and
/// pid start time of the owning process.
/// </summary>
internal sealed class BoxIdentity
{
    public BoxIdentity(string dataDirectory, string? scope)
    {
        InstanceId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        Scope = string.IsNullOrWhiteSpace(scope)
            ? Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(dataDirectory))))[..12]
            : new string(scope.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.').Take(32).ToArray());
        HostName = Environment.MachineName;
        ProcessId = Environment.ProcessId;
        ProcessStart = ReadStartTime(ProcessId) ?? "0";
        StartedAt = DateTimeOffset.UtcNow;
    }

    public string InstanceId { get; }

    public string Scope { get; }

    public string HostName { get; }

    public int ProcessId { get; }

    /// <summary>The process's start time in clock ticks since boot (field 22 of /proc/pid/stat), as text.</summary>
    public string ProcessStart { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>Whether the Box process described by these label values is still alive on this host.</summary>
    public static bool IsOwnerAlive(string? pid, string? start)
    {
        if (!int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            return false;
        }

        var actual = ReadStartTime(id);
        return actual is not null && actual == start;
    }

    internal static string? ReadStartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return rest.Length > 19 ? rest[19] : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
