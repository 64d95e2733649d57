using System.Text.Json.Serialization;

namespace Plugboard.Box.Contracts;

/// <summary>Parameters of <see cref="BoxMethods.Hello"/>.</summary>
/// <param name="Token">The Box token (the spawning runtime passes it in <c>PLUGBOARD_BOX_TOKEN</c>).</param>
/// <param name="ProtocolVersion">The protocol version the client speaks.</param>
/// <param name="Client">A free-form client name for the Box's log.</param>
public sealed record BoxHelloParams(string Token, int ProtocolVersion = BoxMethods.ProtocolVersion, string? Client = null);

/// <summary>Result of <see cref="BoxMethods.Hello"/>.</summary>
/// <param name="ProtocolVersion">The protocol version the Box speaks.</param>
/// <param name="BoxVersion">The Box's assembly version.</param>
/// <param name="InstanceId">A random id of this Box process (changes on every start).</param>
/// <param name="Backend">The selected backend, or null when none is available.</param>
/// <param name="RelayUrl">The base URL of the managed-process WebSocket relay (<c>ws://host:port</c>).</param>
public sealed record BoxHelloResult(int ProtocolVersion, string BoxVersion, string InstanceId, string? Backend, string? RelayUrl);

/// <summary>Result of <see cref="BoxMethods.Health"/>.</summary>
/// <param name="Healthy">Whether a backend is available and the Box accepts work.</param>
/// <param name="Backend">The selected backend.</param>
/// <param name="Reason">Why the Box is unhealthy, and what to do.</param>
public sealed record BoxHealth(bool Healthy, string? Backend, string? Reason);

/// <summary>A sandbox backend and whether it can be used here.</summary>
/// <param name="Name">The backend name (<see cref="BoxBackendNames"/>).</param>
/// <param name="Available">Whether it can run sessions now.</param>
/// <param name="Reason">Why it is unavailable (e.g. <c>unavailable: nsjail binary not found</c>).</param>
/// <param name="Version">The engine or binary version, when known.</param>
/// <param name="Selected">Whether new sessions use it.</param>
/// <param name="Enforced">The limits this backend enforces on this machine (e.g. <c>memory: cgroup</c>, <c>workspace quota: tmpfs</c>).</param>
public sealed record BoxBackendInfo(string Name, bool Available, string? Reason, string? Version, bool Selected, IReadOnlyList<string> Enforced);

/// <summary>Result of <see cref="BoxMethods.Status"/>.</summary>
/// <param name="InstanceId">This Box process's random id.</param>
/// <param name="Backend">The selected backend, or null.</param>
/// <param name="BackendReason">Why no backend is available, when none is.</param>
/// <param name="SessionCount">Sessions alive.</param>
/// <param name="MaxSessions">The session cap.</param>
/// <param name="UptimeSeconds">Seconds since the Box started.</param>
/// <param name="Backends">Every backend with its availability.</param>
/// <param name="Profiles">The profile names.</param>
/// <param name="RecentErrors">The last errors the Box reported (newest last).</param>
public sealed record BoxStatus(
    string InstanceId,
    string? Backend,
    string? BackendReason,
    int SessionCount,
    int MaxSessions,
    double UptimeSeconds,
    IReadOnlyList<BoxBackendInfo> Backends,
    IReadOnlyList<string> Profiles,
    IReadOnlyList<BoxErrorEntry> RecentErrors);

/// <summary>An error the Box reported.</summary>
/// <param name="At">When.</param>
/// <param name="Operation">The method or background task.</param>
/// <param name="Message">The message.</param>
public sealed record BoxErrorEntry(DateTimeOffset At, string Operation, string Message);

/// <summary>Whether a session has network access.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<BoxNetwork>))]
public enum BoxNetwork
{
    /// <summary>Only loopback.</summary>
    [JsonStringEnumMemberName("none")]
    None,

    /// <summary>Outbound network through the backend's network (Docker: the configured network).</summary>
    [JsonStringEnumMemberName("on")]
    On,
}

/// <summary>A host folder or file mounted into a session.</summary>
/// <param name="HostPath">Absolute, canonical host path without symlinks, under one of the Box's allowed mount roots.</param>
/// <param name="MountPath">Absolute path inside the session.</param>
/// <param name="ReadOnly">Read-only unless set to false (and the profile allows writable mounts).</param>
public sealed record BoxMount(string HostPath, string MountPath, bool ReadOnly = true);

/// <summary>Resource limits of a session; each is capped by the profile's ceiling. Null means the profile default.</summary>
public sealed record BoxResourceLimits
{
    /// <summary>CPU cores (fractional), e.g. 0.5.</summary>
    public double? Cpus { get; init; }

    /// <summary>Memory in MiB; swap is disabled (memory+swap equals memory).</summary>
    public int? MemoryMb { get; init; }

    /// <summary>Maximum number of processes and threads.</summary>
    public int? PidsLimit { get; init; }

    /// <summary>Size of the <c>/tmp</c> tmpfs in MiB.</summary>
    public int? TmpSizeMb { get; init; }

    /// <summary>Size of the Box-managed workspace in MiB (the size of its tmpfs or loop image).</summary>
    public int? WorkspaceQuotaMb { get; init; }

    /// <summary>Open files per process (<c>RLIMIT_NOFILE</c>).</summary>
    public int? MaxOpenFiles { get; init; }

    /// <summary>Largest file a process may write, in MiB (<c>RLIMIT_FSIZE</c>).</summary>
    public int? MaxFileSizeMb { get; init; }
}

/// <summary>What a session is: its profile, image, network, mounts and limits. Null fields take the profile's value.</summary>
public sealed record BoxSessionSpec
{
    /// <summary>The session id: 1-64 characters of <c>[A-Za-z0-9_.-]</c>, starting with a letter or digit.</summary>
    public required string SessionId { get; init; }

    /// <summary>The profile (<see cref="BoxProfileNames"/>, or one the operator configured). Default <c>default</c>.</summary>
    public string? Profile { get; init; }

    /// <summary>The container image (Docker only; other backends run on the host's read-only system folders).</summary>
    public string? Image { get; init; }

    /// <summary>Network access.</summary>
    public BoxNetwork? Network { get; init; }

    /// <summary>A host folder mounted at <c>/workspace</c> instead of the Box-managed workspace.</summary>
    public string? WorkspaceHostPath { get; init; }

    /// <summary>Whether the host workspace folder is mounted read-only. Default false (profiles may lock it to true).</summary>
    public bool? WorkspaceReadOnly { get; init; }

    /// <summary>Additional mounts.</summary>
    public IReadOnlyList<BoxMount>? ExtraMounts { get; init; }

    /// <summary>Resource limits.</summary>
    public BoxResourceLimits? Limits { get; init; }

    /// <summary>Environment variables of every command in the session (never put secrets here: they are visible in the sandbox).</summary>
    public IReadOnlyDictionary<string, string>? Env { get; init; }

    /// <summary>Whether the session outlives its idle TTL and keeps its workspace across deletion and Box restarts.</summary>
    public bool? Persistent { get; init; }

    /// <summary>Seconds of inactivity after which the reaper removes the session (not for persistent sessions).</summary>
    public int? TtlSeconds { get; init; }
}

/// <summary>A session as the Box reports it.</summary>
/// <param name="SessionId">The id.</param>
/// <param name="Backend">The backend running it.</param>
/// <param name="Profile">Its profile.</param>
/// <param name="Image">Its image (Docker) or <c>host</c>.</param>
/// <param name="Network">Its network access.</param>
/// <param name="Persistent">Whether it is persistent.</param>
/// <param name="Workspace">Where <c>/workspace</c> comes from, e.g. <c>tmpfs 256 MiB</c> or <c>host /srv/ws (read-only)</c>.</param>
/// <param name="Mounts">Its host mounts, the workspace included.</param>
/// <param name="Limits">Its effective limits.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="LastUsedAt">When it last ran a command.</param>
/// <param name="ExpiresAt">When the reaper removes it if unused (null for persistent sessions).</param>
/// <param name="Processes">Running managed processes.</param>
/// <param name="Restarts">How many times the Box had to recreate its sandbox (e.g. after a kill of everything inside).</param>
public sealed record BoxSessionInfo(
    string SessionId,
    string Backend,
    string Profile,
    string Image,
    BoxNetwork Network,
    bool Persistent,
    string Workspace,
    IReadOnlyList<BoxMount> Mounts,
    BoxResourceLimits Limits,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastUsedAt,
    DateTimeOffset? ExpiresAt,
    int Processes,
    int Restarts);

/// <summary>Names one session.</summary>
/// <param name="SessionId">The session id.</param>
public sealed record BoxSessionRef(string SessionId);

/// <summary>Result of a delete.</summary>
/// <param name="Deleted">Whether something was deleted.</param>
public sealed record BoxDeleteResult(bool Deleted);

/// <summary>Parameters of <see cref="BoxMethods.Exec"/>.</summary>
public sealed record BoxExecParams
{
    /// <summary>The session; created from <see cref="Session"/> (or the default profile) if it does not exist.</summary>
    public required string SessionId { get; init; }

    /// <summary>A shell command line, run with <c>/bin/sh -c</c>. Exactly one of <see cref="Command"/> and <see cref="Argv"/>.</summary>
    public string? Command { get; init; }

    /// <summary>A program and its arguments, run without a shell.</summary>
    public IReadOnlyList<string>? Argv { get; init; }

    /// <summary>Absolute working directory inside the session. Default <c>/workspace</c>.</summary>
    public string? Workdir { get; init; }

    /// <summary>Extra environment variables for this command.</summary>
    public IReadOnlyDictionary<string, string>? Env { get; init; }

    /// <summary>Wall-clock limit in seconds; at the deadline the command's whole process tree is killed. Default: the profile's.</summary>
    public double? TimeoutSeconds { get; init; }

    /// <summary>Bytes written to the command's stdin, which is then closed. Null: no stdin.</summary>
    public byte[]? Stdin { get; init; }

    /// <summary>Bytes of stdout and of stderr kept (head and tail); the rest is counted and dropped. Default: the Box's.</summary>
    public int? MaxOutputBytes { get; init; }

    /// <summary>The session spec used when the session must be created (and checked for compatibility when it exists).</summary>
    public BoxSessionSpec? Session { get; init; }
}

/// <summary>How an exec ended.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<BoxExecStatus>))]
public enum BoxExecStatus
{
    /// <summary>The command exited by itself (see the exit code).</summary>
    [JsonStringEnumMemberName("completed")]
    Completed,

    /// <summary>The command hit its timeout; its process tree was killed.</summary>
    [JsonStringEnumMemberName("timedOut")]
    TimedOut,

    /// <summary>The command wrote more than the Box drains; its process tree was killed.</summary>
    [JsonStringEnumMemberName("outputLimitExceeded")]
    OutputLimitExceeded,
}

/// <summary>Result of <see cref="BoxMethods.Exec"/>.</summary>
public sealed record BoxExecResult
{
    /// <summary>How the command ended.</summary>
    public required BoxExecStatus Status { get; init; }

    /// <summary>The exit code (128+signal when killed; 137 after a timeout kill), or null when unknown.</summary>
    public int? ExitCode { get; init; }

    /// <summary>Captured stdout (UTF-8, invalid bytes replaced); head and tail around a truncation marker when truncated.</summary>
    public required string Stdout { get; init; }

    /// <summary>Captured stderr, like <see cref="Stdout"/>.</summary>
    public required string Stderr { get; init; }

    /// <summary>Total stdout bytes the command wrote.</summary>
    public long StdoutBytes { get; init; }

    /// <summary>Total stderr bytes the command wrote.</summary>
    public long StderrBytes { get; init; }

    /// <summary>Whether stdout was cut.</summary>
    public bool StdoutTruncated { get; init; }

    /// <summary>Whether stderr was cut.</summary>
    public bool StderrTruncated { get; init; }

    /// <summary>Wall-clock milliseconds from start to exit.</summary>
    public double DurationMs { get; init; }

    /// <summary>Whether the Box had to recreate the session's sandbox (its processes were gone, or killing a runaway command needed it).</summary>
    public bool SessionRestarted { get; init; }

    /// <summary>A human-readable note, e.g. what was killed at the timeout.</summary>
    public string? Message { get; init; }
}

/// <summary>Parameters of <see cref="BoxMethods.ProcessStart"/>.</summary>
public sealed record BoxProcessStartParams
{
    /// <summary>The session; created from <see cref="Session"/> if it does not exist.</summary>
    public required string SessionId { get; init; }

    /// <summary>The process id within the session: 1-64 characters of <c>[A-Za-z0-9_.-]</c>.</summary>
    public required string ProcessId { get; init; }

    /// <summary>The program and its arguments.</summary>
    public required IReadOnlyList<string> Argv { get; init; }

    /// <summary>Absolute working directory. Default <c>/workspace</c>.</summary>
    public string? Workdir { get; init; }

    /// <summary>Extra environment variables.</summary>
    public IReadOnlyDictionary<string, string>? Env { get; init; }

    /// <summary>The session spec used when the session must be created.</summary>
    public BoxSessionSpec? Session { get; init; }
}

/// <summary>Whether a managed process runs.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<BoxProcessStatus>))]
public enum BoxProcessStatus
{
    /// <summary>Running.</summary>
    [JsonStringEnumMemberName("running")]
    Running,

    /// <summary>Exited (see the exit code) or stopped.</summary>
    [JsonStringEnumMemberName("exited")]
    Exited,
}

/// <summary>A managed process.</summary>
/// <param name="SessionId">Its session.</param>
/// <param name="ProcessId">Its id.</param>
/// <param name="Status">Running or exited.</param>
/// <param name="ExitCode">Its exit code once exited.</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="ExitedAt">When it exited.</param>
/// <param name="Attached">Whether a relay client is attached now.</param>
/// <param name="StderrTail">The last stderr output (up to 16 KiB).</param>
/// <param name="AttachUrl">The WebSocket URL relaying its stdin and stdout.</param>
/// <param name="AttachToken">The bearer token for <paramref name="AttachUrl"/>; only in the result of <see cref="BoxMethods.ProcessStart"/>.</param>
public sealed record BoxProcessInfo(
    string SessionId,
    string ProcessId,
    BoxProcessStatus Status,
    int? ExitCode,
    DateTimeOffset StartedAt,
    DateTimeOffset? ExitedAt,
    bool Attached,
    string StderrTail,
    string? AttachUrl,
    string? AttachToken = null);

/// <summary>Names one managed process.</summary>
/// <param name="SessionId">Its session.</param>
/// <param name="ProcessId">Its id.</param>
public sealed record BoxProcessRef(string SessionId, string ProcessId);

/// <summary>Parameters of <see cref="BoxMethods.FileRead"/>.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="Path">An absolute path, or one relative to <c>/workspace</c>.</param>
/// <param name="MaxBytes">The most bytes returned (default 1 MiB).</param>
public sealed record BoxFileReadParams(string SessionId, string Path, int? MaxBytes = null);

/// <summary>Result of <see cref="BoxMethods.FileRead"/>.</summary>
/// <param name="Path">The absolute path read.</param>
/// <param name="Content">The bytes (base64 in JSON).</param>
/// <param name="Size">The file's size.</param>
/// <param name="Truncated">Whether only the first <c>MaxBytes</c> were returned.</param>
public sealed record BoxFileReadResult(string Path, byte[] Content, long Size, bool Truncated);

/// <summary>Parameters of <see cref="BoxMethods.FileWrite"/>.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="Path">An absolute path, or one relative to <c>/workspace</c>.</param>
/// <param name="Content">The bytes (base64 in JSON).</param>
/// <param name="Append">Append instead of replacing.</param>
/// <param name="CreateDirectories">Create missing parent folders.</param>
public sealed record BoxFileWriteParams(string SessionId, string Path, byte[] Content, bool Append = false, bool CreateDirectories = true);

/// <summary>Result of <see cref="BoxMethods.FileWrite"/>.</summary>
/// <param name="Path">The absolute path written.</param>
/// <param name="BytesWritten">Bytes written.</param>
public sealed record BoxFileWriteResult(string Path, long BytesWritten);

/// <summary>An empty result or parameter object.</summary>
public sealed record BoxEmpty;
