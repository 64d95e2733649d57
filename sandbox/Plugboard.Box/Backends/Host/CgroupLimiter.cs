using System.Globalization;
using Plugboard.Box.Sessions;

namespace Plugboard.Box.Backends.Host;

/// <summary>The cgroups of one jailed session: folders a process joins by writing its pid to <c>cgroup.procs</c>.</summary>
internal sealed record CgroupSet(IReadOnlyList<string> Directories);

/// <summary>
/// Memory (with swap disabled), pids and CPU limits for host jails through cgroups, which bubblewrap lacks. Needs
/// root and a writable cgroup file system; supports cgroup v1 (one hierarchy per controller) and v2 (unified).
/// Sessions live under <c>plugboard-box/SCOPE/</c> in each hierarchy.
/// </summary>
internal sealed class CgroupLimiter
{
    private const string Base = "/sys/fs/cgroup";
    private readonly bool _v2;
    private readonly string _scope;

    private CgroupLimiter(bool v2, string scope)
    {
        _v2 = v2;
        _scope = scope;
    }

    public string Description => _v2 ? "cgroup v2" : "cgroup v1";

    public static CgroupLimiter? TryCreate(string scope)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            return null;
        }

        try
        {
            if (File.Exists(Path.Combine(Base, "cgroup.controllers")))
            {
                var limiter = new CgroupLimiter(true, scope);
                var root = limiter.ScopeRoot("");
                Directory.CreateDirectory(root);
                EnableControllers(Base);
                EnableControllers(Path.Combine(Base, "plugboard-box"));
                EnableControllers(root);
                return limiter;
            }

            if (Directory.Exists(Path.Combine(Base, "memory")) && Directory.Exists(Path.Combine(Base, "pids")) && Directory.Exists(Path.Combine(Base, "cpu")))
            {
                var limiter = new CgroupLimiter(false, scope);
                foreach (var controller in new[] { "memory", "pids", "cpu" })
                {
                    Directory.CreateDirectory(limiter.ScopeRoot(controller));
                }

                return limiter;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Read-only or delegated-away cgroup file system: fall back to rlimits.
        }

        return null;
    }

    public CgroupSet Create(string name, EffectiveLimits limits)
    {
        var memory = (limits.MemoryMb * 1024L * 1024L).ToString(CultureInfo.InvariantCulture);
        var pids = limits.PidsLimit.ToString(CultureInfo.InvariantCulture);
        var quota = ((long)Math.Round(limits.Cpus * 100_000)).ToString(CultureInfo.InvariantCulture);
        if (_v2)
        {
            var directory = Path.Combine(ScopeRoot(""), name);
            Directory.CreateDirectory(directory);
            Write(directory, "memory.max", memory);
            TryWrite(directory, "memory.swap.max", "0");
            Write(directory, "pids.max", pids);
            Write(directory, "cpu.max", quota + " 100000");
            return new CgroupSet([directory]);
        }

        var memoryDir = Path.Combine(ScopeRoot("memory"), name);
        var pidsDir = Path.Combine(ScopeRoot("pids"), name);
        var cpuDir = Path.Combine(ScopeRoot("cpu"), name);
        foreach (var directory in new[] { memoryDir, pidsDir, cpuDir })
        {
            Directory.CreateDirectory(directory);
        }

        Write(memoryDir, "memory.limit_in_bytes", memory);
        TryWrite(memoryDir, "memory.memsw.limit_in_bytes", memory);
        TryWrite(memoryDir, "memory.swappiness", "0");
        Write(pidsDir, "pids.max", pids);
        Write(cpuDir, "cpu.cfs_period_us", "100000");
        Write(cpuDir, "cpu.cfs_quota_us", quota);
        return new CgroupSet([memoryDir, pidsDir, cpuDir]);
    }

    /// <summary>Kills whatever is left in the cgroups and removes them.</summary>
    public static async Task RemoveAsync(CgroupSet set)
    {
        foreach (var directory in set.Directories)
        {
            for (var attempt = 0; attempt < 50 && Directory.Exists(directory); attempt++)
            {
                if (!KillAll(directory))
                {
                    try
                    {
                        Directory.Delete(directory);
                        break;
                    }
                    catch (IOException)
                    {
                        // Still busy: processes are exiting.
                    }
                }

                await Task.Delay(20).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Removes this scope's (empty) cgroup folders when the Box shuts down.</summary>
    public void RemoveScope()
    {
        foreach (var controller in _v2 ? new[] { "" } : ["memory", "pids", "cpu"])
        {
            try
            {
                var root = ScopeRoot(controller);
                if (Directory.Exists(root) && !Directory.EnumerateDirectories(root).Any())
                {
                    Directory.Delete(root);
                }
            }
            catch (IOException)
            {
                // A session cgroup is still being torn down; the next Box of this scope reuses the folder.
            }
        }
    }

    /// <summary>Session cgroups of this scope that no live session owns.</summary>
    public IEnumerable<CgroupSet> ListStale(IReadOnlySet<string> liveNames)
    {
        var root = _v2 ? ScopeRoot("") : ScopeRoot("pids");
        if (!Directory.Exists(root))
        {
            yield break;
        }

        foreach (var directory in Directory.EnumerateDirectories(root))
        {
            var name = Path.GetFileName(directory);
            if (liveNames.Contains(name))
            {
                continue;
            }

            yield return _v2
                ? new CgroupSet([directory])
                : new CgroupSet([Path.Combine(ScopeRoot("memory"), name), directory, Path.Combine(ScopeRoot("cpu"), name)]);
        }
    }

    private string ScopeRoot(string controller) => Path.Combine(Base, controller, "plugboard-box", _scope);

    private static bool KillAll(string directory)
    {
        var killFile = Path.Combine(directory, "cgroup.kill");
        if (File.Exists(killFile))
        {
            TryWrite(directory, "cgroup.kill", "1");
        }

        var any = false;
        try
        {
            foreach (var line in File.ReadAllLines(Path.Combine(directory, "cgroup.procs")))
            {
                if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                {
                    any = true;
                    try
                    {
                        System.Diagnostics.Process.GetProcessById(pid).Kill();
                    }
                    catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                    {
                        // Already gone.
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        return any;
    }

    private static void EnableControllers(string directory)
    {
        var available = File.ReadAllText(Path.Combine(directory, "cgroup.controllers")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        foreach (var controller in new[] { "memory", "pids", "cpu" }.Where(available.Contains))
        {
            TryWrite(directory, "cgroup.subtree_control", "+" + controller);
        }
    }

    private static void Write(string directory, string file, string value) => File.WriteAllText(Path.Combine(directory, file), value);

    private static void TryWrite(string directory, string file, string value)
    {
        try
        {
            Write(directory, file, value);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Optional knob missing on this kernel.
        }
    }
}
