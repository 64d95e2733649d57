using Plugboard.Box.Contracts;
using Plugboard.Box.Execution;
using Plugboard.Box.Sessions;

namespace Plugboard.Box.Backends;

/// <summary>Whether a backend can run sessions here.</summary>
/// <param name="Available">Whether it can.</param>
/// <param name="Reason">Why not (starts with <c>unavailable:</c>) and what to do.</param>
/// <param name="Version">The engine or binary version.</param>
/// <param name="Enforced">The limits it enforces on this machine.</param>
internal sealed record BackendProbe(bool Available, string? Reason, string? Version, IReadOnlyList<string> Enforced)
{
    public static BackendProbe Unavailable(string reason) => new(false, reason, null, []);
}

/// <summary>One sandbox (a container or a jail's host state) behind a session.</summary>
internal abstract class SandboxHandle(ResolvedSessionSpec spec)
{
    public ResolvedSessionSpec Spec { get; } = spec;

    /// <summary>The image, or <c>host</c> for jails on the host's system folders.</summary>
    public abstract string Image { get; }

    /// <summary>Where <c>/workspace</c> comes from, for status output.</summary>
    public abstract string WorkspaceDescription { get; }

    /// <summary>How many times the backend recreated the sandbox.</summary>
    public int Restarts { get; set; }
}

/// <summary>A command to run to completion.</summary>
internal sealed record ExecRequest(
    IReadOnlyList<string> Argv,
    string Workdir,
    IReadOnlyDictionary<string, string> Env,
    TimeSpan Timeout,
    byte[]? Stdin,
    int MaxOutputBytes,
    long DrainLimitBytes,
    IReadOnlyList<int> ProtectedPids);

/// <summary>How a command ended and what it wrote.</summary>
internal sealed record ExecOutcome(BoxExecStatus Status, int? ExitCode, OutputCapture Stdout, OutputCapture Stderr, TimeSpan Duration, bool SandboxRestarted, string? Message);

/// <summary>A long-running command.</summary>
internal sealed record ProcessRequest(IReadOnlyList<string> Argv, string Workdir, IReadOnlyDictionary<string, string> Env);

/// <summary>
/// A sandbox backend. Implementations: Docker (a hardened container per session), bubblewrap and nsjail (a jail per
/// command over a per-session host workspace). Every method is safe to call concurrently for different sandboxes;
/// the session manager serializes commands within one sandbox.
/// </summary>
internal interface ISandboxBackend : IAsyncDisposable
{
    string Name { get; }

    Task<BackendProbe> ProbeAsync(CancellationToken cancellationToken);

    Task<SandboxHandle> CreateAsync(ResolvedSessionSpec spec, CancellationToken cancellationToken);

    /// <summary>Removes the sandbox; the workspace of a persistent session is kept.</summary>
    Task DestroyAsync(SandboxHandle handle, CancellationToken cancellationToken);

    /// <summary>Runs a command to completion, its timeout and output drain limit enforced by killing its process tree.</summary>
    Task<ExecOutcome> ExecAsync(SandboxHandle handle, ExecRequest request, CancellationToken cancellationToken);

    Task<ISandboxProcess> StartProcessAsync(SandboxHandle handle, ProcessRequest request, CancellationToken cancellationToken);

    /// <summary>Removes sandboxes this backend created that no live session owns (after a crash of this or an earlier Box).</summary>
    Task<int> ReapOrphansAsync(IReadOnlyCollection<SandboxHandle> live, CancellationToken cancellationToken);
}

/// <summary>A running long-lived process inside a sandbox.</summary>
internal interface ISandboxProcess : IAsyncDisposable
{
    /// <summary>Its pid inside the sandbox's pid namespace, when known (protected from timeout sweeps).</summary>
    int? SandboxPid { get; }

    ValueTask WriteStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    void CloseStdin();

    /// <summary>Pumps stdout and stderr into the sinks until both end (the process exited or was killed).</summary>
    Task PumpOutputAsync(Func<ReadOnlyMemory<byte>, ValueTask> stdout, Func<ReadOnlyMemory<byte>, ValueTask> stderr, CancellationToken cancellationToken);

    /// <summary>The exit code, once the output has ended.</summary>
    Task<int?> GetExitCodeAsync(CancellationToken cancellationToken);

    /// <summary>SIGTERM to the process tree, SIGKILL after <paramref name="grace"/>.</summary>
    Task StopAsync(TimeSpan grace, CancellationToken cancellationToken);
}
