using System.Collections.Concurrent;
using Plugboard.Box.Backends;
using Plugboard.Box.Contracts;
using Plugboard.Box.Processes;

namespace Plugboard.Box.Sessions;

/// <summary>A session: its resolved spec, its sandbox, a lock that serializes its commands, and its managed processes.</summary>
internal sealed class Session(ResolvedSessionSpec spec, ISandboxBackend backend, DateTimeOffset now)
{
    private long _lastUsedTicks = now.UtcTicks;
    private int _activeCommands;

    public string Id => Spec.SessionId;

    public ResolvedSessionSpec Spec { get; } = spec;

    public ISandboxBackend Backend { get; } = backend;

    /// <summary>Completes when the sandbox exists (or faults when creating it failed).</summary>
    public TaskCompletionSource<SandboxHandle> Ready { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public SandboxHandle Handle => Ready.Task.Result;

    /// <summary>One command at a time: a timeout sweep kills everything that is not a managed process.</summary>
    public SemaphoreSlim CommandLock { get; } = new(1, 1);

    public ConcurrentDictionary<string, ManagedProcess> Processes { get; } = new(StringComparer.Ordinal);

    public DateTimeOffset CreatedAt { get; } = now;

    public DateTimeOffset LastUsedAt => new(Interlocked.Read(ref _lastUsedTicks), TimeSpan.Zero);

    public bool Deleted { get; set; }

    public void EnterCommand() => Interlocked.Increment(ref _activeCommands);

    public void ExitCommand() => Interlocked.Decrement(ref _activeCommands);

    public void Touch(DateTimeOffset now) => Interlocked.Exchange(ref _lastUsedTicks, now.UtcTicks);

    public bool IsExpired(DateTimeOffset now)
        => !Spec.Persistent
            && Volatile.Read(ref _activeCommands) == 0
            && !Processes.Values.Any(p => p.IsRunning)
            && now - LastUsedAt > TimeSpan.FromSeconds(Spec.TtlSeconds);

    public BoxSessionInfo ToInfo() => new(
        Id,
        Backend.Name,
        Spec.Profile.Name,
        Ready.Task.IsCompletedSuccessfully ? Handle.Image : Spec.Image ?? "(creating)",
        Spec.Network,
        Spec.Persistent,
        Ready.Task.IsCompletedSuccessfully ? Handle.WorkspaceDescription : "(creating)",
        [.. Spec.AllMounts.Select(m => new BoxMount(m.HostPath, m.MountPath, m.ReadOnly))],
        Spec.Limits.ToContract(),
        CreatedAt,
        LastUsedAt,
        Spec.Persistent ? null : LastUsedAt + TimeSpan.FromSeconds(Spec.TtlSeconds),
        Processes.Values.Count(p => p.IsRunning),
        Ready.Task.IsCompletedSuccessfully ? Handle.Restarts : 0);
}
