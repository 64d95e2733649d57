using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Plugboard.Box.Backends;
using Plugboard.Box.Contracts;
using Plugboard.Box.Hosting;
using Plugboard.Box.Processes;

namespace Plugboard.Box.Sessions;

/// <summary>
/// The sessions of one Box. Creating a session only registers it under a short lock (so the cap is exact and a
/// second caller with the same id waits for the first); the sandbox itself is created outside any global lock.
/// Commands in a session run one at a time under the session's own lock. A periodic reaper removes idle sessions
/// after their TTL (never persistent ones, nor sessions running a command or a managed process), re-checks the
/// backends, and removes orphaned sandboxes.
/// </summary>
internal sealed class SessionManager : IAsyncDisposable
{
    private static readonly TimeSpan ProcessStopGrace = TimeSpan.FromSeconds(3);
    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly BackendSelector _backends;
    private readonly SessionSpecResolver _resolver;
    private readonly BoxServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentQueue<BoxErrorEntry> _errors = new();
    private readonly CancellationTokenSource _stopping = new();
    private Task? _reaper;
    private volatile bool _shuttingDown;

    public SessionManager(BackendSelector backends, SessionSpecResolver resolver, BoxServerOptions options, TimeProvider time, ILogger logger)
    {
        _backends = backends;
        _resolver = resolver;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>The base URL of the relay (<c>ws://host:port</c>), set once the web host listens.</summary>
    public string? RelayBaseUrl { get; set; }

    public int Count => _sessions.Count;

    public int MaxSessions => _options.MaxSessions;

    public IReadOnlyList<string> ProfileNames => _resolver.Profiles.Names;

    public BackendSelector Backends => _backends;

    public IReadOnlyList<BoxErrorEntry> RecentErrors => [.. _errors];

    public void StartReaper()
    {
        _reaper ??= Task.Run(ReaperLoopAsync);
    }

    public void RecordError(string operation, string message)
    {
        _errors.Enqueue(new BoxErrorEntry(_time.GetUtcNow(), operation, message));
        while (_errors.Count > 50 && _errors.TryDequeue(out _))
        {
        }
    }

    public async Task<Session> GetOrCreateAsync(string sessionId, BoxSessionSpec? spec, CancellationToken cancellationToken)
    {
        SessionSpecResolver.ValidateSessionId(sessionId);
        if (spec is not null && spec.SessionId != sessionId)
        {
            spec = spec with { SessionId = sessionId };
        }

        var resolved = spec is null ? null : _resolver.Resolve(spec);
        Session? stale = null;
        Session session;
        var creator = false;
        lock (_gate)
        {
            if (_shuttingDown)
            {
                throw BoxErrors.ShuttingDown();
            }

            if (_sessions.TryGetValue(sessionId, out var existing) && existing.Backend != _backends.Current && _backends.Current is not null && !_backends.IsAvailable(existing.Backend))
            {
                // Its backend went away: the sandbox is gone with it. Start over on the current backend.
                _sessions.TryRemove(sessionId, out _);
                stale = existing;
                existing = null;
            }

            if (existing is not null)
            {
                session = existing;
            }
            else
            {
                if (_sessions.Count >= _options.MaxSessions)
                {
                    throw BoxErrors.SessionLimit(_options.MaxSessions);
                }

                var backend = _backends.Current ?? throw BoxErrors.BackendUnavailable(_backends.UnavailableReason ?? "No sandbox backend is available.");
                resolved ??= _resolver.Resolve(new BoxSessionSpec { SessionId = sessionId });
                session = new Session(resolved, backend, _time.GetUtcNow());
                _sessions[sessionId] = session;
                creator = true;
            }
        }

        if (stale is not null)
        {
            _ = DestroyQuietlyAsync(stale);
        }

        if (creator)
        {
            try
            {
                var handle = await session.Backend.CreateAsync(session.Spec, CancellationToken.None).ConfigureAwait(false);
                session.Ready.TrySetResult(handle);
                Log.SessionCreated(_logger, sessionId, session.Backend.Name, handle.Image, handle.WorkspaceDescription);
            }
            catch (Exception ex)
            {
                lock (_gate)
                {
                    _sessions.TryRemove(new KeyValuePair<string, Session>(sessionId, session));
                }

                session.Ready.TrySetException(ex);
                RecordError("session/create", ex.Message);
                throw;
            }

            return session;
        }

        await session.Ready.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (spec is not null)
        {
            var differences = SessionSpecResolver.Differences(session.Spec, spec, resolved!);
            if (differences.Count > 0)
            {
                throw BoxErrors.SessionConflict(sessionId, differences);
            }
        }

        return session;
    }

    public Session Get(string sessionId)
    {
        SessionSpecResolver.ValidateSessionId(sessionId);
        return _sessions.TryGetValue(sessionId, out var session) && session.Ready.Task.IsCompletedSuccessfully
            ? session
            : throw BoxErrors.SessionNotFound(sessionId);
    }

    public IReadOnlyList<BoxSessionInfo> List() => [.. _sessions.Values
        .Where(s => s.Ready.Task.IsCompletedSuccessfully)
        .OrderBy(s => s.Id, StringComparer.Ordinal)
        .Select(s => s.ToInfo())];

    public async Task<bool> DeleteAsync(string sessionId, CancellationToken cancellationToken)
    {
        SessionSpecResolver.ValidateSessionId(sessionId);
        Session? session;
        lock (_gate)
        {
            if (!_sessions.TryRemove(sessionId, out session))
            {
                return false;
            }
        }

        await DestroyAsync(session, cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task<BoxExecResult> ExecAsync(BoxExecParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var argv = BuildArgv(parameters.Command, parameters.Argv);
        var workdir = SessionSpecResolver.ValidateWorkdir(parameters.Workdir);
        var env = SessionSpecResolver.ValidateEnv(parameters.Env, "env");
        var maxOutput = parameters.MaxOutputBytes ?? _options.DefaultMaxOutputBytes;
        if (maxOutput < 0 || maxOutput > _options.MaxOutputBytesLimit)
        {
            throw BoxErrors.InvalidRequest("maxOutputBytes", $"maxOutputBytes must be between 0 and {_options.MaxOutputBytesLimit} (got {maxOutput}).");
        }

        // Check the timeout against the profile before a session is created for a request that cannot run.
        var profile = _sessions.TryGetValue(parameters.SessionId ?? "", out var known) ? known.Spec.Profile : _resolver.Profiles.Get(parameters.Session?.Profile);
        ResolveTimeout(profile, parameters.TimeoutSeconds);
        var session = await GetOrCreateAsync(parameters.SessionId!, parameters.Session, cancellationToken).ConfigureAwait(false);
        var timeout = ResolveTimeout(session.Spec.Profile, parameters.TimeoutSeconds);
        var outcome = await RunCommandAsync(session, argv, workdir, env, timeout, parameters.Stdin, maxOutput, cancellationToken).ConfigureAwait(false);
        return new BoxExecResult
        {
            Status = outcome.Status,
            ExitCode = outcome.ExitCode,
            Stdout = outcome.Stdout.Render(),
            Stderr = outcome.Stderr.Render(),
            StdoutBytes = outcome.Stdout.TotalBytes,
            StderrBytes = outcome.Stderr.TotalBytes,
            StdoutTruncated = outcome.Stdout.Truncated,
            StderrTruncated = outcome.Stderr.Truncated,
            DurationMs = Math.Round(outcome.Duration.TotalMilliseconds, 1),
            SessionRestarted = outcome.SandboxRestarted,
            Message = outcome.Message,
        };
    }

    public async Task<BoxProcessInfo> StartProcessAsync(BoxProcessStartParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        SessionSpecResolver.ValidateSessionId(parameters.ProcessId, "processId");
        var argv = BuildArgv(null, parameters.Argv);
        var workdir = SessionSpecResolver.ValidateWorkdir(parameters.Workdir);
        var env = SessionSpecResolver.ValidateEnv(parameters.Env, "env");
        var session = await GetOrCreateAsync(parameters.SessionId, parameters.Session, cancellationToken).ConfigureAwait(false);
        await session.CommandLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (session.Processes.TryGetValue(parameters.ProcessId, out var existing))
            {
                if (existing.IsRunning)
                {
                    throw BoxErrors.ProcessConflict(session.Id, parameters.ProcessId);
                }

                session.Processes.TryRemove(parameters.ProcessId, out _);
            }

            var process = await session.Backend.StartProcessAsync(session.Handle, new ProcessRequest(argv, workdir, env), cancellationToken).ConfigureAwait(false);
            var managed = new ManagedProcess(session.Id, parameters.ProcessId, process, _logger);
            session.Processes[parameters.ProcessId] = managed;
            session.Touch(_time.GetUtcNow());
            Log.ProcessStarted(_logger, session.Id, parameters.ProcessId, argv[0]);
            return managed.ToInfo(AttachUrl(session.Id, parameters.ProcessId), includeToken: true);
        }
        finally
        {
            session.CommandLock.Release();
        }
    }

    public ManagedProcess GetProcess(string sessionId, string processId)
    {
        var session = Get(sessionId);
        return session.Processes.TryGetValue(processId, out var process) ? process : throw BoxErrors.ProcessNotFound(sessionId, processId);
    }

    public BoxProcessInfo DescribeProcess(ManagedProcess process) => process.ToInfo(AttachUrl(process.SessionId, process.ProcessId));

    public IReadOnlyList<BoxProcessInfo> ListProcesses(string sessionId)
        => [.. Get(sessionId).Processes.Values.OrderBy(p => p.ProcessId, StringComparer.Ordinal).Select(DescribeProcess)];

    public async Task<BoxProcessInfo> StopProcessAsync(string sessionId, string processId, CancellationToken cancellationToken)
    {
        var process = GetProcess(sessionId, processId);
        await process.StopAsync(ProcessStopGrace, cancellationToken).ConfigureAwait(false);
        return DescribeProcess(process);
    }

    public async Task<BoxFileReadResult> ReadFileAsync(BoxFileReadParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var path = FileScripts.NormalizePath(parameters.Path);
        var max = parameters.MaxBytes ?? 1024 * 1024;
        if (max < 0 || max > _options.MaxOutputBytesLimit)
        {
            throw BoxErrors.InvalidRequest("maxBytes", $"maxBytes must be between 0 and {_options.MaxOutputBytesLimit} (got {max}).");
        }

        var session = await GetOrCreateAsync(parameters.SessionId, null, cancellationToken).ConfigureAwait(false);
        var outcome = await RunCommandAsync(
            session,
            ["/bin/sh", "-c", FileScripts.Read, "plugboard-read", path, max.ToString(CultureInfo.InvariantCulture)],
            "/",
            new Dictionary<string, string>(),
            TimeSpan.FromSeconds(60),
            null,
            Math.Max(max, 4096),
            cancellationToken).ConfigureAwait(false);
        FileScripts.ThrowOnFailure(path, outcome);
        var size = long.TryParse(Encoding.UTF8.GetString(outcome.Stderr.ToArray()).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : outcome.Stdout.TotalBytes;
        var content = outcome.Stdout.ToArray();
        return new BoxFileReadResult(path, content, size, size > content.Length);
    }

    public async Task<BoxFileWriteResult> WriteFileAsync(BoxFileWriteParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var path = FileScripts.NormalizePath(parameters.Path);
        var content = parameters.Content ?? [];
        var session = await GetOrCreateAsync(parameters.SessionId, null, cancellationToken).ConfigureAwait(false);
        var outcome = await RunCommandAsync(
            session,
            ["/bin/sh", "-c", FileScripts.Write, "plugboard-write", path, parameters.Append ? "1" : "0", parameters.CreateDirectories ? "1" : "0"],
            "/",
            new Dictionary<string, string>(),
            TimeSpan.FromSeconds(60),
            content,
            4096,
            cancellationToken).ConfigureAwait(false);
        FileScripts.ThrowOnFailure(path, outcome);
        return new BoxFileWriteResult(path, content.Length);
    }

    /// <summary>Deletes every session (containers, jails, managed processes, temporary workspaces) and refuses new work.</summary>
    public async Task ShutdownAsync()
    {
        Session[] sessions;
        lock (_gate)
        {
            _shuttingDown = true;
            sessions = [.. _sessions.Values];
            _sessions.Clear();
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await Task.WhenAll(sessions.Select(s => DestroyQuietlyAsync(s, timeout.Token))).ConfigureAwait(false);
        if (_reaper is not null)
        {
            await _reaper.ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_shuttingDown)
        {
            await ShutdownAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    /// <summary>One reaper pass: backends, expired sessions, orphans.</summary>
    internal async Task ReapOnceAsync(CancellationToken cancellationToken)
    {
        await _backends.RefreshAsync(cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        foreach (var session in _sessions.Values.Where(s => s.Ready.Task.IsCompletedSuccessfully && s.IsExpired(now)).ToList())
        {
            bool removed;
            lock (_gate)
            {
                // Re-check under the lock: a command may have started meanwhile.
                removed = session.IsExpired(_time.GetUtcNow()) && _sessions.TryRemove(new KeyValuePair<string, Session>(session.Id, session));
            }

            if (removed)
            {
                Log.SessionExpired(_logger, session.Id, session.Spec.TtlSeconds);
                await DestroyQuietlyAsync(session, cancellationToken).ConfigureAwait(false);
            }
        }

        foreach (var backend in _backends.All.Where(_backends.IsAvailable))
        {
            var live = _sessions.Values.Where(s => s.Backend == backend && s.Ready.Task.IsCompletedSuccessfully).Select(s => s.Handle).ToList();
            try
            {
                await backend.ReapOrphansAsync(live, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                RecordError("reaper", $"{backend.Name}: {ex.Message}");
            }
        }
    }

    private async Task<ExecOutcome> RunCommandAsync(Session session, IReadOnlyList<string> argv, string workdir, IReadOnlyDictionary<string, string> env, TimeSpan timeout, byte[]? stdin, int maxOutput, CancellationToken cancellationToken)
    {
        session.EnterCommand();
        try
        {
            await session.CommandLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (session.Deleted)
                {
                    throw BoxErrors.SessionNotFound(session.Id);
                }

                var protectedPids = session.Processes.Values.Where(p => p.IsRunning && p.SandboxPid is not null).Select(p => p.SandboxPid!.Value).ToList();
                var request = new ExecRequest(argv, workdir, env, timeout, stdin, maxOutput, _options.OutputDrainLimitBytes, protectedPids);
                var outcome = await session.Backend.ExecAsync(session.Handle, request, cancellationToken).ConfigureAwait(false);
                if (outcome.Status != BoxExecStatus.Completed)
                {
                    Log.CommandKilled(_logger, session.Id, outcome.Status.ToString(), outcome.Message ?? "");
                }

                return outcome;
            }
            finally
            {
                session.CommandLock.Release();
            }
        }
        catch (Exception ex) when (ex is Docker.DockerApiException or HttpRequestException or IOException)
        {
            RecordError("session/exec", ex.Message);
            throw BoxErrors.BackendError(session.Backend.Name, $"The {session.Backend.Name} backend failed to run the command: {ex.Message}");
        }
        finally
        {
            session.Touch(_time.GetUtcNow());
            session.ExitCommand();
        }
    }

    private static TimeSpan ResolveTimeout(BoxProfile profile, double? requested)
    {
        var seconds = requested ?? profile.DefaultTimeoutSeconds;
        if (double.IsNaN(seconds) || seconds <= 0 || seconds > profile.MaxTimeoutSeconds)
        {
            throw BoxErrors.ProfileViolation(profile.Name, "timeoutSeconds", $"timeoutSeconds must be above 0 and at most {profile.MaxTimeoutSeconds} in profile '{profile.Name}' (got {seconds}).");
        }

        return TimeSpan.FromSeconds(seconds);
    }

    private static List<string> BuildArgv(string? command, IReadOnlyList<string>? argv)
    {
        if ((command is null) == (argv is null))
        {
            throw BoxErrors.InvalidRequest("command", "Pass exactly one of 'command' (a shell command line) and 'argv' (a program and its arguments).");
        }

        if (command is not null)
        {
            if (command.Length == 0 || command.Contains('\0'))
            {
                throw BoxErrors.InvalidRequest("command", "The command is empty or contains a NUL character.");
            }

            if (command.Length > 256 * 1024)
            {
                throw BoxErrors.InvalidRequest("command", "The command is longer than 256 KiB; write a script file and run it instead.");
            }

            return ["/bin/sh", "-c", command];
        }

        if (argv!.Count == 0 || argv.Any(a => a is null || a.Contains('\0')) || argv[0].Length == 0)
        {
            throw BoxErrors.InvalidRequest("argv", "argv must name a program and may not contain null, empty program names or NUL characters.");
        }

        if (argv.Sum(a => a.Length) > 256 * 1024)
        {
            throw BoxErrors.InvalidRequest("argv", "The arguments are longer than 256 KiB in total.");
        }

        return [.. argv];
    }

    private string? AttachUrl(string sessionId, string processId)
        => RelayBaseUrl is null ? null : $"{RelayBaseUrl}/v1/sessions/{Uri.EscapeDataString(sessionId)}/processes/{Uri.EscapeDataString(processId)}/attach";

    private async Task DestroyAsync(Session session, CancellationToken cancellationToken)
    {
        session.Deleted = true;
        if (!session.Ready.Task.IsCompletedSuccessfully)
        {
            return;
        }

        await Task.WhenAll(session.Processes.Values.Select(p => p.StopAsync(TimeSpan.FromSeconds(1), cancellationToken))).ConfigureAwait(false);
        await session.Backend.DestroyAsync(session.Handle, cancellationToken).ConfigureAwait(false);
        foreach (var process in session.Processes.Values)
        {
            await process.DisposeAsync().ConfigureAwait(false);
        }

        Log.SessionDeleted(_logger, session.Id);
    }

    private async Task DestroyQuietlyAsync(Session session, CancellationToken cancellationToken = default)
    {
        try
        {
            await DestroyAsync(session, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            RecordError("session/delete", $"{session.Id}: {ex.Message}");
            Log.SessionDeleteFailed(_logger, session.Id, ex.Message);
        }
    }

    private async Task ReaperLoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(_options.ReaperIntervalSeconds), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                try
                {
                    await ReapOnceAsync(_stopping.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    RecordError("reaper", ex.Message);
                    Log.ReaperFailed(_logger, ex.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }
}
