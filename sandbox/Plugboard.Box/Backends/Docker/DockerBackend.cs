using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Plugboard.Box.Contracts;
using Plugboard.Box.Docker;
using Plugboard.Box.Execution;
using Plugboard.Box.Hosting;
using Plugboard.Box.Security;
using Plugboard.Box.Sessions;

namespace Plugboard.Box.Backends.Docker;

/// <summary>
/// Sessions as hardened Docker containers, driven through the Engine API 1.41. A container runs a long sleep under
/// Docker's init (tini) as a non-root user, with every capability dropped, no-new-privileges, a read-only root file
/// system, size-capped tmpfs for <c>/tmp</c> and the workspace, memory equal to memory+swap, a CPU quota, a pids
/// limit, ulimits (nofile, fsize, core 0), no network unless the profile allows it, a private IPC and cgroup
/// namespace, and an optional runtime per profile (gVisor's <c>runsc</c>). Commands are execs; a timeout kills the
/// exec's whole process tree from inside the container (<see cref="KillScript"/>), and the container is recreated
/// when that is not possible.
/// </summary>
internal sealed class DockerBackend : ISandboxBackend
{
    private const string LabelPrefix = "io.plugboard.box";
    private const string MarkerLabel = LabelPrefix;
    private const string ScopeLabel = LabelPrefix + ".scope";
    private const string InstanceLabel = LabelPrefix + ".instance";
    private const string SessionLabel = LabelPrefix + ".session";
    private const string HostLabel = LabelPrefix + ".host";
    private const string PidLabel = LabelPrefix + ".pid";
    private const string PidStartLabel = LabelPrefix + ".pidstart";
    private const long MiB = 1024 * 1024;
    private static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(5);
    private readonly DockerEngineClient _docker;
    private readonly DockerBackendOptions _options;
    private readonly BoxIdentity _identity;
    private readonly WorkspaceStore _workspaces;
    private readonly ILogger _logger;
    private readonly (int Uid, int Gid)? _numericUser;

    public DockerBackend(DockerBackendOptions options, BoxIdentity identity, WorkspaceStore workspaces, ILogger logger)
    {
        _options = options;
        _identity = identity;
        _workspaces = workspaces;
        _logger = logger;
        _docker = new DockerEngineClient(options.SocketPath);
        _numericUser = ParseUser(options.User);
    }

    public string Name => BoxBackendNames.Docker;

    internal DockerEngineClient Client => _docker;

    public async Task<BackendProbe> ProbeAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(_options.SocketPath) && PathResolver.FileType(_options.SocketPath) == PathResolver.UnixFileType.Missing)
        {
            return BackendProbe.Unavailable($"unavailable: no Docker socket at {_options.SocketPath} (start dockerd, or set Box:Docker:SocketPath)");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await _docker.PingAsync(timeout.Token).ConfigureAwait(false);
            var version = await _docker.VersionAsync(timeout.Token).ConfigureAwait(false);
            if (Version.TryParse(version.ApiVersion, out var api) && api < new Version(1, 41))
            {
                return BackendProbe.Unavailable($"unavailable: the Docker engine speaks API {version.ApiVersion}; the Box needs 1.41 (Docker 20.10) or newer");
            }

            return new BackendProbe(true, null, $"Docker {version.Version} (API {version.ApiVersion})",
            [
                "memory: cgroup (memory+swap = memory)", "cpu: cgroup quota", "pids: cgroup", "open files, file size, core: ulimits",
                _workspaces.CanMount ? "workspace quota: tmpfs size (persistent: loop image size)" : "workspace quota: tmpfs size (persistent: not enforced, the Box is not root)",
                "capabilities: none; no-new-privileges; seccomp: engine default", "root file system: read-only", "network: none unless the profile allows it",
            ]);
        }
        catch (HttpRequestException ex) when (ex.InnerException is SocketException socket)
        {
            return BackendProbe.Unavailable(socket.SocketErrorCode == SocketError.AccessDenied
                ? $"unavailable: permission denied on {_options.SocketPath} (run the Box as root or as a member of the docker group)"
                : $"unavailable: the Docker engine at {_options.SocketPath} does not answer ({socket.SocketErrorCode}); start dockerd");
        }
        catch (Exception ex) when (ex is HttpRequestException or DockerApiException or OperationCanceledException or IOException or System.Text.Json.JsonException)
        {
            return BackendProbe.Unavailable($"unavailable: the Docker engine at {_options.SocketPath} did not answer correctly ({ex.Message})");
        }
    }

    public async Task<SandboxHandle> CreateAsync(ResolvedSessionSpec spec, CancellationToken cancellationToken)
    {
        var image = spec.Image ?? _options.DefaultImage;
        HostWorkspace? hostWorkspace = null;
        string workspaceDescription;
        var mounts = new List<MountSpec>();
        var tmpfs = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["/tmp"] = string.Create(CultureInfo.InvariantCulture, $"rw,nosuid,nodev,size={spec.Limits.TmpSizeMb}m,mode=1777"),
        };

        if (spec.WorkspaceHost is { } host)
        {
            workspaceDescription = $"host {host.HostPath}{(host.ReadOnly ? " (read-only)" : "")}";
        }
        else if (spec.Persistent)
        {
            var (uid, gid) = _numericUser ?? (0, 0);
            hostWorkspace = await _workspaces.PrepareAsync(spec.SessionId, persistent: true, spec.Limits.WorkspaceQuotaMb, uid, gid, cancellationToken).ConfigureAwait(false);
            mounts.Add(Bind(hostWorkspace.WorkspacePath, SessionSpecResolver.WorkspacePath, readOnly: false));
            workspaceDescription = hostWorkspace.Description;
        }
        else
        {
            var owner = _numericUser is { } user ? string.Create(CultureInfo.InvariantCulture, $",uid={user.Uid},gid={user.Gid},mode=0755") : ",mode=1777";
            tmpfs[SessionSpecResolver.WorkspacePath] = string.Create(CultureInfo.InvariantCulture, $"rw,exec,nosuid,nodev,size={spec.Limits.WorkspaceQuotaMb}m{owner}");
            workspaceDescription = string.Create(CultureInfo.InvariantCulture, $"tmpfs {spec.Limits.WorkspaceQuotaMb} MiB");
        }

        mounts.AddRange(spec.AllMounts.Select(m => Bind(m.HostPath, m.MountPath, m.ReadOnly)));
        if (spec.Network == BoxNetwork.On && !await _docker.NetworkExistsAsync(_options.Network, cancellationToken).ConfigureAwait(false))
        {
            // Docker would start the container anyway, silently without connectivity (e.g. dockerd --bridge=none).
            throw BoxErrors.BackendError(Name, $"Profile '{spec.Profile.Name}' needs network access, but the Docker engine has no network '{_options.Network}'. Create it (docker network create {_options.Network}), point Box:Docker:Network at an existing one, or use a profile without network.");
        }

        var body = BuildCreateRequest(spec, image, tmpfs, mounts);
        try
        {
            var id = await CreateAndStartAsync(spec, body, cancellationToken).ConfigureAwait(false);
            await VerifyMountsAsync(id, spec, cancellationToken).ConfigureAwait(false);
            return new DockerSandbox(spec, id, image, workspaceDescription, body, hostWorkspace);
        }
        catch
        {
            if (hostWorkspace is not null)
            {
                await _workspaces.ReleaseAsync(hostWorkspace, CancellationToken.None).ConfigureAwait(false);
            }

            throw;
        }
    }

    public async Task DestroyAsync(SandboxHandle handle, CancellationToken cancellationToken)
    {
        var sandbox = (DockerSandbox)handle;
        try
        {
            await _docker.RemoveContainerAsync(sandbox.ContainerId, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (sandbox.HostWorkspace is { } workspace)
            {
                await _workspaces.ReleaseAsync(workspace, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async Task<ExecOutcome> ExecAsync(SandboxHandle handle, ExecRequest request, CancellationToken cancellationToken)
    {
        var sandbox = (DockerSandbox)handle;
        var restarted = false;
        var create = new ExecCreateRequest
        {
            AttachStdin = request.Stdin is not null,
            Cmd = [.. request.Argv],
            Env = request.Env.Count == 0 ? null : [.. request.Env.Select(kv => kv.Key + "=" + kv.Value)],
            WorkingDir = request.Workdir,
            User = _options.User,
        };

        var stopwatch = Stopwatch.StartNew();
        var (execId, stream, recreated) = await OpenExecAsync(sandbox, create, cancellationToken).ConfigureAwait(false);
        restarted |= recreated;
        var stdout = new OutputCapture(request.MaxOutputBytes);
        var stderr = new OutputCapture(request.MaxOutputBytes);
        var flood = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long total = 0;
        using var pumpCancel = new CancellationTokenSource();
        var pump = DockerStreamDemultiplexer.RunAsync(stream, (type, data) =>
        {
            (type == DockerStreamType.Stderr ? stderr : stdout).Append(data.Span);
            total += data.Length;
            if (total > request.DrainLimitBytes)
            {
                flood.TrySetResult();
            }

            return ValueTask.CompletedTask;
        }, pumpCancel.Token);
        var stdin = FeedStdinAsync(stream, request.Stdin, pumpCancel.Token);

        var status = BoxExecStatus.Completed;
        string? message = null;
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var timer = Task.Delay(request.Timeout, deadline.Token);
            var first = await Task.WhenAny(pump, timer, flood.Task).ConfigureAwait(false);
            deadline.Cancel();
            if (first != pump)
            {
                status = first == flood.Task ? BoxExecStatus.OutputLimitExceeded : BoxExecStatus.TimedOut;
                var what = status == BoxExecStatus.TimedOut
                    ? $"timed out after {request.Timeout.TotalSeconds:0.###} s"
                    : $"wrote more than {request.DrainLimitBytes} bytes of output";
                var killed = await KillRunawayAsync(sandbox, request.ProtectedPids).ConfigureAwait(false);
                if (killed is not null && await Task.WhenAny(pump, Task.Delay(KillGrace, CancellationToken.None)).ConfigureAwait(false) == pump)
                {
                    message = $"The command {what}; its process tree was killed ({killed} process(es)).";
                }
                else
                {
                    await pumpCancel.CancelAsync().ConfigureAwait(false);
                    stream.Dispose();
                    Log.SandboxRecreating(_logger, sandbox.Spec.SessionId, "the runaway command could not be killed inside the container");
                    await RecreateAsync(sandbox, CancellationToken.None).ConfigureAwait(false);
                    restarted = true;
                    message = $"The command {what}; it could not be killed inside the container, so the session's container was recreated (temporary files were lost).";
                }

                cancellationToken.ThrowIfCancellationRequested();
            }

            try
            {
                await pump.ConfigureAwait(false);
            }
            catch (Exception ex) when (status != BoxExecStatus.Completed && ex is IOException or ObjectDisposedException or OperationCanceledException or InvalidDataException)
            {
                // The stream was torn down with the container.
            }

            await stdin.ConfigureAwait(false);
        }
        finally
        {
            stream.Dispose();
        }

        var elapsed = stopwatch.Elapsed;
        var exitCode = restarted && status != BoxExecStatus.Completed ? 137 : await ReadExitCodeAsync(execId, cancellationToken).ConfigureAwait(false);
        return new ExecOutcome(status, exitCode, stdout, stderr, elapsed, restarted, message);
    }

    public async Task<ISandboxProcess> StartProcessAsync(SandboxHandle handle, ProcessRequest request, CancellationToken cancellationToken)
    {
        var sandbox = (DockerSandbox)handle;
        var create = new ExecCreateRequest
        {
            AttachStdin = true,
            Cmd = ["/bin/sh", "-c", DockerSandboxProcess.Wrapper, "plugboard-process", .. request.Argv],
            Env = request.Env.Count == 0 ? null : [.. request.Env.Select(kv => kv.Key + "=" + kv.Value)],
            WorkingDir = request.Workdir,
            User = _options.User,
        };
        var (execId, stream, _) = await OpenExecAsync(sandbox, create, cancellationToken).ConfigureAwait(false);
        return new DockerSandboxProcess(this, sandbox, execId, stream);
    }

    public async Task<int> ReapOrphansAsync(IReadOnlyCollection<SandboxHandle> live, CancellationToken cancellationToken)
    {
        var liveIds = live.OfType<DockerSandbox>().Select(s => s.ContainerId).ToHashSet(StringComparer.Ordinal);
        var containers = await _docker.ListContainersAsync([MarkerLabel], cancellationToken).ConfigureAwait(false);
        var removed = 0;
        foreach (var container in containers)
        {
            if (liveIds.Contains(container.Id) || !IsOrphan(container))
            {
                continue;
            }

            try
            {
                if (await _docker.RemoveContainerAsync(container.Id, cancellationToken).ConfigureAwait(false))
                {
                    removed++;
                    Log.OrphanRemoved(_logger, container.Id[..12], Label(container, SessionLabel) ?? "?", Label(container, InstanceLabel) ?? "?");
                }
            }
            catch (DockerApiException ex)
            {
                Log.OrphanRemoveFailed(_logger, container.Id[..12], ex.Message);
            }
        }

        return removed;
    }

    public ValueTask DisposeAsync()
    {
        _docker.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Runs <see cref="KillScript"/>; returns how many processes it killed, or null when it could not run.</summary>
    internal async Task<int?> RunKillScriptAsync(DockerSandbox sandbox, string mode, string signal, IEnumerable<int> pids, bool headroom)
    {
        var containerId = sandbox.ContainerId;
        var limit = sandbox.Spec.Limits.PidsLimit;
        if (headroom)
        {
            // A fork bomb may hold every pid: lend the container a few for the killer's own exec.
            await TryUpdatePidsAsync(containerId, limit + 64).ConfigureAwait(false);
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            var execId = await _docker.CreateExecAsync(containerId, new ExecCreateRequest
            {
                Cmd = ["/bin/sh", "-c", KillScript.Text, "plugboard-kill", mode, signal, .. pids.Select(p => p.ToString(CultureInfo.InvariantCulture))],
                User = _options.User,
                WorkingDir = "/",
            }, timeout.Token).ConfigureAwait(false);
            using var stream = await _docker.StartExecAsync(execId, timeout.Token).ConfigureAwait(false);
            var output = new StringBuilder();
            await DockerStreamDemultiplexer.RunAsync(stream, (type, data) =>
            {
                if (type == DockerStreamType.Stdout && output.Length < 256)
                {
                    output.Append(Encoding.UTF8.GetString(data.Span));
                }

                return ValueTask.CompletedTask;
            }, timeout.Token).ConfigureAwait(false);
            return int.TryParse(output.ToString().Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count : null;
        }
        catch (Exception ex) when (ex is DockerApiException or HttpRequestException or IOException or OperationCanceledException or InvalidDataException)
        {
            Log.KillFailed(_logger, sandbox.Spec.SessionId, ex.Message);
            return null;
        }
        finally
        {
            if (headroom)
            {
                await TryUpdatePidsAsync(containerId, limit).ConfigureAwait(false);
            }
        }
    }

    internal async Task<int?> ReadExitCodeAsync(string execId, CancellationToken cancellationToken)
    {
        // The stream can end a moment before the engine records the exit.
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var inspect = await _docker.InspectExecAsync(execId, cancellationToken).ConfigureAwait(false);
            if (inspect is null)
            {
                return null;
            }

            if (!inspect.Running)
            {
                return inspect.ExitCode;
            }

            await Task.Delay(attempt < 10 ? 5 : 50, cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    /// <summary>Creates and starts an exec; when the container is gone or stopped (e.g. everything in it was killed), recreates it once.</summary>
    private async Task<(string ExecId, HijackedStream Stream, bool Recreated)> OpenExecAsync(DockerSandbox sandbox, ExecCreateRequest create, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var execId = await _docker.CreateExecAsync(sandbox.ContainerId, create, cancellationToken).ConfigureAwait(false);
                var stream = await _docker.StartExecAsync(execId, cancellationToken).ConfigureAwait(false);
                return (execId, stream, attempt > 0);
            }
            catch (DockerApiException ex) when (ex.StatusCode is 404 or 409 && attempt == 0)
            {
                Log.SandboxRecreating(_logger, sandbox.Spec.SessionId, ex.Message);
                await RecreateAsync(sandbox, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private Task<int?> KillRunawayAsync(DockerSandbox sandbox, IReadOnlyList<int> protectedPids)
        => RunKillScriptAsync(sandbox, "sweep", "KILL", protectedPids, headroom: true);

    private async Task TryUpdatePidsAsync(string containerId, long limit)
    {
        try
        {
            await _docker.UpdateContainerAsync(containerId, new ContainerUpdateRequest { PidsLimit = limit }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DockerApiException or HttpRequestException)
        {
            Log.PidsUpdateFailed(_logger, containerId[..Math.Min(12, containerId.Length)], ex.Message);
        }
    }

    private async Task RecreateAsync(DockerSandbox sandbox, CancellationToken cancellationToken)
    {
        var observed = sandbox.ContainerId;
        await sandbox.RecreateGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (sandbox.ContainerId != observed)
            {
                // Someone else recreated it meanwhile.
                return;
            }

            await _docker.RemoveContainerAsync(observed, cancellationToken).ConfigureAwait(false);
            sandbox.ContainerId = await CreateAndStartAsync(sandbox.Spec, sandbox.Body, cancellationToken).ConfigureAwait(false);
            sandbox.Restarts++;
        }
        finally
        {
            sandbox.RecreateGate.Release();
        }
    }

    private async Task<string> CreateAndStartAsync(ResolvedSessionSpec spec, ContainerCreateRequest body, CancellationToken cancellationToken)
    {
        var name = $"pbbox-{_identity.Scope}-{Truncate(spec.SessionId, 32)}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
        string id;
        try
        {
            id = await _docker.CreateContainerAsync(name, body, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerApiException ex) when (ex.StatusCode == 404 && ex.Message.Contains("image", StringComparison.OrdinalIgnoreCase))
        {
            throw BoxErrors.BackendError(Name, $"The image '{body.Image}' is not on the Docker host and the Box never pulls; run 'docker pull {body.Image}' (or import it), or set Box:Docker:DefaultImage. ({ex.Message})");
        }
        catch (DockerApiException ex) when (ex.Message.Contains("network", StringComparison.OrdinalIgnoreCase))
        {
            throw BoxErrors.BackendError(Name, $"Docker could not attach the network '{body.HostConfig?.NetworkMode}' this profile needs: {ex.Message}. Create that network, set Box:Docker:Network, or use a profile without network.");
        }
        catch (DockerApiException ex) when (body.HostConfig?.Runtime is { } runtime && ex.Message.Contains("runtime", StringComparison.OrdinalIgnoreCase))
        {
            throw BoxErrors.BackendError(Name, $"Profile '{spec.Profile.Name}' runs sessions with the Docker runtime '{runtime}', which this engine does not know ({ex.Message}). Register it in /etc/docker/daemon.json (\"runtimes\": {{\"{runtime}\": {{\"path\": \"/usr/bin/{runtime}\"}}}}) and restart dockerd, or remove Runtime from the profile.");
        }
        catch (DockerApiException ex)
        {
            throw BoxErrors.BackendError(Name, $"Docker refused to create the session container: {ex.Message}");
        }

        try
        {
            await _docker.StartContainerAsync(id, cancellationToken).ConfigureAwait(false);
            return id;
        }
        catch (Exception ex)
        {
            await _docker.RemoveContainerAsync(id, CancellationToken.None).ConfigureAwait(false);
            if (ex is DockerApiException docker)
            {
                var hint = docker.Message.Contains("runtime", StringComparison.OrdinalIgnoreCase) ? " Register the profile's runtime in /etc/docker/daemon.json or remove it from the profile." : "";
                throw BoxErrors.BackendError(Name, $"Docker could not start the session container: {docker.Message}.{hint}");
            }

            throw;
        }
    }

    /// <summary>
    /// Narrows the check-then-use window of host mounts: after the container exists, every bind must still come from
    /// the validated path, and that path must still have no symlink in it.
    /// </summary>
    private async Task VerifyMountsAsync(string id, ResolvedSessionSpec spec, CancellationToken cancellationToken)
    {
        var expected = spec.AllMounts.ToList();
        if (expected.Count == 0)
        {
            return;
        }

        var inspect = await _docker.InspectContainerAsync(id, cancellationToken).ConfigureAwait(false);
        foreach (var mount in expected)
        {
            var actual = inspect?.Mounts?.FirstOrDefault(m => m.Destination == mount.MountPath);
            var changed = actual is null || actual.Source != mount.HostPath || actual.RW == mount.ReadOnly;
            if (!changed)
            {
                var prefix = "";
                foreach (var segment in mount.HostPath.Split('/', StringSplitOptions.RemoveEmptyEntries))
                {
                    prefix += "/" + segment;
                    if (PathResolver.FileType(prefix) is PathResolver.UnixFileType.Symlink or PathResolver.UnixFileType.Missing)
                    {
                        changed = true;
                        break;
                    }
                }
            }

            if (changed)
            {
                await _docker.RemoveContainerAsync(id, CancellationToken.None).ConfigureAwait(false);
                throw BoxErrors.MountRejected(mount.HostPath, "the path changed while the container was being created (a symlink appeared); nothing was mounted.");
            }
        }
    }

    private ContainerCreateRequest BuildCreateRequest(ResolvedSessionSpec spec, string image, Dictionary<string, string> tmpfs, List<MountSpec> mounts)
    {
        var limits = spec.Limits;
        var memory = limits.MemoryMb * MiB;
        var env = new List<string> { "HOME=" + SessionSpecResolver.WorkspacePath, "TMPDIR=/tmp" };
        env.AddRange(spec.Env.Select(kv => kv.Key + "=" + kv.Value));
        return new ContainerCreateRequest
        {
            Image = image,
            Entrypoint = ["sleep"],
            Cmd = ["2147483647"],
            User = _options.User,
            WorkingDir = SessionSpecResolver.WorkspacePath,
            Env = env,
            Labels = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [MarkerLabel] = "1",
                [ScopeLabel] = _identity.Scope,
                [InstanceLabel] = _identity.InstanceId,
                [SessionLabel] = spec.SessionId,
                [HostLabel] = _identity.HostName,
                [PidLabel] = _identity.ProcessId.ToString(CultureInfo.InvariantCulture),
                [PidStartLabel] = _identity.ProcessStart,
            },
            NetworkDisabled = spec.Network == BoxNetwork.None ? true : null,
            StopTimeout = 1,
            HostConfig = new HostConfig
            {
                Memory = memory,
                MemorySwap = memory,
                NanoCpus = (long)Math.Round(limits.Cpus * 1_000_000_000),
                PidsLimit = limits.PidsLimit,
                Ulimits =
                [
                    new Ulimit("nofile", limits.MaxOpenFiles, limits.MaxOpenFiles),
                    new Ulimit("fsize", limits.MaxFileSizeMb * MiB, limits.MaxFileSizeMb * MiB),
                    new Ulimit("core", 0, 0),
                ],
                ReadonlyRootfs = true,
                Tmpfs = tmpfs,
                Mounts = mounts.Count == 0 ? null : mounts,
                NetworkMode = spec.Network == BoxNetwork.None ? "none" : _options.Network,
                CapDrop = ["ALL"],
                SecurityOpt = ["no-new-privileges"],
                Privileged = false,
                Init = true,
                IpcMode = "private",
                ShmSize = Math.Min(64 * MiB, memory / 4),
                CgroupnsMode = "private",
                Runtime = spec.Profile.Runtime,
                OomScoreAdj = 500,
                AutoRemove = false,
                LogConfig = new LogConfig("none"),
                RestartPolicy = new RestartPolicy("no"),
            },
        };
    }

    private bool IsOrphan(ContainerSummary container)
    {
        var host = Label(container, HostLabel);
        var instance = Label(container, InstanceLabel);
        if (host == _identity.HostName)
        {
            if (instance == _identity.InstanceId)
            {
                // Ours but owned by no session: a create that failed half-way. Give in-flight creations a minute.
                return DateTimeOffset.UtcNow - DateTimeOffset.FromUnixTimeSeconds(container.Created) > TimeSpan.FromMinutes(1);
            }

            return !BoxIdentity.IsOwnerAlive(Label(container, PidLabel), Label(container, PidStartLabel));
        }

        // Created by a Box on another host name (e.g. a Box in a container): only reap our own scope's leftovers.
        return Label(container, ScopeLabel) == _identity.Scope && instance != _identity.InstanceId;
    }

    private static string? Label(ContainerSummary container, string key)
        => container.Labels is not null && container.Labels.TryGetValue(key, out var value) ? value : null;

    private static MountSpec Bind(string source, string target, bool readOnly)
        => new() { Type = "bind", Source = source, Target = target, ReadOnly = readOnly, BindOptions = new BindOptions("rprivate") };

    private static async Task FeedStdinAsync(HijackedStream stream, byte[]? stdin, CancellationToken cancellationToken)
    {
        if (stdin is null)
        {
            return;
        }

        try
        {
            if (stdin is { Length: > 0 })
            {
                await stream.WriteAsync(stdin, cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The process exited (or was killed) without reading all of its input.
        }
        finally
        {
            stream.CloseStdin();
        }
    }

    private static (int, int)? ParseUser(string user)
    {
        var parts = user.Split(':');
        return parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var uid)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var gid)
            ? (uid, gid)
            : null;
    }

    private static string Truncate(string value, int length) => value.Length <= length ? value : value[..length];
}
