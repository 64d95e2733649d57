using Plugboard.Box.Contracts;
using Plugboard.Box.Sessions;

namespace Plugboard.Box.Hosting;

/// <summary>
/// Settings of the Box process, bound from <c>--config FILE</c> (JSON), environment variables <c>PLUGBOARD_BOX_*</c>
/// (<c>__</c> separates levels) and the command line. Every property has a documented default. The token is never a
/// setting: it comes from the <c>PLUGBOARD_BOX_TOKEN</c> environment variable only.
/// </summary>
internal sealed class BoxServerOptions
{
    /// <summary>Where the Box keeps workspaces and its state. Default: <c>$XDG_DATA_HOME/plugboard-box</c> (e.g. <c>~/.local/share/plugboard-box</c>).</summary>
    public string DataDirectory { get; set; } = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), "plugboard-box");

    /// <summary>The backend: <c>auto</c> (Docker, then bubblewrap, then nsjail), <c>docker</c>, <c>bubblewrap</c> or <c>nsjail</c>. Default <c>auto</c>.</summary>
    public string Backend { get; set; } = BoxBackendNames.Auto;

    /// <summary>The most sessions alive at once; more are rejected with a clear error. Default 32.</summary>
    public int MaxSessions { get; set; } = 32;

    /// <summary>How often the reaper removes expired sessions and orphaned sandboxes, and re-checks the backend. Default 15 s.</summary>
    public double ReaperIntervalSeconds { get; set; } = 15;

    /// <summary>Host folders under which callers may mount paths. Default: none (every host mount is rejected).</summary>
    public List<string> AllowedMountRoots { get; set; } = [];

    /// <summary>Bytes of stdout and of stderr an exec keeps (head and tail) unless the call asks for another amount. Default 64 KiB.</summary>
    public int DefaultMaxOutputBytes { get; set; } = 64 * 1024;

    /// <summary>The most output bytes a call may ask to keep per stream. Default 4 MiB.</summary>
    public int MaxOutputBytesLimit { get; set; } = 4 * 1024 * 1024;

    /// <summary>Total output bytes the Box reads from one exec before it kills it as a flood. Default 64 MiB.</summary>
    public long OutputDrainLimitBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// The HTTP endpoint serving the managed-process relay (and, with <c>--listen</c>, the WebSocket control endpoint
    /// <c>/rpc</c>). Default <c>http://127.0.0.1:0</c> (a free loopback port).
    /// </summary>
    public string Listen { get; set; } = "http://127.0.0.1:0";

    /// <summary>
    /// A name shared by Box processes that should treat each other's leftovers as their own (orphans of a crashed
    /// predecessor are removed at start-up). Default: derived from <see cref="DataDirectory"/>.
    /// </summary>
    public string? Scope { get; set; }

    /// <summary>The Docker backend.</summary>
    public DockerBackendOptions Docker { get; set; } = new();

    /// <summary>The bubblewrap backend.</summary>
    public HostJailOptions Bubblewrap { get; set; } = new() { Binary = "bwrap" };

    /// <summary>The nsjail backend.</summary>
    public HostJailOptions Nsjail { get; set; } = new() { Binary = "nsjail" };

    /// <summary>Profile overrides and additional profiles, by name (see <see cref="BoxProfileOptions"/>).</summary>
    public Dictionary<string, BoxProfileOptions> Profiles { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Every problem with these options.</summary>
    public List<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(DataDirectory) || !Path.IsPathFullyQualified(DataDirectory))
        {
            errors.Add($"DataDirectory must be an absolute path (got '{DataDirectory}').");
        }

        if (Backend is not (BoxBackendNames.Auto or BoxBackendNames.Docker or BoxBackendNames.Bubblewrap or BoxBackendNames.Nsjail))
        {
            errors.Add($"Backend must be auto, docker, bubblewrap or nsjail (got '{Backend}').");
        }

        if (MaxSessions < 1)
        {
            errors.Add($"MaxSessions must be at least 1 (got {MaxSessions}).");
        }

        if (ReaperIntervalSeconds is < 0.1 or > 3600)
        {
            errors.Add($"ReaperIntervalSeconds must be between 0.1 and 3600 (got {ReaperIntervalSeconds}).");
        }

        if (DefaultMaxOutputBytes < 256 || MaxOutputBytesLimit < DefaultMaxOutputBytes)
        {
            errors.Add($"DefaultMaxOutputBytes must be at least 256 and at most MaxOutputBytesLimit (got {DefaultMaxOutputBytes} / {MaxOutputBytesLimit}).");
        }

        if (OutputDrainLimitBytes < MaxOutputBytesLimit * 2L)
        {
            errors.Add($"OutputDrainLimitBytes must be at least twice MaxOutputBytesLimit (got {OutputDrainLimitBytes}).");
        }

        if (!Uri.TryCreate(Listen, UriKind.Absolute, out var listen) || listen.Scheme != Uri.UriSchemeHttp)
        {
            errors.Add($"Listen must be an http:// URL such as http://127.0.0.1:5410 (got '{Listen}').");
        }

        foreach (var (name, profile) in Profiles)
        {
            profile.Validate(name, errors);
        }

        return errors;
    }
}

/// <summary>Settings of the Docker backend.</summary>
internal sealed class DockerBackendOptions
{
    /// <summary>The Docker engine's unix socket. Default <c>/var/run/docker.sock</c> (or <c>DOCKER_HOST</c> when it is a <c>unix://</c> URL).</summary>
    public string SocketPath { get; set; } = DefaultSocketPath();

    /// <summary>The image of sessions that name none. Default <c>busybox:stable</c>; it must already be on the Docker host (the Box never pulls).</summary>
    public string DefaultImage { get; set; } = "busybox:stable";

    /// <summary>The non-root user (<c>uid:gid</c>) commands run as. Default <c>1000:1000</c>.</summary>
    public string User { get; set; } = "1000:1000";

    /// <summary>The Docker network of sessions whose profile allows network access. Default <c>bridge</c>.</summary>
    public string Network { get; set; } = "bridge";

    private static string DefaultSocketPath()
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        return host is not null && host.StartsWith("unix://", StringComparison.Ordinal) ? host["unix://".Length..] : "/var/run/docker.sock";
    }
}

/// <summary>Settings of a host jail backend (bubblewrap, nsjail).</summary>
internal sealed class HostJailOptions
{
    /// <summary>The binary, a name looked up on PATH or an absolute path.</summary>
    public string Binary { get; set; } = "";

    /// <summary>
    /// When the Box runs as root: the unprivileged host uid and gid the jail runs as (the Box drops to them with
    /// <c>setpriv</c> after joining the session's cgroups). Default 65534 (nobody).
    /// </summary>
    public int HostUid { get; set; } = 65534;

    /// <summary>See <see cref="HostUid"/>.</summary>
    public int HostGid { get; set; } = 65534;

    /// <summary>The uid and gid commands see inside the jail. Default 1000.</summary>
    public int SandboxUid { get; set; } = 1000;

    /// <summary>Host folders bound read-only into every jail (those missing on this host are skipped). Default: the system folders.</summary>
    public List<string> ReadOnlyBinds { get; set; } = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/ssl/certs", "/etc/localtime"];
}

/// <summary>
/// A profile as configured: any property left null keeps the built-in profile's value (for a new profile, the
/// <c>default</c> profile's). Ceilings (<c>Max*</c>) are the most a caller may ask for.
/// </summary>
internal sealed class BoxProfileOptions
{
    public BoxNetwork? Network { get; set; }

    public string? Image { get; set; }

    /// <summary>The Docker runtime (e.g. <c>runsc</c> for gVisor, registered in the daemon's <c>daemon.json</c>).</summary>
    public string? Runtime { get; set; }

    public bool? WorkspaceReadOnly { get; set; }

    public bool? AllowWritableMounts { get; set; }

    public double? Cpus { get; set; }

    public double? MaxCpus { get; set; }

    public int? MemoryMb { get; set; }

    public int? MaxMemoryMb { get; set; }

    public int? PidsLimit { get; set; }

    public int? MaxPidsLimit { get; set; }

    public int? TmpSizeMb { get; set; }

    public int? WorkspaceQuotaMb { get; set; }

    public int? MaxWorkspaceQuotaMb { get; set; }

    public int? MaxOpenFiles { get; set; }

    public int? MaxFileSizeMb { get; set; }

    public double? DefaultTimeoutSeconds { get; set; }

    public double? MaxTimeoutSeconds { get; set; }

    public int? TtlSeconds { get; set; }

    public int? MaxTtlSeconds { get; set; }

    /// <summary>Fields callers may not set to anything but the profile's value (<see cref="BoxProfile.LockableFields"/>).</summary>
    public List<string>? Locked { get; set; }

    public void Validate(string name, List<string> errors)
    {
        if (Cpus is <= 0 || MaxCpus is <= 0 || MemoryMb is < 16 || MaxMemoryMb is < 16 || PidsLimit is < 8 || MaxPidsLimit is < 8
            || TmpSizeMb is < 1 || WorkspaceQuotaMb is < 1 || MaxOpenFiles is < 16 || MaxFileSizeMb is < 1
            || DefaultTimeoutSeconds is <= 0 || MaxTimeoutSeconds is <= 0 || TtlSeconds is < 1 || MaxTtlSeconds is < 1)
        {
            errors.Add($"Profiles:{name} has a limit out of range (CPUs > 0, memory >= 16 MiB, pids >= 8, sizes >= 1 MiB, open files >= 16, timeouts and TTLs > 0).");
        }

        foreach (var field in Locked ?? [])
        {
            if (!BoxProfile.LockableFields.Contains(field))
            {
                errors.Add($"Profiles:{name}:Locked names an unknown field '{field}' (lockable: {string.Join(", ", BoxProfile.LockableFields)}).");
            }
        }
    }
}
