using System.Globalization;
using System.Text.RegularExpressions;
using Plugboard.Box.Contracts;
using Plugboard.Box.Security;

namespace Plugboard.Box.Sessions;

/// <summary>A session's effective limits (every value set).</summary>
internal sealed record EffectiveLimits(double Cpus, int MemoryMb, int PidsLimit, int TmpSizeMb, int WorkspaceQuotaMb, int MaxOpenFiles, int MaxFileSizeMb)
{
    public BoxResourceLimits ToContract() => new()
    {
        Cpus = Cpus,
        MemoryMb = MemoryMb,
        PidsLimit = PidsLimit,
        TmpSizeMb = TmpSizeMb,
        WorkspaceQuotaMb = WorkspaceQuotaMb,
        MaxOpenFiles = MaxOpenFiles,
        MaxFileSizeMb = MaxFileSizeMb,
    };
}

/// <summary>A validated host mount.</summary>
internal sealed record ResolvedMount(string HostPath, string MountPath, bool ReadOnly, bool IsDirectory);

/// <summary>A session spec after the profile, its ceilings and locks, and the mount checks were applied.</summary>
internal sealed record ResolvedSessionSpec(
    string SessionId,
    BoxProfile Profile,
    string? Image,
    BoxNetwork Network,
    ResolvedMount? WorkspaceHost,
    IReadOnlyList<ResolvedMount> ExtraMounts,
    EffectiveLimits Limits,
    IReadOnlyDictionary<string, string> Env,
    bool Persistent,
    int TtlSeconds)
{
    /// <summary>The workspace mount plus the extra mounts.</summary>
    public IEnumerable<ResolvedMount> AllMounts => WorkspaceHost is null ? ExtraMounts : ExtraMounts.Prepend(WorkspaceHost);
}

/// <summary>Validates caller input and turns a <see cref="BoxSessionSpec"/> into a <see cref="ResolvedSessionSpec"/>.</summary>
internal sealed partial class SessionSpecResolver(BoxProfileRegistry profiles, MountValidator mounts)
{
    public const string WorkspacePath = "/workspace";

    public BoxProfileRegistry Profiles => profiles;

    public static string ValidateSessionId(string? sessionId, string field = "sessionId")
    {
        if (sessionId is null || !IdPattern().IsMatch(sessionId))
        {
            throw BoxErrors.InvalidRequest(field, $"'{sessionId}' is not a valid id: use 1-64 characters of letters, digits, '_', '.', '-', starting with a letter or digit.");
        }

        return sessionId;
    }

    public static IReadOnlyDictionary<string, string> ValidateEnv(IReadOnlyDictionary<string, string>? env, string field)
    {
        if (env is null || env.Count == 0)
        {
            return new Dictionary<string, string>(StringComparer.Ordinal);
        }

        if (env.Count > 256)
        {
            throw BoxErrors.InvalidRequest(field, $"At most 256 environment variables (got {env.Count}).");
        }

        var total = 0;
        foreach (var (name, value) in env)
        {
            if (!EnvNamePattern().IsMatch(name))
            {
                throw BoxErrors.InvalidRequest(field, $"'{name}' is not a valid environment variable name (letters, digits, '_', not starting with a digit).");
            }

            if (value is null || value.Contains('\0'))
            {
                throw BoxErrors.InvalidRequest(field, $"The value of {name} is null or contains a NUL character.");
            }

            total += name.Length + value.Length;
        }

        if (total > 64 * 1024)
        {
            throw BoxErrors.InvalidRequest(field, "The environment is larger than 64 KiB; pass large data through files or stdin.");
        }

        return new Dictionary<string, string>(env, StringComparer.Ordinal);
    }

    /// <summary>Validates an absolute working directory inside the sandbox.</summary>
    public static string ValidateWorkdir(string? workdir)
    {
        workdir ??= WorkspacePath;
        if (!workdir.StartsWith('/') || workdir.Any(char.IsControl) || workdir.Split('/').Skip(1).Any(s => s is "." or ".."))
        {
            throw BoxErrors.InvalidRequest("workdir", $"The working directory '{workdir}' must be an absolute path without '.' or '..' segments, e.g. /workspace/src.");
        }

        if (workdir == "/proc" || workdir.StartsWith("/proc/", StringComparison.Ordinal) || workdir == "/sys" || workdir.StartsWith("/sys/", StringComparison.Ordinal))
        {
            throw BoxErrors.InvalidRequest("workdir", $"The working directory '{workdir}' is under /proc or /sys, which is never allowed (file descriptor tricks such as /proc/self/fd are a known container escape).");
        }

        return workdir.Length > 1 ? workdir.TrimEnd('/') : workdir;
    }

    public ResolvedSessionSpec Resolve(BoxSessionSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var sessionId = ValidateSessionId(spec.SessionId);
        var profile = profiles.Get(spec.Profile);

        CheckLock(profile, "network", spec.Network is not null && spec.Network != profile.Network, $"network '{Name(profile.Network)}'");
        CheckLock(profile, "image", spec.Image is not null && spec.Image != profile.Image, profile.Image is null ? "the Box's default image" : $"image '{profile.Image}'");
        CheckLock(profile, "persistent", spec.Persistent is not null, "the persistence setting");
        CheckLock(profile, "workspaceHostPath", spec.WorkspaceHostPath is not null, "the Box-managed workspace");
        CheckLock(profile, "extraMounts", spec.ExtraMounts is { Count: > 0 }, "no extra mounts");
        CheckLock(profile, "workspaceReadOnly", spec.WorkspaceReadOnly is not null && spec.WorkspaceReadOnly != profile.WorkspaceReadOnly, profile.WorkspaceReadOnly ? "a read-only workspace" : "a writable workspace");

        if (spec.Image is not null && !ImagePattern().IsMatch(spec.Image))
        {
            throw BoxErrors.InvalidRequest("image", $"'{spec.Image}' is not a valid image reference.");
        }

        var limits = ResolveLimits(profile, spec.Limits);
        var ttl = spec.TtlSeconds ?? profile.TtlSeconds;
        if (ttl < 1 || ttl > profile.MaxTtlSeconds)
        {
            throw BoxErrors.ProfileViolation(profile.Name, "ttlSeconds", $"ttlSeconds must be between 1 and {profile.MaxTtlSeconds} in profile '{profile.Name}' (got {ttl}).");
        }

        ResolvedMount? workspace = null;
        var workspaceReadOnly = spec.WorkspaceReadOnly ?? profile.WorkspaceReadOnly;
        if (spec.WorkspaceHostPath is not null)
        {
            var validated = mounts.ValidateHostPath(spec.WorkspaceHostPath);
            if (!validated.IsDirectory)
            {
                throw BoxErrors.MountRejected(spec.WorkspaceHostPath, "the workspace must be a folder.");
            }

            workspace = new ResolvedMount(validated.HostPath, WorkspacePath, workspaceReadOnly, IsDirectory: true);
        }

        var extras = new List<ResolvedMount>();
        var targets = new HashSet<string>(StringComparer.Ordinal) { WorkspacePath };
        foreach (var (mount, index) in (spec.ExtraMounts ?? []).Select((m, i) => (m, i)))
        {
            var field = $"extraMounts[{index}]";
            if (mount is null)
            {
                throw BoxErrors.InvalidRequest(field, "A mount is null.");
            }

            var target = MountValidator.ValidateTarget(mount.MountPath, field + ".mountPath");
            if (!targets.Add(target))
            {
                throw BoxErrors.InvalidRequest(field + ".mountPath", $"Two mounts target '{target}' (the workspace is always at {WorkspacePath}; set workspaceHostPath to mount a host folder there).");
            }

            if (!mount.ReadOnly && (profile.IsLocked("mountsReadOnly") || !profile.AllowWritableMounts))
            {
                throw BoxErrors.ProfileViolation(profile.Name, field + ".readOnly", $"Profile '{profile.Name}' only allows read-only mounts; set readOnly to true or use another profile.");
            }

            var validated = mounts.ValidateHostPath(mount.HostPath);
            extras.Add(new ResolvedMount(validated.HostPath, target, mount.ReadOnly, validated.IsDirectory));
        }

        var env = ValidateEnv(spec.Env, "env");
        return new ResolvedSessionSpec(sessionId, profile, spec.Image ?? profile.Image, spec.Network ?? profile.Network, workspace, extras, limits, env, spec.Persistent ?? false, ttl);
    }

    /// <summary>Fields where a request for an existing session disagrees with it (empty: compatible).</summary>
    public static IReadOnlyList<string> Differences(ResolvedSessionSpec existing, BoxSessionSpec requested, ResolvedSessionSpec resolvedRequest)
    {
        var fields = new List<string>();
        if (requested.Profile is not null && requested.Profile != existing.Profile.Name)
        {
            fields.Add("profile");
        }

        if (requested.Image is not null && resolvedRequest.Image != existing.Image)
        {
            fields.Add("image");
        }

        if (requested.Network is not null && resolvedRequest.Network != existing.Network)
        {
            fields.Add("network");
        }

        if (requested.WorkspaceHostPath is not null && resolvedRequest.WorkspaceHost?.HostPath != existing.WorkspaceHost?.HostPath)
        {
            fields.Add("workspaceHostPath");
        }

        if (requested.WorkspaceReadOnly is not null && existing.WorkspaceHost is not null && requested.WorkspaceReadOnly != existing.WorkspaceHost.ReadOnly)
        {
            fields.Add("workspaceReadOnly");
        }

        if (requested.ExtraMounts is not null && !resolvedRequest.ExtraMounts.OrderBy(m => m.MountPath, StringComparer.Ordinal).SequenceEqual(existing.ExtraMounts.OrderBy(m => m.MountPath, StringComparer.Ordinal)))
        {
            fields.Add("extraMounts");
        }

        if (requested.Limits is not null && resolvedRequest.Limits != existing.Limits)
        {
            fields.Add("limits");
        }

        if (requested.Persistent is not null && requested.Persistent != existing.Persistent)
        {
            fields.Add("persistent");
        }

        if (requested.Env is not null && !(requested.Env.Count == existing.Env.Count && requested.Env.All(kv => existing.Env.TryGetValue(kv.Key, out var v) && v == kv.Value)))
        {
            fields.Add("env");
        }

        return fields;
    }

    private static EffectiveLimits ResolveLimits(BoxProfile profile, BoxResourceLimits? requested)
    {
        requested ??= new BoxResourceLimits();
        var cpus = Ceiling(profile, "cpus", requested.Cpus, profile.Cpus, profile.MaxCpus);
        var memory = Ceiling(profile, "memoryMb", requested.MemoryMb, profile.MemoryMb, profile.MaxMemoryMb);
        var pids = Ceiling(profile, "pidsLimit", requested.PidsLimit, profile.PidsLimit, profile.MaxPidsLimit);
        var tmp = Ceiling(profile, "tmpSizeMb", requested.TmpSizeMb, profile.TmpSizeMb, Math.Max(profile.TmpSizeMb, memory));
        var quota = Ceiling(profile, "workspaceQuotaMb", requested.WorkspaceQuotaMb, profile.WorkspaceQuotaMb, profile.MaxWorkspaceQuotaMb);
        var files = Ceiling(profile, "maxOpenFiles", requested.MaxOpenFiles, profile.MaxOpenFiles, profile.MaxOpenFiles);
        var fileSize = Ceiling(profile, "maxFileSizeMb", requested.MaxFileSizeMb, profile.MaxFileSizeMb, profile.MaxFileSizeMb);
        if (pids < 8)
        {
            throw BoxErrors.ProfileViolation(profile.Name, "limits.pidsLimit", "pidsLimit must be at least 8.");
        }

        if (memory < 16)
        {
            throw BoxErrors.ProfileViolation(profile.Name, "limits.memoryMb", "memoryMb must be at least 16.");
        }

        return new EffectiveLimits(cpus, memory, pids, tmp, quota, files, fileSize);
    }

    private static T Ceiling<T>(BoxProfile profile, string field, T? requested, T fallback, T ceiling)
        where T : struct, IComparable<T>
    {
        if (requested is not { } value)
        {
            return fallback;
        }

        if (value.CompareTo(default) <= 0)
        {
            throw BoxErrors.ProfileViolation(profile.Name, "limits." + field, $"limits.{field} must be positive (got {value}).");
        }

        if (value.CompareTo(ceiling) > 0)
        {
            throw BoxErrors.ProfileViolation(profile.Name, "limits." + field, $"limits.{field} = {Format(value)} exceeds the ceiling of profile '{profile.Name}' ({Format(ceiling)}); ask for less or use a larger profile.");
        }

        return value;
    }

    private static string Format<T>(T value) => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";

    private static void CheckLock(BoxProfile profile, string field, bool violated, string what)
    {
        if (violated && profile.IsLocked(field))
        {
            throw BoxErrors.ProfileViolation(profile.Name, field, $"Profile '{profile.Name}' locks {field} to {what}; remove it from the request or use another profile.");
        }
    }

    private static string Name(BoxNetwork network) => network == BoxNetwork.On ? "on" : "none";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
    private static partial Regex EnvNamePattern();

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9._/:@-]{0,254}$")]
    private static partial Regex ImagePattern();
}
