using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Plugboard.Box.Backends;
using Plugboard.Box.Contracts;

namespace Plugboard.Box.Processes;

/// <summary>
/// A long-running process in a session (an MCP server, a dev server) whose stdin and stdout a client reaches over the
/// WebSocket relay. The process outlives relay clients: one client may be attached at a time, and a client that
/// reconnects continues where the last one stopped. Stdout is buffered up to <see cref="BufferBytes"/> while nobody
/// reads; beyond that the process blocks on its writes (backpressure) instead of the Box growing. Stderr is kept as
/// a 16 KiB tail for <c>process/get</c>.
/// </summary>
internal sealed class ManagedProcess : IAsyncDisposable
{
    public const int BufferBytes = 1024 * 1024;
    private const int StderrTailBytes = 16 * 1024;
    private readonly ISandboxProcess _process;
    private readonly Pipe _stdout = new(new PipeOptions(pauseWriterThreshold: BufferBytes, resumeWriterThreshold: BufferBytes / 2, useSynchronizationContext: false));
    private readonly Execution.OutputCapture _stderr = new(StderrTailBytes);
    private readonly object _stderrLock = new();
    private readonly ILogger _logger;
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _attached;

    public ManagedProcess(string sessionId, string processId, ISandboxProcess process, ILogger logger)
    {
        SessionId = sessionId;
        ProcessId = processId;
        _process = process;
        _logger = logger;
        AttachToken = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        StartedAt = DateTimeOffset.UtcNow;
        _ = Task.Run(PumpAsync);
    }

    public string SessionId { get; }

    public string ProcessId { get; }

    /// <summary>A bearer token for this process's relay endpoint only.</summary>
    public string AttachToken { get; }

    public DateTimeOffset StartedAt { get; }

    public DateTimeOffset? ExitedAt { get; private set; }

    public int? ExitCode { get; private set; }

    public bool IsRunning => !_exited.Task.IsCompleted;

    public bool IsAttached => Volatile.Read(ref _attached) != 0;

    /// <summary>The process's pid inside the sandbox, when known.</summary>
    public int? SandboxPid => _process.SandboxPid;

    public Task Exited => _exited.Task;

    public BoxProcessInfo ToInfo(string? attachUrl, bool includeToken = false)
    {
        string stderr;
        lock (_stderrLock)
        {
            stderr = _stderr.Render();
        }

        return new BoxProcessInfo(SessionId, ProcessId, IsRunning ? BoxProcessStatus.Running : BoxProcessStatus.Exited, ExitCode, StartedAt, ExitedAt, IsAttached, stderr, attachUrl, includeToken ? AttachToken : null);
    }

    /// <summary>Claims the single attach slot; false when a client is already attached.</summary>
    public bool TryClaimAttach() => Interlocked.CompareExchange(ref _attached, 1, 0) == 0;

    /// <summary>Gives the attach slot back (when the upgrade failed).</summary>
    public void ReleaseAttach() => Volatile.Write(ref _attached, 0);

    /// <summary>Relays until the client leaves or the process exits. Call after <see cref="TryClaimAttach"/>.</summary>
    public async Task RelayAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            var toClient = SendOutputAsync(socket, linked.Token);
            var fromClient = ReceiveInputAsync(socket, linked.Token);
            await Task.WhenAny(toClient, fromClient).ConfigureAwait(false);
            await linked.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(Swallow(toClient), Swallow(fromClient)).ConfigureAwait(false);
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                var reason = IsRunning ? "detached" : $"process exited ({ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"})";
                using var closeTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await Swallow(socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, reason, closeTimeout.Token)).ConfigureAwait(false);
            }
        }
        finally
        {
            Volatile.Write(ref _attached, 0);
        }
    }

    public async Task StopAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        if (!IsRunning)
        {
            return;
        }

        try
        {
            await _process.StopAsync(grace, cancellationToken).ConfigureAwait(false);
            await _exited.Task.WaitAsync(grace + TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or IOException or InvalidOperationException or OperationCanceledException)
        {
            Log.ProcessStopFailed(_logger, SessionId, ProcessId, ex.Message);
            await _process.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync().ConfigureAwait(false);
        _stdout.Reader.CancelPendingRead();
    }

    private async Task PumpAsync()
    {
        try
        {
            await _process.PumpOutputAsync(
                async data => await _stdout.Writer.WriteAsync(data).ConfigureAwait(false),
                data =>
                {
                    lock (_stderrLock)
                    {
                        _stderr.Append(data.Span);
                    }

                    return ValueTask.CompletedTask;
                },
                CancellationToken.None).ConfigureAwait(false);
            ExitCode = await _process.GetExitCodeAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.ProcessPumpFailed(_logger, SessionId, ProcessId, ex.Message);
        }
        finally
        {
            ExitedAt = DateTimeOffset.UtcNow;
            await _stdout.Writer.CompleteAsync().ConfigureAwait(false);
            _exited.TrySetResult();
            await _process.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task SendOutputAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var result = await _stdout.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            try
            {
                foreach (var segment in buffer)
                {
                    for (var offset = 0; offset < segment.Length; offset += 64 * 1024)
                    {
                        var chunk = segment.Slice(offset, Math.Min(64 * 1024, segment.Length - offset));
                        await socket.SendAsync(chunk, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken).ConfigureAwait(false);
                    }
                }

                _stdout.Reader.AdvanceTo(buffer.End);
            }
            catch
            {
                _stdout.Reader.AdvanceTo(buffer.Start);
                throw;
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                return;
            }
        }
    }

    private async Task ReceiveInputAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        while (!cancellationToken.IsCancellationRequested)
        {
            var received = await socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            if (received.Count > 0 && IsRunning)
            {
                await _process.WriteStdinAsync(buffer.AsMemory(0, received.Count), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task Swallow(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The client or the process went away; the relay ends either way.
        }
    }
}
