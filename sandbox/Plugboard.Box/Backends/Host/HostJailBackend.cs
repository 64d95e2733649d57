using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Plugboard.Box.Contracts;
using Plugboard.Box.Execution;
using Plugboard.Box.Hosting;
using Plugboard.Box.Security;
using Plugboard.Box.Sessions;

namespace Plugboard.Box.Backends.Host;

/// <summary>
/// Sessions as jails on the host (bubblewrap, nsjail): the host's system folders read-only, a Box-managed
/// workspace and <c>/tmp</c> (one size-capped mount, so the quota is enforced by the file system), private
/// <c>passwd</c>/<c>group</c>, and fresh namespaces for every command. The jail tools bring namespaces but no
/// resource limits, so the Box adds them: when it runs as root, each command first joins the session's cgroups
/// (memory with swap off, pids, CPU) and drops to an unprivileged host uid with <c>setpriv</c>; rlimits (open files,
/// file size, no core dumps, and address space / processes / CPU time when there are no cgroups) come from
/// <c>prlimit</c>; the wall-clock timeout is the Box's, and killing the jail's monitor tears down its pid namespace.
/// </summary>
internal abstract partial class HostJailBackend : ISandboxBackend
{
    private const string Path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private const string CgroupJoin = "for d in $PLUGBOARD_CGROUPS; do echo $$ > \"$d/cgroup.procs\" || exit 125; done; exec \"$@\"";
    private static readonly TimeSpan ProbeCacheTime = TimeSpan.FromMinutes(5);
    private readonly WorkspaceStore _workspaces;
    private readonly string _jailsDirectory;
    private readonly CgroupLimiter? _cgroups;
    private readonly bool _root = Environment.IsPrivilegedProcess;
    private (DateTimeOffset At, BackendProbe Probe)? _smoke;

    protected HostJailBackend(HostJailOptions options, string dataDirectory, BoxIdentity identity, WorkspaceStore workspaces, ILogger logger)
    {
        Options = options;
        _workspaces = workspaces;
        Logger = logger;
        _jailsDirectory = System.IO.Path.Combine(dataDirectory, "jails", Name);
        _cgroups = CgroupLimiter.TryCreate(identity.Scope);
    }

    public abstract string Name { get; }

    protected HostJailOptions Options { get; }

    protected ILogger Logger { get; }

    /// <summary>The resolved binary, or null when it is not installed.</summary>
    protected string? Binary => ResolveBinary(Options.Binary);

    /// <summary>The uid and gid jailed processes have on the host.</summary>
    protected (int Uid, int Gid) HostIdentity => _root ? (Options.HostUid, Options.HostGid) : (GetUid(), GetGid());

    /// <summary>Whether the Box adds rlimits with prlimit (false when the jail sets them itself).</summary>
    protected virtual bool UsesPrlimit => true;

    public async Task<BackendProbe> ProbeAsync(CancellationToken cancellationToken)
    {
        var binary = Binary;
        if (binary is null)
        {
            return BackendProbe.Unavailable($"unavailable: {Options.Binary} binary not found");
        }

        if (UsesPrlimit && WorkspaceStore.FindTool("prlimit") is null)
        {
            return BackendProbe.Unavailable("unavailable: prlimit (util-linux) not found; it applies the jail's rlimits");
        }

        if (_smoke is { } cached && DateTimeOffset.UtcNow - cached.At < ProbeCacheTime)
        {
            return cached.Probe;
        }

        var version = await RunForOutputAsync([binary, VersionFlag], cancellationToken).ConfigureAwait(false);
        var smoke = await RunForOutputAsync([.. Prefix(null, null), .. SmokeTestArguments(binary)], cancellationToken).ConfigureAwait(false);
        BackendProbe probe = smoke.ExitCode == 0
            ? new BackendProbe(true, null, version.Output.Split('\n')[0].Trim(), Enforced())
            : BackendProbe.Unavailable($"unavailable: {Options.Binary} cannot create a jail here ({smoke.Output.Trim()}); unprivileged user namespaces may be disabled");
        _smoke = (DateTimeOffset.UtcNow, probe);
        return probe;
    }

    public async Task<SandboxHandle> CreateAsync(ResolvedSessionSpec spec, CancellationToken cancellationToken)
    {
        var name = $"{spec.SessionId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
        var (uid, gid) = HostIdentity;
        var workspace = await _workspaces.PrepareAsync(spec.SessionId, spec.Persistent, spec.Limits.WorkspaceQuotaMb + spec.Limits.TmpSizeMb, uid, gid, cancellationToken).ConfigureAwait(false);
        CgroupSet? cgroups = null;
        try
        {
            Directory.CreateDirectory(_jailsDirectory);
            File.SetUnixFileMode(System.IO.Path.GetDirectoryName(_jailsDirectory)!, BoxHost.TraverseOnly);
            File.SetUnixFileMode(_jailsDirectory, BoxHost.TraverseOnly);
            var state = System.IO.Path.Combine(_jailsDirectory, name);
            Directory.CreateDirectory(state);
            File.SetUnixFileMode(state, BoxHost.TraverseOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            var inner = Options.SandboxUid.ToString(CultureInfo.InvariantCulture);
            await File.WriteAllTextAsync(System.IO.Path.Combine(state, "passwd"), $"root:x:0:0:root:/root:/sbin/nologin\nsandbox:x:{inner}:{inner}:sandbox:/workspace:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n", cancellationToken).ConfigureAwait(false);
            await File.WriteAllTextAsync(System.IO.Path.Combine(state, "group"), $"root:x:0:\nsandbox:x:{inner}:\nnogroup:x:65534:\n", cancellationToken).ConfigureAwait(false);
            cgroups = _cgroups?.Create(name, spec.Limits);
            return new JailSandbox(spec, name, state, workspace, cgroups);
        }
        catch
        {
            if (cgroups is not null)
            {
                await CgroupLimiter.RemoveAsync(cgroups).ConfigureAwait(false);
            }

            await _workspaces.ReleaseAsync(workspace, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    public async Task DestroyAsync(SandboxHandle handle, CancellationToken cancellationToken)
    {
        var sandbox = (JailSandbox)handle;
        if (sandbox.Cgroups is not null)
        {
            await CgroupLimiter.RemoveAsync(sandbox.Cgroups).ConfigureAwait(false);
        }

        await _workspaces.ReleaseAsync(sandbox.Workspace, cancellationToken).ConfigureAwait(false);
        TryDelete(sandbox.StateDirectory);
    }

    public async Task<ExecOutcome> ExecAsync(SandboxHandle handle, ExecRequest request, CancellationToken cancellationToken)
    {
        var sandbox = (JailSandbox)handle;
        var stopwatch = Stopwatch.StartNew();
        using var process = Start(sandbox, request.Argv, request.Workdir, request.Env);
        var jail = new HostSandboxProcess(process);
        var stdout = new OutputCapture(request.MaxOutputBytes);
        var stderr = new OutputCapture(request.MaxOutputBytes);
        var flood = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long total = 0;
        var gate = new Lock();
        ValueTask Sink(OutputCapture capture, ReadOnlyMemory<byte> data)
        {
            lock (gate)
            {
                capture.Append(data.Span);
                total += data.Length;
                if (total > request.DrainLimitBytes)
                {
                    flood.TrySetResult();
                }
            }

            return ValueTask.CompletedTask;
        }

        var pump = jail.PumpOutputAsync(d => Sink(stdout, d), d => Sink(stderr, d), CancellationToken.None);
        var stdin = FeedStdinAsync(jail, request.Stdin);
        var status = BoxExecStatus.Completed;
        string? message = null;
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            var exited = process.WaitForExitAsync(deadline.Token);
            var first = await Task.WhenAny(Task.WhenAll(pump, exited), Task.Delay(request.Timeout, deadline.Token), flood.Task).ConfigureAwait(false);
            await deadline.CancelAsync().ConfigureAwait(false);
            if (!process.HasExited || first == flood.Task)
            {
                status = first == flood.Task ? BoxExecStatus.OutputLimitExceeded : BoxExecStatus.TimedOut;
                jail.Kill();
                var what = status == BoxExecStatus.TimedOut ? $"timed out after {request.Timeout.TotalSeconds:0.###} s" : $"wrote more than {request.DrainLimitBytes} bytes of output";
                message = $"The command {what}; the jail and every process in it were killed.";
            }
        }

        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        await Task.WhenAny(pump, Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None)).ConfigureAwait(false);
        await stdin.ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        lock (gate)
        {
            return new ExecOutcome(status, process.ExitCode, stdout, stderr, stopwatch.Elapsed, false, message);
        }
    }

    public Task<ISandboxProcess> StartProcessAsync(SandboxHandle handle, ProcessRequest request, CancellationToken cancellationToken)
    {
        var sandbox = (JailSandbox)handle;
        var process = Start(sandbox, request.Argv, request.Workdir, request.Env);
        return Task.FromResult<ISandboxProcess>(new HostSandboxProcess(process));
    }

    public async Task<int> ReapOrphansAsync(IReadOnlyCollection<SandboxHandle> live, CancellationToken cancellationToken)
    {
        var liveNames = live.OfType<JailSandbox>().Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var removed = 0;
        if (Directory.Exists(_jailsDirectory))
        {
            foreach (var directory in Directory.EnumerateDirectories(_jailsDirectory))
            {
                if (!liveNames.Contains(System.IO.Path.GetFileName(directory)) && DateTime.UtcNow - Directory.GetCreationTimeUtc(directory) > TimeSpan.FromMinutes(1))
                {
                    TryDelete(directory);
                    removed++;
                }
            }
        }

        if (_cgroups is not null)
        {
            foreach (var stale in _cgroups.ListStale(liveNames).ToList())
            {
                await CgroupLimiter.RemoveAsync(stale).ConfigureAwait(false);
            }
        }

        return removed;
    }

    public ValueTask DisposeAsync()
    {
        _cgroups?.RemoveScope();
        return ValueTask.CompletedTask;
    }

    /// <summary>The jail's command line for one command (the binary first).</summary>
    internal abstract List<string> BuildJailArguments(string binary, JailSandbox sandbox, IReadOnlyList<string> argv, string workdir, IReadOnlyDictionary<string, string> env);

    /// <summary>A jail running <c>/bin/true</c> with nothing but the system folders, to test that jails work here.</summary>
    protected abstract IReadOnlyList<string> SmokeTestArguments(string binary);

    protected abstract string VersionFlag { get; }

    /// <summary>The environment every jailed command starts with (the session's, then the command's, override it).</summary>
    protected static IEnumerable<KeyValuePair<string, string>> BaseEnvironment(JailSandbox sandbox, IReadOnlyDictionary<string, string> env)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = Path,
            ["HOME"] = SessionSpecResolver.WorkspacePath,
            ["TMPDIR"] = "/tmp",
            ["USER"] = "sandbox",
        };
        foreach (var (key, value) in sandbox.Spec.Env.Concat(env))
        {
            result[key] = value;
        }

        return result;
    }

    /// <summary>Read-only system folders present on this host: (path, symlink target or null).</summary>
    protected IEnumerable<(string Path, string? LinkTarget)> SystemBinds()
    {
        foreach (var path in Options.ReadOnlyBinds)
        {
            switch (PathResolver.FileType(path))
            {
                case PathResolver.UnixFileType.Symlink:
                    yield return (path, new FileInfo(path).LinkTarget);
                    break;
                case PathResolver.UnixFileType.Directory or PathResolver.UnixFileType.Regular:
                    yield return (path, null);
                    break;
                default:
                    break;
            }
        }
    }

    private IReadOnlyList<string> Enforced()
    {
        var limits = new List<string>();
        limits.Add(_cgroups is null ? "memory: address-space rlimit (no cgroups: the Box is not root)" : $"memory (swap off), pids, cpu: {_cgroups.Description}");
        limits.Add(UsesPrlimit ? "open files, file size, core: rlimits (prlimit)" : "open files, file size, core: the jail's rlimits");
        limits.Add(_workspaces.CanMount ? "workspace and /tmp quota: size of their mount (tmpfs, or a loop image for persistent sessions)" : "workspace quota: not enforced (the Box is not root)");
        limits.Add("namespaces: user, mount, pid, ipc, uts, net (unless the profile allows network), cgroup");
        limits.Add(_root ? $"host identity: uid {Options.HostUid} (setpriv)" : "host identity: the Box's own uid");
        return limits;
    }

    private List<string> Prefix(JailSandbox? sandbox, EffectiveLimits? limits)
    {
        var prefix = new List<string>();
        if (sandbox?.Cgroups is not null)
        {
            prefix.AddRange(["/bin/sh", "-c", CgroupJoin, "plugboard-cgroup"]);
        }

        if (_root)
        {
            prefix.AddRange([WorkspaceStore.FindTool("setpriv") ?? "setpriv", $"--reuid={Options.HostUid}", $"--regid={Options.HostGid}", "--clear-groups", "--inh-caps=-all", "--"]);
        }

        if (UsesPrlimit && limits is not null)
        {
            var fsize = (limits.MaxFileSizeMb * 1024L * 1024L).ToString(CultureInfo.InvariantCulture);
            var files = limits.MaxOpenFiles.ToString(CultureInfo.InvariantCulture);
            prefix.AddRange([WorkspaceStore.FindTool("prlimit") ?? "prlimit", $"--nofile={files}:{files}", $"--fsize={fsize}:{fsize}", "--core=0:0"]);
            if (sandbox?.Cgroups is null)
            {
                var address = (Math.Max(limits.MemoryMb * 2L, 1024L) * 1024 * 1024).ToString(CultureInfo.InvariantCulture);
                var cpu = ((long)Math.Ceiling(sandbox!.Spec.Profile.MaxTimeoutSeconds * Math.Max(1, limits.Cpus))).ToString(CultureInfo.InvariantCulture);
                prefix.AddRange([$"--as={address}:{address}", $"--cpu={cpu}:{cpu}"]);
            }

            prefix.Add("--");
        }

        return prefix;
    }

    private Process Start(JailSandbox sandbox, IReadOnlyList<string> argv, string workdir, IReadOnlyDictionary<string, string> env)
    {
        var binary = Binary ?? throw BoxErrors.BackendUnavailable($"unavailable: {Options.Binary} binary not found");
        var arguments = Prefix(sandbox, sandbox.Spec.Limits);
        arguments.AddRange(BuildJailArguments(binary, sandbox, argv, workdir, env));
        var start = new ProcessStartInfo(arguments[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        foreach (var argument in arguments.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Clear();
        start.Environment["PATH"] = Path;
        if (sandbox.Cgroups is not null)
        {
            start.Environment["PLUGBOARD_CGROUPS"] = string.Join(' ', sandbox.Cgroups.Directories);
        }

        return Process.Start(start) ?? throw BoxErrors.BackendError(Name, $"{Options.Binary} did not start.");
    }

    private static async Task FeedStdinAsync(HostSandboxProcess jail, byte[]? stdin)
    {
        try
        {
            if (stdin is { Length: > 0 })
            {
                await jail.WriteStdinAsync(stdin, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The command exited without reading all of its input.
        }
        finally
        {
            jail.CloseStdin();
        }
    }

    private static async Task<(int ExitCode, string Output)> RunForOutputAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(arguments[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var argument in arguments.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Clear();
        start.Environment["PATH"] = Path;
        try
        {
            using var process = Process.Start(start)!;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var error = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            return (process.ExitCode, (await output.ConfigureAwait(false)) + (await error.ConfigureAwait(false)));
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or OperationCanceledException or InvalidOperationException)
        {
            return (-1, ex.Message);
        }
    }

    private static string? ResolveBinary(string binary)
    {
        if (string.IsNullOrEmpty(binary))
        {
            return null;
        }

        if (binary.Contains('/'))
        {
            return File.Exists(binary) ? binary : null;
        }

        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? Path).Split(':').Concat(Path.Split(':')))
        {
            var candidate = System.IO.Path.Combine(directory, binary);
            if (directory.Length > 0 && File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.WorkspaceDeleteFailed(Logger, directory, ex.Message);
        }
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "getuid")]
    private static partial int GetUid();

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "getgid")]
    private static partial int GetGid();
}
