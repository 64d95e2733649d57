using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Plugboard.Plugins.QQBot.Api;
using Plugboard.Plugins.QQBot.Auth;
using Plugboard.Plugins.QQBot.Configuration;

namespace Plugboard.Plugins.QQBot.Gateway;

/// <summary>
/// One bot's gateway session: discover the URL, connect, Hello → Identify (or Resume) → READY (or RESUMED),
/// heartbeats at the server's interval with the last sequence, missed ACKs treated as a dead connection, op 7 and
/// resumable closes answered with Resume, op 9 with a fresh Identify after a pause, the close-code table applied,
/// reconnects with exponential backoff, jitter and a ceiling, the session-start limit respected, the session persisted
/// for the next run, and every event delivered once and in order to the dispatch callback.
/// </summary>
internal sealed class GatewayClient : IAsyncDisposable
{
    private const int MaxFrameBytes = 16 * 1024 * 1024;
    private const int SeenCapacity = 4096;
    private const int PersistedIds = 256;

    /// <summary>A fresh Identify rejected this many times in a row (op 9, no READY) stops the gateway.</summary>
    private const int MaxIdentifyRejections = 3;

    /// <summary>How long to wait for the close frame that usually follows op 9 (its code may be fatal).</summary>
    private static readonly TimeSpan InvalidSessionCloseWait = TimeSpan.FromSeconds(1);

    /// <summary>Close 4004 this many times in a row stops the gateway.</summary>
    private const int MaxAuthenticationFailures = 3;

    private readonly string _botId;
    private readonly QQBotConfig _config;
    private readonly QQOpenApiClient _api;
    private readonly AccessTokenProvider _tokens;
    private readonly ISessionStore _store;
    private readonly IWebProxy? _proxy;
    private readonly Func<GatewayDispatch, CancellationToken, ValueTask> _onDispatch;
    private readonly Func<GatewayFatalException, ValueTask>? _onFailed;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<GatewayDispatch> _queue = Channel.CreateUnbounded<GatewayDispatch>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abortDelivery = new();
    private readonly TaskCompletionSource _deliveryEnabled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly SemaphoreSlim _saveLock = new(1, 1);
    private readonly Lock _gate = new();
    private readonly LinkedList<string> _seenOrder = new();
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Queue<string> _deliveredIds = new();
    private readonly SortedSet<long> _inFlight = [];
    private readonly Dictionary<string, Task> _lanes = new(StringComparer.Ordinal);
    private readonly Queue<DateTimeOffset> _identifyTimes = new();
    private Task? _run;
    private Task? _deliver;
    private GatewayState _state = GatewayState.Stopped;
    private string? _sessionId;
    private long _receivedSeq;
    private long _deliveredSeq;
    private long _scheduledSeq;
    private long _savedSeq = -1;
    private string? _botUserId;
    private string? _botUsername;
    private int? _lastCloseCode;
    private string? _lastError;
    private int _identifies;
    private int _resumes;
    private int _connections;
    private int _duplicates;
    private TimeSpan? _heartbeatInterval;
    private string? _discoveredUrl;

    public GatewayClient(
        string botId,
        QQBotConfig config,
        QQOpenApiClient api,
        AccessTokenProvider tokens,
        ISessionStore store,
        IWebProxy? proxy,
        Func<GatewayDispatch, CancellationToken, ValueTask> onDispatch,
        Func<GatewayFatalException, ValueTask>? onFailed,
        ILogger logger,
        TimeProvider? time = null)
    {
        _botId = botId;
        _config = config;
        _api = api;
        _tokens = tokens;
        _store = store;
        _proxy = proxy;
        _onDispatch = onDispatch;
        _onFailed = onFailed;
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Completes on the first READY or RESUMED; faults with <see cref="GatewayFatalException"/> if the gateway stops for good first.</summary>
    public Task Ready => _ready.Task;

    /// <summary>The current state and counters.</summary>
    public GatewayStatus Status
    {
        get
        {
            lock (_gate)
            {
                return new GatewayStatus(_state, _sessionId, _receivedSeq, _botUserId, _botUsername, _lastCloseCode, _lastError, _identifies, _resumes, _connections, _duplicates, _heartbeatInterval);
            }
        }
    }

    /// <summary>How long <see cref="StopAsync"/> lets the event in delivery finish before cancelling it.</summary>
    public static readonly TimeSpan DeliveryGrace = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Starts delivering events to the dispatch callback. Until then they queue up (in order): the host calls this
    /// once the bot is registered, so nothing is emitted for a bot the host does not know yet.
    /// </summary>
    public void EnableDelivery() => _deliveryEnabled.TrySetResult();

    /// <summary>Starts connecting in the background.</summary>
    public void Start()
    {
        if (_run is not null)
        {
            throw new InvalidOperationException("The gateway has already been started.");
        }

        _deliver = Task.Run(DeliverAsync);
        _run = Task.Run(RunAsync);
    }

    /// <summary>Closes the connection, waits for the event in delivery to finish, and saves the session for the next run.</summary>
    public async Task StopAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _queue.Writer.TryComplete();
        if (_run is not null)
        {
            await Task.WhenAny(_run, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        }

        // Events being delivered may finish (so their sequences count as delivered); queued ones wait for a resume.
        if (_deliver is not null)
        {
            await Task.WhenAny(_deliver, Task.Delay(TimeSpan.FromSeconds(1))).ConfigureAwait(false);
        }

        Task lanes;
        lock (_gate)
        {
            lanes = Task.WhenAll(_lanes.Values);
        }

        if (await Task.WhenAny(lanes, Task.Delay(DeliveryGrace)).ConfigureAwait(false) != lanes)
        {
            await _abortDelivery.CancelAsync().ConfigureAwait(false);
            await Task.WhenAny(lanes, Task.Delay(TimeSpan.FromSeconds(1))).ConfigureAwait(false);
        }

        await _abortDelivery.CancelAsync().ConfigureAwait(false);

        await SaveSessionAsync(force: true).ConfigureAwait(false);
        lock (_gate)
        {
            if (_state != GatewayState.Failed)
            {
                _state = GatewayState.Stopped;
            }
        }

        _ready.TrySetException(new GatewayFatalException($"The gateway of app {_config.AppId} was stopped before it became ready.", null));
        _ = _ready.Task.Exception;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
        _abortDelivery.Dispose();
        _sendLock.Dispose();
        _saveLock.Dispose();
    }

    private async Task RunAsync()
    {
        var cancellationToken = _stopping.Token;
        await LoadSessionAsync(cancellationToken).ConfigureAwait(false);
        var failures = 0;
        var identifyRejections = 0;
        var authenticationFailures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            Outcome outcome;
            try
            {
                SetState(GatewayState.Connecting);
                outcome = await RunConnectionAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (QQApiException ex) when (ex.Kind == QQErrorKind.Authentication)
            {
                outcome = Outcome.Stop($"The QQ platform rejected the credentials of app {_config.AppId}: {ex.Message}", null);
            }
            catch (Exception ex) when (ex is QQApiException or WebSocketException or IOException or HttpRequestException or OperationCanceledException or JsonException)
            {
                outcome = Outcome.Retry(CloseAction.Resume, $"connection failed: {ex.Message}", null);
            }

            if (cancellationToken.IsCancellationRequested)
            {
                break;
            }

            if (outcome.Healthy)
            {
                failures = 0;
                identifyRejections = 0;
                authenticationFailures = 0;
            }

            identifyRejections = outcome.IdentifyRejected ? identifyRejections + 1 : identifyRejections;
            authenticationFailures = outcome.Action == CloseAction.RefreshToken ? authenticationFailures + 1 : 0;
            if (identifyRejections >= MaxIdentifyRejections)
            {
                outcome = Outcome.Stop(
                    $"The QQ gateway rejected Identify for app {_config.AppId} {identifyRejections} times in a row (Invalid Session{(outcome.CloseCode is { } c ? string.Create(CultureInfo.InvariantCulture, $", then close {c}") : string.Empty)}). This usually means the bot may not subscribe to its intents {QQIntentNames.Describe(_config.Intents)}: apply for them in the QQ Bot console or remove them from the bot's intents configuration, then restart the bot.",
                    outcome.CloseCode);
            }
            else if (authenticationFailures >= MaxAuthenticationFailures)
            {
                outcome = Outcome.Stop($"The QQ gateway rejected the access token of app {_config.AppId} {authenticationFailures} times in a row (close 4004, authentication failed). Check the bot's appId and clientSecret, then restart the bot.", 4004);
            }

            if (outcome.Action == CloseAction.Stop)
            {
                await FailAsync(outcome.Reason, outcome.CloseCode).ConfigureAwait(false);
                return;
            }

            failures++;
            if (_config.MaxReconnectAttempts > 0 && failures > _config.MaxReconnectAttempts)
            {
                await FailAsync($"The gateway of app {_config.AppId} gave up after {_config.MaxReconnectAttempts} consecutive failed reconnects (maxReconnectAttempts); the last one: {outcome.Reason}. Check the network and the platform status, then restart the bot.", outcome.CloseCode).ConfigureAwait(false);
                return;
            }

            if (outcome.Action == CloseAction.Identify)
            {
                await ClearSessionAsync(cancellationToken).ConfigureAwait(false);
            }
            else if (outcome.Action == CloseAction.RefreshToken)
            {
                try
                {
                    await _tokens.RefreshAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (QQApiException ex) when (ex.Kind == QQErrorKind.Authentication)
                {
                    await FailAsync($"The QQ platform rejected the credentials of app {_config.AppId}: {ex.Message}", outcome.CloseCode).ConfigureAwait(false);
                    return;
                }
                catch (QQApiException)
                {
                    // A transient failure; the next connection attempt fetches a token again.
                }
            }

            var delay = Backoff(failures);
            if (outcome.MinimumDelay > delay)
            {
                delay = outcome.MinimumDelay;
            }

            SetState(GatewayState.Reconnecting);
            Log.Reconnecting(_logger, _config.AppId, outcome.Reason, outcome.Action.ToString(), delay, failures);
            try
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task<Outcome> RunConnectionAsync(CancellationToken cancellationToken)
    {
        var canResume = CanResume();
        GatewayInfo? info = null;
        string url;
        if (_config.GatewayUrl is { } fixedUrl)
        {
            url = fixedUrl;
        }
        else if (canResume && _discoveredUrl is { } known)
        {
            url = known;
        }
        else
        {
            // Identify needs the session-start limit; GET /gateway/bot gives it with the URL.
            info = await _api.GetGatewayBotAsync(cancellationToken).ConfigureAwait(false);
            url = _discoveredUrl = info.Url;
        }

        var token = await _tokens.GetAsync(cancellationToken).ConfigureAwait(false);
        using var socket = new ClientWebSocket();
        socket.Options.Proxy = _proxy;
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            connectTimeout.CancelAfter(_config.RequestTimeout);
            await socket.ConnectAsync(new Uri(url), connectTimeout.Token).ConfigureAwait(false);
        }

        Interlocked.Increment(ref _connections);
        Log.Connected(_logger, _config.AppId, url);
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var buffer = new ArrayBufferWriter<byte>(8192);
        var hello = await ReceiveAsync(socket, buffer, _config.RequestTimeout, connection.Token).ConfigureAwait(false);
        if (hello is null)
        {
            return Closed(socket, healthy: false, identified: false, "the gateway closed before Hello");
        }

        if (hello.Op != GatewayOpcode.Hello || QQJson.Long(hello.D, "heartbeat_interval") is not { } intervalMs || intervalMs <= 0)
        {
            return Outcome.Retry(CloseAction.Resume, $"the gateway's first frame was op {hello.Op}, not Hello with a heartbeat_interval", null);
        }

        var interval = TimeSpan.FromMilliseconds(intervalMs);
        lock (_gate)
        {
            _heartbeatInterval = interval;
        }

        var identified = false;
        if (canResume)
        {
            string sessionId;
            long seq;
            lock (_gate)
            {
                sessionId = _sessionId!;
                seq = _receivedSeq;
            }

            SetState(GatewayState.Resuming);
            Interlocked.Increment(ref _resumes);
            Log.Resuming(_logger, _config.AppId, sessionId, seq);
            await SendAsync(socket, w =>
            {
                w.WriteNumber("op", GatewayOpcode.Resume);
                w.WriteStartObject("d");
                w.WriteString("token", "QQBot " + token);
                w.WriteString("session_id", sessionId);
                w.WriteNumber("seq", seq);
                w.WriteEndObject();
            }, connection.Token).ConfigureAwait(false);
        }
        else
        {
            await WaitForSessionStartAsync(info, connection.Token).ConfigureAwait(false);
            SetState(GatewayState.Identifying);
            Interlocked.Increment(ref _identifies);
            identified = true;
            Log.Identifying(_logger, _config.AppId, QQIntentNames.Describe(_config.Intents), _config.Shard.Id, _config.Shard.Count);
            await SendAsync(socket, w =>
            {
                w.WriteNumber("op", GatewayOpcode.Identify);
                w.WriteStartObject("d");
                w.WriteString("token", "QQBot " + token);
                w.WriteNumber("intents", (int)_config.Intents);
                w.WriteStartArray("shard");
                w.WriteNumberValue(_config.Shard.Id);
                w.WriteNumberValue(_config.Shard.Count);
                w.WriteEndArray();
                w.WriteStartObject("properties");
                w.WriteString("$os", Environment.OSVersion.Platform.ToString().ToLowerInvariant());
                w.WriteString("$browser", "plugboard");
                w.WriteString("$device", "plugboard");
                w.WriteEndObject();
                w.WriteEndObject();
            }, connection.Token).ConfigureAwait(false);
        }

        var heartbeat = new HeartbeatState();
        var heartbeatTask = HeartbeatLoopAsync(socket, interval, heartbeat, connection.Token);
        var healthy = false;
        try
        {
            while (true)
            {
                GatewayFrame? frame;
                try
                {
                    frame = await ReceiveAsync(socket, buffer, null, connection.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    var reason = heartbeat.Zombie
                        ? string.Create(CultureInfo.InvariantCulture, $"no heartbeat ACK within {interval.TotalMilliseconds:0} ms")
                        : $"connection lost: {ex.Message}";
                    return Outcome.Retry(CloseAction.Resume, reason, null, healthy);
                }

                if (frame is null)
                {
                    return Closed(socket, healthy, identified, null);
                }

                switch (frame.Op)
                {
                    case GatewayOpcode.Dispatch:
                        if (await OnDispatchFrameAsync(frame).ConfigureAwait(false))
                        {
                            healthy = true;
                            identified = false;
                        }

                        break;
                    case GatewayOpcode.HeartbeatAck:
                        heartbeat.Acked = true;
                        _ = SaveSessionAsync(force: false);
                        break;
                    case GatewayOpcode.Heartbeat:
                        await SendHeartbeatAsync(socket, connection.Token).ConfigureAwait(false);
                        break;
                    case GatewayOpcode.Reconnect:
                        Log.ReconnectRequested(_logger, _config.AppId);
                        await CloseQuietlyAsync(socket).ConfigureAwait(false);
                        return Outcome.Retry(CloseAction.Resume, "the gateway asked to reconnect (op 7)", null, healthy);
                    case GatewayOpcode.InvalidSession:
                        return await OnInvalidSessionAsync(socket, buffer, frame, identified, healthy, connection.Token).ConfigureAwait(false);
                    case GatewayOpcode.Hello:
                        break;
                    default:
                        Log.UnknownOpcode(_logger, _config.AppId, frame.Op);
                        break;
                }
            }
        }
        finally
        {
            await connection.CancelAsync().ConfigureAwait(false);
            try
            {
                await heartbeatTask.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            // Answers the server's close frame, or closes our side when stopping or giving up on the connection.
            await CloseQuietlyAsync(socket).ConfigureAwait(false);
        }
    }

    /// <summary>Handles op 0; returns true on READY or RESUMED.</summary>
    private async Task<bool> OnDispatchFrameAsync(GatewayFrame frame)
    {
        var seq = frame.S ?? 0;
        lock (_gate)
        {
            if (seq > _receivedSeq)
            {
                _receivedSeq = seq;
            }
        }

        switch (frame.T)
        {
            case "READY":
            {
                var user = QQJson.Object(frame.D, "user");
                lock (_gate)
                {
                    _sessionId = QQJson.String(frame.D, "session_id");
                    _receivedSeq = seq;
                    _deliveredSeq = seq;
                    _scheduledSeq = seq;
                    _inFlight.Clear();
                    _botUserId = user is { } u1 ? QQJson.String(u1, "id") : null;
                    _botUsername = user is { } u2 ? QQJson.String(u2, "username") : null;
                    _state = GatewayState.Ready;
                    _lastError = null;
                }

                Log.Ready(_logger, _config.AppId, _sessionId, _botUsername);
                await SaveSessionAsync(force: true).ConfigureAwait(false);
                _ready.TrySetResult();
                return true;
            }

            case "RESUMED":
                SetState(GatewayState.Ready);
                Log.Resumed(_logger, _config.AppId, _sessionId, seq);
                await SaveSessionAsync(force: true).ConfigureAwait(false);
                _ready.TrySetResult();
                return true;
        }

        if (string.IsNullOrEmpty(frame.T))
        {
            return false;
        }

        var dispatch = new GatewayDispatch(seq, frame.T, frame.Id, frame.D, frame.Raw);
        if (!MarkSeen(dispatch))
        {
            Interlocked.Increment(ref _duplicates);
            Log.DuplicateDropped(_logger, _config.AppId, frame.T, frame.Id, seq);
            return false;
        }

        _queue.Writer.TryWrite(dispatch);
        return false;
    }

    private async Task<Outcome> OnInvalidSessionAsync(ClientWebSocket socket, ArrayBufferWriter<byte> buffer, GatewayFrame frame, bool identified, bool healthy, CancellationToken cancellationToken)
    {
        var canResume = frame.D.ValueKind == JsonValueKind.True || (frame.D.ValueKind == JsonValueKind.Object && QQJson.Bool(frame.D, "can_resume") == true);
        Log.InvalidSession(_logger, _config.AppId, canResume, frame.D.ValueKind == JsonValueKind.Undefined ? "(none)" : frame.D.GetRawText());

        // The gateway usually closes right after op 9 (observed: 4903 "create session error"); a fatal code there wins.
        int? code = null;
        try
        {
            if (await ReceiveAsync(socket, buffer, InvalidSessionCloseWait, cancellationToken).ConfigureAwait(false) is null)
            {
                code = (int?)socket.CloseStatus;
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or TimeoutException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
        }

        await CloseQuietlyAsync(socket).ConfigureAwait(false);
        if (code is not null)
        {
            lock (_gate)
            {
                _lastCloseCode = code;
            }

            if (GatewayCloseCodes.Describe(code) is { Action: CloseAction.Stop } fatal)
            {
                return Outcome.Stop(FatalMessage(fatal, socket.CloseStatusDescription), code);
            }
        }

        var action = canResume && CanResume() ? CloseAction.Resume : CloseAction.Identify;
        var reason = "invalid session (op 9" + (code is { } c ? string.Create(CultureInfo.InvariantCulture, $", close {c}") : string.Empty) + ")";
        return Outcome.Retry(action, reason, code, healthy, _config.InvalidSessionDelay, identifyRejected: identified && action == CloseAction.Identify);
    }

    private Outcome Closed(ClientWebSocket socket, bool healthy, bool identified, string? context)
    {
        var code = (int?)socket.CloseStatus;
        var description = socket.CloseStatusDescription;
        lock (_gate)
        {
            _lastCloseCode = code;
        }

        var info = GatewayCloseCodes.Describe(code);
        Log.Closed(_logger, _config.AppId, info.Describe(), description, info.Action.ToString());
        var reason = context ?? $"closed with {info.Describe()}" + (string.IsNullOrEmpty(description) ? string.Empty : $" \"{description}\"");
        return info.Action switch
        {
            CloseAction.Stop => Outcome.Stop(FatalMessage(info, description), code),
            CloseAction.ResumeAfterPause => Outcome.Retry(CloseAction.Resume, reason, code, healthy, _config.RateLimitedReconnectDelay),
            CloseAction.Identify => Outcome.Retry(CloseAction.Identify, reason, code, healthy, identifyRejected: identified && code is >= 4900 and <= 4913),
            _ => Outcome.Retry(info.Action, reason, code, healthy),
        };
    }

    private string FatalMessage(CloseCodeInfo info, string? description)
    {
        var detail = info.Code == 4014 || info.Code == 4013 ? $" The bot's intents are {QQIntentNames.Describe(_config.Intents)}." : string.Empty;
        return $"The QQ gateway closed the connection of app {_config.AppId} with {info.Describe()}{(string.IsNullOrEmpty(description) ? string.Empty : $" \"{description}\"")}; the adapter stopped and will not reconnect.{detail} {info.Advice}";
    }

    private async Task HeartbeatLoopAsync(ClientWebSocket socket, TimeSpan interval, HeartbeatState state, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
                if (!state.Acked)
                {
                    state.Zombie = true;
                    Log.HeartbeatAckMissed(_logger, _config.AppId, interval);
                    socket.Abort();
                    return;
                }

                state.Acked = false;
                await SendHeartbeatAsync(socket, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException)
        {
            // The receive loop sees the broken connection and reconnects.
        }
    }

    private Task SendHeartbeatAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        long seq;
        lock (_gate)
        {
            seq = _receivedSeq;
        }

        return SendAsync(socket, w =>
        {
            w.WriteNumber("op", GatewayOpcode.Heartbeat);
            if (seq > 0)
            {
                w.WriteNumber("d", seq);
            }
            else
            {
                w.WriteNull("d");
            }
        }, cancellationToken);
    }

    private async Task SendAsync(ClientWebSocket socket, Action<Utf8JsonWriter> write, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await socket.SendAsync(buffer.WrittenMemory, WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Reads one frame; <see langword="null"/> when the server closed. Non-JSON frames are skipped.</summary>
    private async Task<GatewayFrame?> ReceiveAsync(ClientWebSocket socket, ArrayBufferWriter<byte> buffer, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } t)
        {
            limit.CancelAfter(t);
        }

        while (true)
        {
            buffer.ResetWrittenCount();
            ValueWebSocketReceiveResult result;
            do
            {
                try
                {
                    result = await socket.ReceiveAsync(buffer.GetMemory(4096), limit.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (timeout is not null && !cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException(string.Create(CultureInfo.InvariantCulture, $"no frame from the gateway within {timeout.Value.TotalMilliseconds:0} ms"));
                }

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return null;
                }

                buffer.Advance(result.Count);
                if (buffer.WrittenCount > MaxFrameBytes)
                {
                    throw new WebSocketException($"a gateway frame exceeded {MaxFrameBytes} bytes");
                }
            }
            while (!result.EndOfMessage);

            if (GatewayFrame.Parse(buffer.WrittenSpan) is { } frame)
            {
                return frame;
            }

            Log.UnreadableFrame(_logger, _config.AppId, buffer.WrittenCount);
        }
    }

    private static async Task CloseQuietlyAsync(ClientWebSocket socket)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }

        try
        {
            // Not 1000: a normal closure may end the session, and the adapter wants to resume it.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await socket.CloseOutputAsync((WebSocketCloseStatus)4000, "reconnecting", timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
        }

        socket.Abort();
    }

    /// <summary>
    /// Hands queued events to the dispatch callback: in order within a conversation (a lane: one chat, see
    /// <see cref="GatewayDispatch.LaneKey"/>), up to <see cref="QQBotConfig.MaxConcurrentDeliveries"/> conversations at
    /// a time. The delivered sequence saved with the session is the watermark below which every event has been
    /// delivered, so a resume after a restart replays exactly the rest.
    /// </summary>
    private async Task DeliverAsync()
    {
        using var slots = new SemaphoreSlim(_config.MaxConcurrentDeliveries);
        try
        {
            await _deliveryEnabled.Task.WaitAsync(_stopping.Token).ConfigureAwait(false);
            while (!_stopping.IsCancellationRequested && await _queue.Reader.WaitToReadAsync(_abortDelivery.Token).ConfigureAwait(false))
            {
                if (_stopping.IsCancellationRequested || !_queue.Reader.TryRead(out var dispatch))
                {
                    continue;
                }

                // One delivery at a time means one lane: strictly the order of arrival.
                var key = _config.MaxConcurrentDeliveries == 1 ? "*" : dispatch.LaneKey();
                lock (_gate)
                {
                    _inFlight.Add(dispatch.Seq);
                    _scheduledSeq = Math.Max(_scheduledSeq, dispatch.Seq);
                    var previous = _lanes.GetValueOrDefault(key) ?? Task.CompletedTask;
                    Task lane = null!;
                    lane = DeliverInLaneAsync(previous, dispatch, slots, () =>
                    {
                        lock (_gate)
                        {
                            if (_lanes.TryGetValue(key, out var tail) && tail == lane)
                            {
                                _lanes.Remove(key);
                            }
                        }
                    });
                    _lanes[key] = lane;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        // Wait for the lanes before the semaphore goes away (StopAsync bounds this with the delivery grace).
        Task lanes;
        lock (_gate)
        {
            lanes = Task.WhenAll(_lanes.Values);
        }

        await lanes.ConfigureAwait(false);
    }

    private async Task DeliverInLaneAsync(Task previous, GatewayDispatch dispatch, SemaphoreSlim slots, Action done)
    {
        // Never run the callback on the caller's stack: the dispatcher holds the state lock while it schedules.
        await Task.Yield();
        await previous.ConfigureAwait(false);
        var abort = _abortDelivery.Token;
        var delivered = false;
        try
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            await slots.WaitAsync(abort).ConfigureAwait(false);
            try
            {
                if (!_stopping.IsCancellationRequested)
                {
                    await _onDispatch(dispatch, abort).ConfigureAwait(false);
                    delivered = true;
                }
            }
            finally
            {
                slots.Release();
            }
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // A failed delivery is not retried (it would fail again); it counts as delivered.
            Log.DispatchFailed(_logger, _config.AppId, dispatch.Type, dispatch.EventId, ex);
            delivered = true;
        }
        finally
        {
            if (delivered)
            {
                lock (_gate)
                {
                    _inFlight.Remove(dispatch.Seq);
                    var watermark = _inFlight.Count == 0 ? _scheduledSeq : _inFlight.Min - 1;
                    if (watermark > _deliveredSeq)
                    {
                        _deliveredSeq = watermark;
                    }

                    foreach (var key in dispatch.DedupeKeys())
                    {
                        _deliveredIds.Enqueue(key);
                    }

                    while (_deliveredIds.Count > PersistedIds)
                    {
                        _deliveredIds.Dequeue();
                    }
                }
            }

            done();
        }
    }

    private bool MarkSeen(GatewayDispatch dispatch)
    {
        lock (_gate)
        {
            var keys = dispatch.DedupeKeys().ToList();
            if (keys.Any(_seen.Contains))
            {
                return false;
            }

            foreach (var key in keys)
            {
                Remember(key);
            }

            return true;
        }
    }

    private void Remember(string key)
    {
        if (_seen.Add(key))
        {
            _seenOrder.AddLast(key);
            if (_seenOrder.Count > SeenCapacity)
            {
                _seen.Remove(_seenOrder.First!.Value);
                _seenOrder.RemoveFirst();
            }
        }
    }

    private bool CanResume()
    {
        lock (_gate)
        {
            return _sessionId is not null && _receivedSeq > 0;
        }
    }

    private async Task WaitForSessionStartAsync(GatewayInfo? info, CancellationToken cancellationToken)
    {
        if (info is not null && info.Remaining <= 0)
        {
            Log.SessionStartLimitReached(_logger, _config.AppId, info.Total, info.ResetAfter);
            await Task.Delay(info.ResetAfter, cancellationToken).ConfigureAwait(false);
        }

        var maxConcurrency = info?.MaxConcurrency ?? 1;
        var window = _config.SessionStartWindow;
        while (true)
        {
            TimeSpan wait;
            lock (_gate)
            {
                var now = _time.GetUtcNow();
                while (_identifyTimes.Count > 0 && now - _identifyTimes.Peek() >= window)
                {
                    _identifyTimes.Dequeue();
                }

                if (_identifyTimes.Count < maxConcurrency)
                {
                    _identifyTimes.Enqueue(now);
                    return;
                }

                wait = _identifyTimes.Peek() + window - now;
            }

            Log.SessionStartThrottled(_logger, _config.AppId, maxConcurrency, window, wait);
            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The delay before reconnect number <paramref name="failures"/>: <paramref name="baseDelay"/> doubled per failure,
    /// capped at <paramref name="maxDelay"/>, with equal jitter (between half of that and all of it) so bots that
    /// dropped together spread out.
    /// </summary>
    internal static TimeSpan ComputeBackoff(int failures, TimeSpan baseDelay, TimeSpan maxDelay)
    {
        var exponent = Math.Clamp(failures - 1, 0, 30);
        var ceiling = Math.Min(maxDelay.TotalMilliseconds, baseDelay.TotalMilliseconds * Math.Pow(2, exponent));
        return TimeSpan.FromMilliseconds((ceiling / 2) + (Random.Shared.NextDouble() * ceiling / 2));
    }

    private TimeSpan Backoff(int failures) => ComputeBackoff(failures, _config.ReconnectBaseDelay, _config.ReconnectMaxDelay);

    private async Task LoadSessionAsync(CancellationToken cancellationToken)
    {
        SessionSnapshot? snapshot;
        try
        {
            snapshot = await _store.LoadAsync(_botId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.SessionStoreFailed(_logger, _config.AppId, "load", ex.Message);
            return;
        }

        if (snapshot is null)
        {
            return;
        }

        var age = _time.GetUtcNow() - snapshot.SavedAt;
        string? rejected = snapshot.AppId != _config.AppId ? "it belongs to another app"
            : snapshot.Intents != (int)_config.Intents ? "the intents changed"
            : snapshot.ShardId != _config.Shard.Id || snapshot.ShardCount != _config.Shard.Count ? "the shard changed"
            : age > _config.SessionResumeMaxAge ? string.Create(CultureInfo.InvariantCulture, $"it is {age.TotalSeconds:0} s old (sessionResumeMaxAgeSeconds is {_config.SessionResumeMaxAge.TotalSeconds:0})")
            : snapshot.Seq <= 0 ? "it has no sequence"
            : null;
        if (rejected is not null)
        {
            Log.StoredSessionIgnored(_logger, _config.AppId, snapshot.SessionId, rejected);
            return;
        }

        lock (_gate)
        {
            _sessionId = snapshot.SessionId;
            _receivedSeq = snapshot.Seq;
            _deliveredSeq = snapshot.Seq;
            _savedSeq = snapshot.Seq;
            _botUserId = snapshot.BotUserId;
            _botUsername = snapshot.BotUsername;
            foreach (var id in snapshot.RecentEventIds)
            {
                Remember(id);
                _deliveredIds.Enqueue(id);
            }
        }

        Log.StoredSessionLoaded(_logger, _config.AppId, snapshot.SessionId, snapshot.Seq, age);
    }

    private async Task SaveSessionAsync(bool force)
    {
        SessionSnapshot snapshot;
        lock (_gate)
        {
            if (_sessionId is null || (!force && _deliveredSeq == _savedSeq))
            {
                return;
            }

            snapshot = new SessionSnapshot(_config.AppId, _sessionId, _deliveredSeq, (int)_config.Intents, _config.Shard.Id, _config.Shard.Count, _botUserId, _botUsername, _time.GetUtcNow(), [.. _deliveredIds]);
            _savedSeq = _deliveredSeq;
        }

        await _saveLock.WaitAsync().ConfigureAwait(false);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _store.SaveAsync(_botId, snapshot, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.SessionStoreFailed(_logger, _config.AppId, "save", ex.Message);
        }
        finally
        {
            _saveLock.Release();
        }
    }

    private async Task ClearSessionAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_sessionId is null)
            {
                return;
            }

            _sessionId = null;
            _receivedSeq = 0;
            _savedSeq = -1;
        }

        try
        {
            await _store.DeleteAsync(_botId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.SessionStoreFailed(_logger, _config.AppId, "delete", ex.Message);
        }
    }

    private async Task FailAsync(string message, int? closeCode)
    {
        lock (_gate)
        {
            _state = GatewayState.Failed;
            _lastError = message;
            _lastCloseCode = closeCode ?? _lastCloseCode;
        }

        Log.GatewayFailed(_logger, _config.AppId, message);
        var error = new GatewayFatalException(message, closeCode);
        _ready.TrySetException(error);
        _ = _ready.Task.Exception;
        if (_onFailed is not null)
        {
            try
            {
                await _onFailed(error).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log.DispatchFailed(_logger, _config.AppId, "gateway_stopped", null, ex);
            }
        }
    }

    private void SetState(GatewayState state)
    {
        lock (_gate)
        {
            _state = state;
        }
    }

    private sealed class HeartbeatState
    {
        public volatile bool Acked = true;
        public volatile bool Zombie;
    }

    /// <summary>How a connection ended and what to do next.</summary>
    private sealed record Outcome(CloseAction Action, string Reason, int? CloseCode, bool Healthy, TimeSpan MinimumDelay, bool IdentifyRejected)
    {
        public static Outcome Stop(string reason, int? code) => new(CloseAction.Stop, reason, code, false, TimeSpan.Zero, false);

        public static Outcome Retry(CloseAction action, string reason, int? code, bool healthy = false, TimeSpan minimumDelay = default, bool identifyRejected = false)
            => new(action, reason, code, healthy, minimumDelay, identifyRejected);
    }
}
