using Microsoft.Extensions.Logging;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Runtime.Supervision;

/// <summary>
/// Keeps one plugin running: start and handshake, ping, crash detection, restart with exponential backoff and
/// jitter, a crash budget after which the plugin is Failed, and graceful stop.
/// </summary>
internal sealed class PluginSupervisor : IAsyncDisposable
{
    private readonly SupervisorOptions _options;
    private readonly RestartPolicy _restarts;
    private readonly JsonRpcConnectionOptions _rpcOptions;
    private readonly Action<PluginSupervisor, JsonRpcConnection> _registerRuntimeApi;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private CancellationTokenSource? _runCancellation;
    private CancellationTokenSource? _instanceStop;
    private Task? _loop;
    private PluginProcess? _instance;
    private AttachedInstance? _attached;
    private TaskCompletionSource _running = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PluginSupervisor(PluginLaunchSpec spec, SupervisorOptions options, JsonRpcConnectionOptions rpcOptions, Action<PluginSupervisor, JsonRpcConnection> registerRuntimeApi, ILogger logger)
    {
        Spec = spec;
        _options = options;
        _restarts = new RestartPolicy(options);
        _rpcOptions = rpcOptions;
        _registerRuntimeApi = registerRuntimeApi;
        _logger = logger;
        Stderr = new StderrCapture(options.StderrLines, logger);
    }

    /// <summary>Raised on every state transition.</summary>
    public event EventHandler<PluginStateChangedEventArgs>? StateChanged;

    public PluginLaunchSpec Spec { get; }

    public PluginState State { get; private set; } = PluginState.Stopped;

    public string? LastError { get; private set; }

    public StderrCapture Stderr { get; }

    public int RestartCount { get; private set; }

    /// <summary>The handshake of the current instance (a debug-attached one first), when Running.</summary>
    public InitializeResult? Handshake => _attached?.Handshake ?? _instance?.Handshake;

    /// <summary>The connection of the current instance (a debug-attached one first), when Running.</summary>
    public JsonRpcConnection? Connection => State == PluginState.Running ? _attached?.Connection ?? _instance?.Connection : null;

    /// <summary>The process id of the current instance (of a debug-attached one only if it said so).</summary>
    public int? ProcessId => _attached is { } attached ? attached.ProcessId : _instance?.ProcessId;

    /// <summary>Whether a debug-attached process stands in for the supervised one (see PlugboardRuntime.Debug.cs).</summary>
    public bool IsAttached => _attached is not null;

    /// <summary>Starts supervising (idempotent while running).</summary>
    public void Start()
    {
        lock (_lock)
        {
            if (_loop is { IsCompleted: false } || _attached is not null)
            {
                return;
            }

            _restarts.Reset();
            LastError = null;
            _runCancellation = new CancellationTokenSource();
            _loop = Task.Run(() => RunAsync(_runCancellation.Token));
        }

        // Leave Stopped/Disabled/Failed at once, so a caller can wait for Running right after Start.
        SetState(PluginState.Starting, null);
    }

    /// <summary>Marks a plugin that must not start (e.g. invalid configuration) as Failed.</summary>
    public void MarkFailed(string reason) => Fail(reason);

    /// <summary>Marks a plugin as Disabled without starting it.</summary>
    public void MarkDisabled() => SetState(PluginState.Disabled, null);

    /// <summary>Completes when the plugin is Running (or throws when it Failed or was stopped first).</summary>
    public Task WaitUntilRunningAsync(CancellationToken cancellationToken) => _running.Task.WaitAsync(cancellationToken);

    /// <summary>Stops the plugin gracefully and ends supervision.</summary>
    public async Task StopAsync(PluginState finalState = PluginState.Stopped)
    {
        await EndSupervisionAsync().ConfigureAwait(false);

        if (Interlocked.Exchange(ref _attached, null) is { } attached)
        {
            await attached.Connection.DisposeAsync().ConfigureAwait(false);
        }

        if (State != PluginState.Failed || finalState == PluginState.Disabled)
        {
            SetState(finalState, null);
        }
    }

    /// <summary>Restarts the plugin now (a deliberate restart does not count against the crash budget).</summary>
    public async Task RestartAsync()
    {
        await StopAsync().ConfigureAwait(false);
        Start();
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    /// <summary>
    /// Debug attach: ends supervision of the process (stopping it gracefully) and lets <paramref name="connection"/>, an
    /// externally started instance that completed its handshake, serve as this plugin until <see cref="Detach"/> or
    /// <see cref="StopAsync"/>. A previously attached instance is disconnected.
    /// </summary>
    public async Task AttachAsync(JsonRpcConnection connection, InitializeResult handshake, int? processId)
    {
        await EndSupervisionAsync().ConfigureAwait(false);

        var previous = Interlocked.Exchange(ref _attached, new AttachedInstance(connection, handshake, processId));
        if (previous is not null)
        {
            await previous.Connection.DisposeAsync().ConfigureAwait(false);
        }

        LastError = null;
        SetState(PluginState.Starting, "debug session attaching");
        SetState(PluginState.Running, "debug session attached");
    }

    /// <summary>
    /// Debug attach: forgets the attached instance if it is still <paramref name="connection"/> and marks the plugin
    /// Restarting; supervision stays paused until <see cref="Start"/>. Returns false when the instance was already
    /// replaced or stopped.
    /// </summary>
    public bool Detach(JsonRpcConnection connection, string reason)
    {
        lock (_lock)
        {
            if (_attached is null || _attached.Connection != connection)
            {
                return false;
            }

            _attached = null;
        }

        SetState(PluginState.Restarting, reason);
        return true;
    }

    /// <summary>Stops the supervision loop, which stops the current instance gracefully, and waits for it.</summary>
    private async Task EndSupervisionAsync()
    {
        Task? loop;
        lock (_lock)
        {
            loop = _loop;
            _runCancellation?.Cancel();
            _instanceStop?.Cancel();
        }

        if (loop is not null)
        {
            await loop.ConfigureAwait(false);
        }
    }

    private async Task RunAsync(CancellationToken cancellation)
    {
        var consecutive = 0;
        while (!cancellation.IsCancellationRequested)
        {
            SetState(PluginState.Starting, null);
            string reason;
            var startedAt = DateTimeOffset.UtcNow;
            try
            {
                var instance = await PluginProcess.StartAsync(Spec, _options, _rpcOptions, Stderr, c => _registerRuntimeApi(this, c), _logger, cancellation).ConfigureAwait(false);
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
                lock (_lock)
                {
                    _instance = instance;
                    _instanceStop = stop;
                }

                SetState(PluginState.Running, null);
                var (end, why) = await instance.MonitorAsync(_options, stop.Token).ConfigureAwait(false);
                if (end == InstanceEnd.StopRequested)
                {
                    await instance.StopAsync(_options).ConfigureAwait(false);
                    return;
                }

                if (end == InstanceEnd.Unresponsive)
                {
                    RuntimeLog.Unresponsive(_logger, Spec.Id, (long)_options.PingTimeout.TotalMilliseconds);
                    SetState(PluginState.Unresponsive, why);
                }

                await instance.KillAsync().ConfigureAwait(false);
                reason = why;
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                return;
            }
            catch (PluginStartException ex) when (ex.IsPermanent)
            {
                Fail(ex.Message);
                return;
            }
            catch (PluginStartException ex)
            {
                reason = ex.Message;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A bug or an environment fault must surface as a crash with a reason, never a plugin stuck in Starting.
                reason = $"unexpected {ex.GetType().Name} while running the plugin: {ex.Message}";
            }
            finally
            {
                lock (_lock)
                {
                    _instanceStop = null;
                }
            }

            // A plugin that ran well for a while starts its backoff from the beginning again.
            if (_restarts.RanLongEnough(startedAt))
            {
                consecutive = 0;
            }

            if (_restarts.RecordCrash())
            {
                Fail($"{_restarts.BudgetDescription} (crash budget); last: {reason}");
                return;
            }

            consecutive++;
            var delay = _restarts.Delay(consecutive);
            LastError = reason;
            RuntimeLog.Crashed(_logger, Spec.Id, reason, consecutive, (long)delay.TotalMilliseconds, FormatTail());
            SetState(PluginState.Restarting, reason);

            // Counted after the transition, so whoever sees the new count also sees the plugin (and its bots) not running.
            RestartCount++;
            try
            {
                await Task.Delay(delay, cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>An externally started instance serving the plugin (debug attach).</summary>
    private sealed record AttachedInstance(JsonRpcConnection Connection, InitializeResult Handshake, int? ProcessId);

    private void Fail(string reason)
    {
        LastError = reason;
        RuntimeLog.Failed(_logger, Spec.Id, reason, FormatTail());
        SetState(PluginState.Failed, reason);
    }

    private string FormatTail()
    {
        var tail = Stderr.Tail(10);
        return tail.Count == 0 ? " (none)" : Environment.NewLine + "  " + string.Join(Environment.NewLine + "  ", tail);
    }

    private void SetState(PluginState state, string? reason)
    {
        PluginState previous;
        lock (_lock)
        {
            previous = State;
            if (previous == state)
            {
                return;
            }

            State = state;
            if (state == PluginState.Running)
            {
                _running.TrySetResult();
            }
            else if (previous == PluginState.Running || _running.Task.IsCompleted)
            {
                _running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            if (state is PluginState.Failed or PluginState.Stopped or PluginState.Disabled)
            {
                _running.TrySetException(new InvalidOperationException($"Plugin {Spec.Id} is {state}{(reason is null ? string.Empty : ": " + reason)}"));
                _running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        RuntimeLog.StateChanged(_logger, Spec.Id, state, reason is null ? string.Empty : $" ({reason})");
        StateChanged?.Invoke(this, new PluginStateChangedEventArgs(Spec.Id, previous, state, reason));
    }
}
