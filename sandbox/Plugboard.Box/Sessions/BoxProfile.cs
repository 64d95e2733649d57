using Plugboard.Box.Contracts;
using Plugboard.Box.Hosting;

namespace Plugboard.Box.Sessions;

/// <summary>
/// A resolved profile: defaults for every session setting, ceilings a caller cannot exceed, and locked fields a
/// caller cannot change. Built-in: <c>default</c>, <c>offline-readonly</c>, <c>network-basic</c>, <c>network-extended</c>.
/// </summary>
internal sealed record BoxProfile
{
    /// <summary>Fields a profile can lock.</summary>
    public static readonly IReadOnlySet<string> LockableFields = new HashSet<string>(StringComparer.Ordinal)
    {
        "network", "image", "workspaceReadOnly", "mountsReadOnly", "persistent", "workspaceHostPath", "extraMounts",
    };

    public required string Name { get; init; }

    public BoxNetwork Network { get; init; }

    /// <summary>The image; null means the backend's default.</summary>
    public string? Image { get; init; }

    /// <summary>The Docker runtime; never settable by callers.</summary>
    public string? Runtime { get; init; }

    public bool WorkspaceReadOnly { get; init; }

    public bool AllowWritableMounts { get; init; } = true;

    public double Cpus { get; init; } = 1;

    public double MaxCpus { get; init; } = 2;

    public int MemoryMb { get; init; } = 512;

    public int MaxMemoryMb { get; init; } = 2048;

    public int PidsLimit { get; init; } = 256;

    public int MaxPidsLimit { get; init; } = 1024;

    public int TmpSizeMb { get; init; } = 64;

    public int WorkspaceQuotaMb { get; init; } = 256;

    public int MaxWorkspaceQuotaMb { get; init; } = 2048;

    public int MaxOpenFiles { get; init; } = 1024;

    public int MaxFileSizeMb { get; init; } = 256;

    public double DefaultTimeoutSeconds { get; init; } = 60;

    public double MaxTimeoutSeconds { get; init; } = 600;

    public int TtlSeconds { get; init; } = 1800;

    public int MaxTtlSeconds { get; init; } = 86400;

    public IReadOnlySet<string> Locked { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    public bool IsLocked(string field) => Locked.Contains(field);

    /// <summary>The built-in profiles.</summary>
    public static IReadOnlyList<BoxProfile> BuiltIn { get; } =
    [
        new BoxProfile { Name = BoxProfileNames.Default, Network = BoxNetwork.None },
        new BoxProfile
        {
            Name = BoxProfileNames.OfflineReadOnly,
            Network = BoxNetwork.None,
            WorkspaceReadOnly = true,
            AllowWritableMounts = false,
            Cpus = 0.5,
            MaxCpus = 1,
            MemoryMb = 256,
            MaxMemoryMb = 512,
            PidsLimit = 64,
            MaxPidsLimit = 128,
            TmpSizeMb = 32,
            WorkspaceQuotaMb = 64,
            MaxWorkspaceQuotaMb = 256,
            MaxFileSizeMb = 64,
            DefaultTimeoutSeconds = 30,
            MaxTimeoutSeconds = 120,
            TtlSeconds = 600,
            Locked = new HashSet<string>(StringComparer.Ordinal) { "network", "workspaceReadOnly", "mountsReadOnly" },
        },
        new BoxProfile { Name = BoxProfileNames.NetworkBasic, Network = BoxNetwork.On, Locked = new HashSet<string>(StringComparer.Ordinal) { "network" } },
        new BoxProfile
        {
            Name = BoxProfileNames.NetworkExtended,
            Network = BoxNetwork.On,
            Cpus = 2,
            MaxCpus = 4,
            MemoryMb = 2048,
            MaxMemoryMb = 8192,
            PidsLimit = 512,
            MaxPidsLimit = 4096,
            TmpSizeMb = 512,
            WorkspaceQuotaMb = 2048,
            MaxWorkspaceQuotaMb = 10240,
            MaxOpenFiles = 4096,
            MaxFileSizeMb = 2048,
            DefaultTimeoutSeconds = 300,
            MaxTimeoutSeconds = 3600,
            TtlSeconds = 3600,
        },
    ];

    /// <summary>Applies configured overrides.</summary>
    public BoxProfile With(BoxProfileOptions o) => this with
    {
        Network = o.Network ?? Network,
        Image = o.Image ?? Image,
        Runtime = o.Runtime ?? Runtime,
        WorkspaceReadOnly = o.WorkspaceReadOnly ?? WorkspaceReadOnly,
        AllowWritableMounts = o.AllowWritableMounts ?? AllowWritableMounts,
        Cpus = o.Cpus ?? Cpus,
        MaxCpus = o.MaxCpus ?? Math.Max(MaxCpus, o.Cpus ?? 0),
        MemoryMb = o.MemoryMb ?? MemoryMb,
        MaxMemoryMb = o.MaxMemoryMb ?? Math.Max(MaxMemoryMb, o.MemoryMb ?? 0),
        PidsLimit = o.PidsLimit ?? PidsLimit,
        MaxPidsLimit = o.MaxPidsLimit ?? Math.Max(MaxPidsLimit, o.PidsLimit ?? 0),
        TmpSizeMb = o.TmpSizeMb ?? TmpSizeMb,
        WorkspaceQuotaMb = o.WorkspaceQuotaMb ?? WorkspaceQuotaMb,
        MaxWorkspaceQuotaMb = o.MaxWorkspaceQuotaMb ?? Math.Max(MaxWorkspaceQuotaMb, o.WorkspaceQuotaMb ?? 0),
        MaxOpenFiles = o.MaxOpenFiles ?? MaxOpenFiles,
        MaxFileSizeMb = o.MaxFileSizeMb ?? MaxFileSizeMb,
        DefaultTimeoutSeconds = o.DefaultTimeoutSeconds ?? DefaultTimeoutSeconds,
        MaxTimeoutSeconds = o.MaxTimeoutSeconds ?? Math.Max(MaxTimeoutSeconds, o.DefaultTimeoutSeconds ?? 0),
        TtlSeconds = o.TtlSeconds ?? TtlSeconds,
        MaxTtlSeconds = o.MaxTtlSeconds ?? Math.Max(MaxTtlSeconds, o.TtlSeconds ?? 0),
        Locked = o.Locked is null ? Locked : new HashSet<string>(o.Locked, StringComparer.Ordinal),
    };
}

/// <summary>The profiles of one Box: built-ins overlaid with the configured ones.</summary>
internal sealed class BoxProfileRegistry
{
    private readonly Dictionary<string, BoxProfile> _profiles = new(StringComparer.Ordinal);

    public BoxProfileRegistry(IReadOnlyDictionary<string, BoxProfileOptions> configured)
    {
        foreach (var profile in BoxProfile.BuiltIn)
        {
            _profiles[profile.Name] = profile;
        }

        foreach (var (name, options) in configured)
        {
            var baseline = _profiles.TryGetValue(name, out var existing) ? existing : _profiles[BoxProfileNames.Default] with { Name = name };
            _profiles[name] = baseline.With(options);
        }
    }

    public IReadOnlyList<string> Names => [.. _profiles.Keys.Order(StringComparer.Ordinal)];

    public BoxProfile Get(string? name)
    {
        name ??= BoxProfileNames.Default;
        return _profiles.TryGetValue(name, out var profile)
            ? profile
            : throw BoxErrors.InvalidRequest("profile", $"Unknown profile '{name}'. Known profiles: {string.Join(", ", Names)}.");
    }
}
