using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Plugboard.Plugins.WeComBot.LongConnection;

/// <summary>
/// One bot's WeCom long connection: subscribe as the first frame and wait for its ack, ping on an interval, treat two
/// missed ping acks as a dead connection, reconnect with exponential backoff and an attempt bound (subscribe
/// rejections counted separately), stop for good on <c>disconnected_event</c>. Frames sent with
/// <see cref="SendAsync"/> go one at a time per req_id, each waiting for its ack (or the ack timeout); conflicts
/// (errcode 6000) are retried; the per-req_id state is removed as soon as nothing waits on it.
/// </summary>
internal sealed class WeComLongConnection : IAsyncDisposable
{
    private readonly WeComLongConnectionOptions _options;
    private readonly Func<JsonObject, ValueTask> _onCallback;
    private readonly Action<WeComConnectionStatus>? _onStatus;
    private readonly string _botTag;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Lock _slotsLock = new();
    private readonly Dictionary<string, RequestSlot> _slots = new(StringComparer.Ordinal);
    private readonly Lock _statusLock = new();
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WeComConnectionStatus _status = new(WeComConnectionState.Idle, WeComStopCause.None, null, 0, 0, 0);
    private volatile ClientWebSocket? _socket;
    private volatile Connection? _current;
    private Task? _run;

    /// <summary>Creates the connection (not started).</summary>
    /// <param name="options">Settings.</param>
    /// <param name="onCallback">Receives every server command frame (<c>aibot_msg_callback</c>, <c>aibot_event_callback</c>); runs off the receive loop.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="botTag">The Plugboard bot id, for log messages.</param>
    /// <param name="onStatus">Called on every state change.</param>
    public WeComLongConnection(WeComLongConnectionOptions options, Func<JsonObject, ValueTask> onCallback, ILogger logger, string? botTag = null, Action<WeComConnectionStatus>? onStatus = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(options.BotId);
        ArgumentException.ThrowIfNullOrEmpty(options.Secret);
        _options = options;
        _onCallback = onCallback;
        _logger = logger;
        _botTag = botTag ?? options.BotId;
        _onStatus = onStatus;
    }

    /// <summary>The current state.</summary>
    public WeComConnectionStatus Status
    {
        get
        {
            lock (_statusLock)
            {
                return _status;
            }
        }
    }

    /// <summary>How many req_ids have frames waiting or in flight (0 when idle: state is removed when done).</summary>
    public int TrackedRequestIds
    {
        get
        {
            lock (_slotsLock)
            {
                return _slots.Count;
            }
        }
    }

    /// <summary>Starts connecting in the background.</summary>
    public void Start()
    {
        if (_run is not null)
        {
            throw new InvalidOperationException("The long connection is already started.");
        }

        _run = Task.Run(() => RunAsync(_stopping.Token));
    }

    /// <summary>Completes when the connection is subscribed; throws when it stops for good first.</summary>
    public Task WaitUntilConnectedAsync(CancellationToken cancellationToken = default)
    {
        lock (_statusLock)
        {
            return _connected.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Whether a frame of this req_id waits for its ack.</summary>
    public bool HasPendingAck(string reqId)
    {
        lock (_slotsLock)
        {
            return _slots.TryGetValue(reqId, out var slot) && slot.Pending is not null;
        }
    }

    /// <summary>
    /// Sends a command and waits for its ack. Frames with the same req_id are sent one at a time, in call order,
    /// each after the previous one's ack or ack timeout. errcode 6000 is retried with backoff.
    /// </summary>
    /// <returns>The ack frame (with <c>body</c> for uploads).</returns>
    /// <exception cref="WeComPlatformException">A non-zero errcode.</exception>
    /// <exception cref="WeComAckTimeoutException">No ack within the ack timeout.</exception>
    /// <exception cref="WeComNotConnectedException">Not connected, or the connection dropped before the ack.</exception>
    public async Task<JsonObject> SendAsync(string cmd, string reqId, JsonObject? body, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(reqId);
        var bytes = WeComFrames.Serialize(WeComFrames.Command(cmd, reqId, body));
        var slot = AcquireSlot(reqId);
        try
        {
            await slot.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                for (var attempt = 0; ; attempt++)
                {
                    var ack = await SendOneAsync(cmd, reqId, bytes, slot, cancellationToken).ConfigureAwait(false);
                    var errCode = WeComFrames.ErrCode(ack);
                    if (errCode == WeComErrorCodes.Ok)
                    {
                        return ack;
                    }

                    if (errCode == WeComErrorCodes.CommandConflict && attempt < _options.ConflictRetries)
                    {
                        var delay = _options.ConflictDelay(attempt + 1);
                        WeComLog.CommandConflict(_logger, _botTag, cmd, reqId, attempt + 1, delay.TotalMilliseconds);
                        await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                        continue;
                    }

                    throw new WeComPlatformException(cmd, reqId, errCode, WeComFrames.ErrMsg(ack));
                }
            }
            finally
            {
                slot.Gate.Release();
            }
        }
        finally
        {
            ReleaseSlot(reqId, slot);
        }
    }

    /// <summary>Stops the connection (no reconnect) and waits for it to close.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }

        if (_socket is { } socket)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bot stopped", timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
            {
                socket.Abort();
            }
        }

        if (_run is { } run)
        {
            await run.ConfigureAwait(false);
        }

        SetStatus(s => s with { State = WeComConnectionState.Stopped, Cause = s.Cause == WeComStopCause.None ? WeComStopCause.Stopped : s.Cause, Reason = s.Reason ?? "stopped by the adapter" });
        _stopping.Dispose();
        _sendLock.Dispose();
    }

    private async Task<JsonObject> SendOneAsync(string cmd, string reqId, byte[] bytes, RequestSlot slot, CancellationToken cancellationToken)
    {
        var pending = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        var connection = _current ?? throw new WeComNotConnectedException($"The WeCom long connection of bot {_botTag} is {Status.State.ToString().ToLowerInvariant()}; {cmd} was not sent.");
        lock (_slotsLock)
        {
            slot.Pending = pending;
            slot.Connection = connection;
        }

        try
        {
            await SendFrameAsync(connection, bytes, cancellationToken).ConfigureAwait(false);
            return await pending.Task.WaitAsync(_options.AckTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            WeComLog.AckTimeout(_logger, _botTag, cmd, reqId, _options.AckTimeout.TotalMilliseconds);
            throw new WeComAckTimeoutException(cmd, reqId, _options.AckTimeout);
        }
        finally
        {
            lock (_slotsLock)
            {
                slot.Pending = null;
                slot.Connection = null;
            }
        }
    }

    private RequestSlot AcquireSlot(string reqId)
    {
        lock (_slotsLock)
        {
            if (!_slots.TryGetValue(reqId, out var slot))
            {
                slot = new RequestSlot();
                _slots[reqId] = slot;
            }

            slot.Users++;
            return slot;
        }
    }

    private void ReleaseSlot(string reqId, RequestSlot slot)
    {
        lock (_slotsLock)
        {
            if (--slot.Users == 0)
            {
                _slots.Remove(reqId);
                slot.Gate.Dispose();
            }
        }
    }

    private async Task SendFrameAsync(Connection connection, byte[] bytes, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (connection.Socket.State != WebSocketState.Open)
            {
                throw new WeComNotConnectedException($"The WeCom long connection of bot {_botTag} is closed; reconnecting.");
            }

            await connection.Socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);
        }
        catch (WebSocketException ex)
        {
            throw new WeComNotConnectedException($"The WeCom long connection of bot {_botTag} failed while sending: {ex.Message}");
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task RunAsync(CancellationToken stop)
    {
        int reconnects = 0, authFailures = 0;
        while (!stop.IsCancellationRequested)
        {
            SetStatus(s => s with { State = WeComConnectionState.Connecting });
            Outcome outcome;
            try
            {
                outcome = await ConnectOnceAsync(stop).ConfigureAwait(false);
            }
            catch (Exception ex) when (!stop.IsCancellationRequested)
            {
                // Whatever went wrong with this connection, the next attempt follows the reconnect rules.
                WeComLog.ReceiveLoopFailed(_logger, _botTag, ex);
                outcome = new Outcome(OutcomeKind.Lost, "the connection failed: " + ex.Message, false);
            }

            if (stop.IsCancellationRequested)
            {
                break;
            }

            if (outcome.Subscribed)
            {
                reconnects = 0;
                authFailures = 0;
            }

            TimeSpan delay;
            if (outcome.Kind == OutcomeKind.TakenOver)
            {
                StopForGood(WeComStopCause.TakenOver, "WeCom sent disconnected_event: another connection subscribed with this bot id and took over. Not reconnecting (the two would keep evicting each other); stop the other client, then restart this bot.");
                return;
            }
            else if (outcome.Kind == OutcomeKind.AuthFailed)
            {
                if (_options.MaxAuthFailures >= 0 && authFailures >= _options.MaxAuthFailures)
                {
                    StopForGood(WeComStopCause.AuthFailuresExhausted, $"WeCom rejected the subscribe {authFailures + 1} times in a row (last: {outcome.Detail}). Check the bot id and secret in the bot's configuration, then restart the bot.");
                    return;
                }

                authFailures++;
                delay = _options.ReconnectDelay(authFailures);
                WeComLog.SubscribeRejected(_logger, _botTag, outcome.Detail, authFailures, _options.MaxAuthFailures, delay.TotalMilliseconds);
                SetStatus(s => s with { State = WeComConnectionState.Reconnecting, Reason = "subscribe rejected: " + outcome.Detail, AuthFailures = authFailures, ReconnectAttempts = reconnects });
            }
            else
            {
                if (_options.MaxReconnectAttempts >= 0 && reconnects >= _options.MaxReconnectAttempts)
                {
                    StopForGood(WeComStopCause.ReconnectsExhausted, $"Gave up after {reconnects} reconnect attempts (last: {outcome.Detail}). Check that {_options.Url} is reachable, then restart the bot.");
                    return;
                }

                reconnects++;
                delay = _options.ReconnectDelay(reconnects);
                WeComLog.Reconnecting(_logger, _botTag, outcome.Detail, reconnects, _options.MaxReconnectAttempts, delay.TotalMilliseconds);
                SetStatus(s => s with { State = WeComConnectionState.Reconnecting, Reason = outcome.Detail, AuthFailures = authFailures, ReconnectAttempts = reconnects });
            }

            try
            {
                await Task.Delay(delay, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private void StopForGood(WeComStopCause cause, string reason)
    {
        WeComLog.ConnectionStopped(_logger, _botTag, cause.ToString(), reason);
        SetStatus(s => s with { State = WeComConnectionState.Stopped, Cause = cause, Reason = reason });
    }

    private async Task<Outcome> ConnectOnceAsync(CancellationToken stop)
    {
        using var socket = new ClientWebSocket();
        using var connectionCts = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var connection = new Connection(socket);
        try
        {
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop))
            {
                timeout.CancelAfter(_options.SubscribeTimeout);
                await socket.ConnectAsync(_options.Url, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or HttpRequestException)
        {
            return new Outcome(OutcomeKind.Lost, $"could not connect to {_options.Url}: {ex.Message}", false);
        }

        _socket = socket;
        var receive = Task.Run(() => ReceiveLoopAsync(connection, connectionCts.Token));
        try
        {
            // The subscribe is the first frame; nothing else is sent before its ack.
            var subscribeId = WeComFrames.NewReqId(WeComCommands.Subscribe);
            connection.SubscribeReqId = subscribeId;
            var body = new JsonObject { ["bot_id"] = _options.BotId, ["secret"] = _options.Secret };
            await SendFrameAsync(connection, WeComFrames.Serialize(WeComFrames.Command(WeComCommands.Subscribe, subscribeId, body)), stop).ConfigureAwait(false);
            var first = await Task.WhenAny(connection.SubscribeAck.Task, receive, Task.Delay(_options.SubscribeTimeout, stop)).ConfigureAwait(false);
            if (first != connection.SubscribeAck.Task)
            {
                var why = first == receive ? connection.CloseReason ?? "the server closed the connection" : $"no subscribe ack within {_options.SubscribeTimeout.TotalSeconds:0.###} s";
                return new Outcome(connection.TakenOver ? OutcomeKind.TakenOver : OutcomeKind.Lost, why, false);
            }

            var ack = await connection.SubscribeAck.Task.ConfigureAwait(false);
            if (WeComFrames.ErrCode(ack) != WeComErrorCodes.Ok)
            {
                return new Outcome(OutcomeKind.AuthFailed, $"errcode {WeComFrames.ErrCode(ack)} {WeComFrames.ErrMsg(ack)}", false);
            }

            _current = connection;
            WeComLog.Subscribed(_logger, _botTag, _options.Url.ToString());
            SetStatus(s => s with { State = WeComConnectionState.Connected, Reason = null, Subscriptions = s.Subscriptions + 1, AuthFailures = 0, ReconnectAttempts = 0 });
            var heartbeat = HeartbeatAsync(connection, connectionCts.Token);
            var ended = await Task.WhenAny(receive, heartbeat).ConfigureAwait(false);
            var reason = ended == heartbeat ? await heartbeat.ConfigureAwait(false) : connection.CloseReason ?? "the connection closed";
            return new Outcome(connection.TakenOver ? OutcomeKind.TakenOver : OutcomeKind.Lost, reason, true);
        }
        catch (WeComNotConnectedException ex)
        {
            return new Outcome(OutcomeKind.Lost, ex.Message, false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return new Outcome(OutcomeKind.Lost, "stopped", false);
        }
        finally
        {
            _current = null;
            _socket = null;
            await connectionCts.CancelAsync().ConfigureAwait(false);
            socket.Abort();
            try
            {
                await receive.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                WeComLog.ReceiveLoopFailed(_logger, _botTag, ex);
            }

            FailPending(connection, $"The WeCom long connection of bot {_botTag} dropped before the ack ({connection.CloseReason ?? "closed"}).");
        }
    }

    private async Task<string> HeartbeatAsync(Connection connection, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(_options.HeartbeatInterval, cancellationToken).ConfigureAwait(false);
                if (Volatile.Read(ref connection.MissedPings) >= _options.MaxMissedHeartbeats)
                {
                    var reason = $"{connection.MissedPings} pings in a row were not acked; the connection is treated as dead";
                    WeComLog.HeartbeatDead(_logger, _botTag, connection.MissedPings);
                    connection.Socket.Abort();
                    return reason;
                }

                Interlocked.Increment(ref connection.MissedPings);
                var reqId = WeComFrames.NewReqId(WeComCommands.Ping);
                connection.PingIds[reqId] = 0;
                await SendFrameAsync(connection, WeComFrames.Serialize(WeComFrames.Command(WeComCommands.Ping, reqId, null)), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            return "stopped";
        }
        catch (WeComNotConnectedException ex)
        {
            return ex.Message;
        }
    }

    private async Task ReceiveLoopAsync(Connection connection, CancellationToken cancellationToken)
    {
        var socket = connection.Socket;
        var buffer = new ArrayBufferWriter<byte>(8192);
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                buffer.ResetWrittenCount();
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.GetMemory(8192), cancellationToken).ConfigureAwait(false);
                    buffer.Advance(result.Count);
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    connection.CloseReason ??= $"the server closed the connection ({socket.CloseStatus} {socket.CloseStatusDescription})".TrimEnd();
                    return;
                }

                // Text frames normally; JSON in binary frames is accepted too.
                HandleFrame(connection, buffer.WrittenSpan);
                if (connection.TakenOver)
                {
                    connection.CloseReason ??= "disconnected_event: another connection took over this bot";
                    socket.Abort();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (WebSocketException ex)
        {
            connection.CloseReason ??= "the connection failed: " + ex.Message;
        }
    }

    private void HandleFrame(Connection connection, ReadOnlySpan<byte> data)
    {
        JsonObject? frame;
        try
        {
            frame = JsonNode.Parse(StripControlCharacters(data)) as JsonObject;
        }
        catch (JsonException ex)
        {
            WeComLog.BadFrame(_logger, _botTag, ex.Message);
            return;
        }

        if (frame is null)
        {
            WeComLog.BadFrame(_logger, _botTag, "not a JSON object");
            return;
        }

        var reqId = WeComFrames.ReqId(frame);
        var cmd = WeComFrames.Cmd(frame);
        if (cmd is not null)
        {
            if (cmd == WeComCommands.EventCallback && WeComFrames.Text(frame, "body", "event", "eventtype") == "disconnected_event")
            {
                connection.TakenOver = true;
            }

            _ = DispatchAsync(frame);
            return;
        }

        if (reqId == connection.SubscribeReqId)
        {
            connection.SubscribeAck.TrySetResult(frame);
        }
        else if (connection.PingIds.TryRemove(reqId, out _))
        {
            if (WeComFrames.ErrCode(frame) == WeComErrorCodes.Ok)
            {
                Interlocked.Exchange(ref connection.MissedPings, 0);
            }
        }
        else
        {
            TaskCompletionSource<JsonObject>? pending = null;
            lock (_slotsLock)
            {
                if (_slots.TryGetValue(reqId, out var slot) && slot.Connection == connection)
                {
                    pending = slot.Pending;
                }
            }

            if (pending is null || !pending.TrySetResult(frame))
            {
                WeComLog.UnmatchedAck(_logger, _botTag, reqId, WeComFrames.ErrCode(frame));
            }
        }
    }

    private async Task DispatchAsync(JsonObject frame)
    {
        try
        {
            await Task.Yield();
            await _onCallback(frame).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            WeComLog.CallbackFailed(_logger, _botTag, WeComFrames.Cmd(frame) ?? "?", WeComFrames.ReqId(frame), ex);
        }
    }

    private static byte[] StripControlCharacters(ReadOnlySpan<byte> data)
    {
        // WeCom's SDK strips raw control characters (other than tab and newline) before parsing; so do we.
        var copy = new byte[data.Length];
        var length = 0;
        foreach (var b in data)
        {
            if (b >= 0x20 || b is (byte)'\t' or (byte)'\n' or (byte)'\r')
            {
                copy[length++] = b;
            }
        }

        return length == copy.Length ? copy : copy[..length];
    }

    private void FailPending(Connection connection, string message)
    {
        List<TaskCompletionSource<JsonObject>> failed = [];
        lock (_slotsLock)
        {
            foreach (var slot in _slots.Values)
            {
                if (slot.Connection == connection && slot.Pending is { } pending)
                {
                    failed.Add(pending);
                }
            }
        }

        foreach (var pending in failed)
        {
            pending.TrySetException(new WeComNotConnectedException(message));
        }
    }

    private void SetStatus(Func<WeComConnectionStatus, WeComConnectionStatus> update)
    {
        WeComConnectionStatus status, previous;
        TaskCompletionSource? complete = null;
        lock (_statusLock)
        {
            previous = _status;
            status = _status = update(_status);
            if (status.State == WeComConnectionState.Connected)
            {
                complete = _connected;
            }
            else
            {
                if (previous.State == WeComConnectionState.Connected && _connected.Task.IsCompleted)
                {
                    _connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                if (status.State == WeComConnectionState.Stopped)
                {
                    _connected.TrySetException(new WeComNotConnectedException($"The WeCom long connection of bot {_botTag} stopped: {status.Reason}"));
                }
            }
        }

        complete?.TrySetResult();
        if (status != previous)
        {
            _onStatus?.Invoke(status);
        }
    }

    private enum OutcomeKind
    {
        Lost,
        AuthFailed,
        TakenOver,
    }

    private sealed record Outcome(OutcomeKind Kind, string Detail, bool Subscribed);

    /// <summary>One socket's state.</summary>
    private sealed class Connection(ClientWebSocket socket)
    {
        public int MissedPings;

        public ClientWebSocket Socket { get; } = socket;

        public string? SubscribeReqId { get; set; }

        public TaskCompletionSource<JsonObject> SubscribeAck { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public System.Collections.Concurrent.ConcurrentDictionary<string, byte> PingIds { get; } = new(StringComparer.Ordinal);

        public volatile bool TakenOver;

        public string? CloseReason { get; set; }
    }

    /// <summary>The per-req_id queue: a gate for one frame in flight, and the frame waiting for its ack.</summary>
    private sealed class RequestSlot
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public int Users { get; set; }

        public TaskCompletionSource<JsonObject>? Pending { get; set; }

        public Connection? Connection { get; set; }
    }
}
