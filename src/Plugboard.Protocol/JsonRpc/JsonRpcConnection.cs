using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Plugboard.Protocol.Transports;

namespace Plugboard.Protocol.JsonRpc;

/// <summary>
/// A symmetric JSON-RPC 2.0 connection over a <see cref="JsonRpcTransport"/>: either side registers methods and
/// calls the other. Register methods, then <see cref="Start"/>; the connection runs until the peer closes, the
/// transport fails, the peer violates the framing, or it is closed or disposed locally.
/// </summary>
public sealed partial class JsonRpcConnection : IAsyncDisposable
{
    private const string CancelRequestMethod = "$/cancelRequest";
    private const string ProgressMethod = "$/progress";

    private readonly JsonRpcTransport _transport;
    private readonly JsonRpcConnectionOptions _options;
    private readonly JsonSerializerOptions _serializer;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, MethodHandler> _handlers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, PendingCall> _pending = new();
    private readonly ConcurrentDictionary<RequestId, InboundCall> _inbound = new();
    private readonly ConcurrentDictionary<ProgressToken, ProgressSink> _progress = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly TaskCompletionSource<JsonRpcDisconnectedEventArgs> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Channel<InboundCall>? _orderedQueue;
    private Task? _readLoop;
    private long _nextId;
    private long _nextProgressToken;
    private int _inboundCount;
    private int _outstandingCount;
    private int _terminated;
    private volatile bool _closing;
    private volatile bool _outputCompleted;
    private JsonRpcDisconnectedEventArgs? _disconnect;

    /// <summary>Creates a connection over a transport, which the connection owns and disposes.</summary>
    public JsonRpcConnection(JsonRpcTransport transport, JsonRpcConnectionOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _options = options ?? new JsonRpcConnectionOptions();
        _options.Validate();
        _transport = transport;
        _serializer = _options.SerializerOptions;
        _logger = logger ?? NullLogger.Instance;
        if (_options.DispatchMode == DispatchMode.Ordered)
        {
            _orderedQueue = Channel.CreateUnbounded<InboundCall>(new UnboundedChannelOptions { SingleReader = true });
        }

        RegisterEnumeratorMethods();
    }

    /// <summary>Raised once when the connection ends, with the reason.</summary>
    public event EventHandler<JsonRpcDisconnectedEventArgs>? Disconnected;

    /// <summary>Completes with the disconnection details when the connection ends.</summary>
    public Task<JsonRpcDisconnectedEventArgs> Completion => _completion.Task;

    /// <summary>Whether the connection has ended.</summary>
    public bool IsDisconnected => Volatile.Read(ref _terminated) != 0;

    /// <summary>The connection's options.</summary>
    public JsonRpcConnectionOptions Options => _options;

    /// <summary>Fires when the connection ends.</summary>
    internal CancellationToken LifetimeToken => _lifetime.Token;

    /// <summary>Registers a method with typed parameters and result. Replaces an existing registration of the same name.</summary>
    public void AddMethod<TParams, TResult>(string method, Func<TParams, JsonRpcRequestContext, ValueTask<TResult>> handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(handler);
        _handlers[method] = new MethodHandler<TParams, TResult>(_serializer, handler);
    }

    /// <summary>Registers a synchronous method with typed parameters and result.</summary>
    public void AddMethod<TParams, TResult>(string method, Func<TParams, TResult> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        AddMethod<TParams, TResult>(method, (p, _) => ValueTask.FromResult(handler(p)));
    }

    /// <summary>Registers a notification handler. If the peer sends it as a request, it is answered with a null result.</summary>
    public void AddNotification<TParams>(string method, Func<TParams, JsonRpcRequestContext, ValueTask> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        AddMethod<TParams, object?>(method, async (p, context) =>
        {
            await handler(p, context).ConfigureAwait(false);
            return null;
        });
    }

    /// <summary>Removes a method registration.</summary>
    public bool RemoveMethod(string method) => _handlers.TryRemove(method, out _);

    /// <summary>Starts reading messages. Call once, after registering the methods the peer may call first.</summary>
    public void Start()
    {
        if (_readLoop is not null)
        {
            throw new InvalidOperationException("The connection has already been started.");
        }

        _readLoop = Task.Run(ReadLoopAsync);
        if (_orderedQueue is not null)
        {
            _ = Task.Run(RunOrderedQueueAsync);
        }
    }

    /// <summary>Calls a method and returns its result. <paramref name="parameters"/> is sent by name (an object) or by position (an array or list).</summary>
    public Task<TResult> InvokeAsync<TResult>(string method, object? parameters = null, CancellationToken cancellationToken = default)
        => InvokeCoreAsync(method, parameters, GetTypeInfo<TResult>(), _options.DefaultCallTimeout, cancellationToken);

    /// <summary>Calls a method with a timeout; on timeout the request is cancelled and <see cref="TimeoutException"/> is thrown.</summary>
    public Task<TResult> InvokeAsync<TResult>(string method, object? parameters, TimeSpan timeout, CancellationToken cancellationToken = default)
        => InvokeCoreAsync(method, parameters, GetTypeInfo<TResult>(), timeout, cancellationToken);

    /// <summary>Calls a method and waits for it to complete, ignoring the result.</summary>
    public Task InvokeAsync(string method, object? parameters = null, CancellationToken cancellationToken = default)
        => InvokeCoreAsync(method, parameters, GetTypeInfo<JsonElement>(), _options.DefaultCallTimeout, cancellationToken);

    /// <summary>Sends a notification (no response).</summary>
    public async ValueTask NotifyAsync(string method, object? parameters = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ThrowIfDisconnected();
        var buffer = Serialize(method, null, parameters);
        await WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Registers a progress handler and returns its token; put the token in a request's parameters so the callee
    /// can report with <c>$/progress</c>. Reports are delivered in order, on the connection's reader, before the
    /// response of the same request; keep handlers quick. Dispose the registration when the call is over.
    /// </summary>
    public ProgressRegistration RegisterProgress<T>(IProgress<T> progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var token = new ProgressToken(Interlocked.Increment(ref _nextProgressToken));
        _progress[token] = new ProgressSink<T>(GetTypeInfo<T>(), progress);
        return new ProgressRegistration(this, token);
    }

    /// <summary>Sends <c>$/progress</c> for a token that the peer supplied.</summary>
    public async ValueTask NotifyProgressAsync<T>(ProgressToken token, T value, CancellationToken cancellationToken = default)
    {
        ThrowIfDisconnected();
        var buffer = PooledBufferWriter.WriteJson((Token: token, Value: value, Info: GetTypeInfo<T>()), static (writer, s) =>
        {
            WriteEnvelopeStart(writer, null, ProgressMethod);
            writer.WritePropertyName("params"u8);
            writer.WriteStartObject();
            writer.WritePropertyName("token"u8);
            JsonSerializer.Serialize(writer, s.Token, ProtocolJsonContext.Default.ProgressToken);
            writer.WritePropertyName("value"u8);
            JsonSerializer.Serialize(writer, s.Value, s.Info);
            writer.WriteEndObject();
            writer.WriteEndObject();
        });

        await WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Closes gracefully: stops accepting new requests (they get <see cref="JsonRpcErrorCodes.ShuttingDown"/>), waits
    /// for running handlers to answer until <paramref name="cancellationToken"/> fires, ends the output, and disposes.
    /// </summary>
    public async Task CloseAsync(CancellationToken cancellationToken = default)
    {
        _closing = true;
        try
        {
            while (Volatile.Read(ref _inboundCount) > 0 && !IsDisconnected)
            {
                await Task.Delay(10, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Drain time is over; whatever still runs is cancelled by the dispose below.
        }

        if (!IsDisconnected)
        {
            await _writeLock.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                _outputCompleted = true;
                await _transport.CompleteOutputAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
            {
            }
            finally
            {
                _writeLock.Release();
            }
        }

        await DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Ends the connection at once: pending calls fail with <see cref="JsonRpcConnectionLostException"/> (reason <see cref="DisconnectReason.LocalDispose"/>), running handlers are cancelled.</summary>
    public async ValueTask DisposeAsync()
    {
        Terminate(DisconnectReason.LocalDispose, "The connection was closed by this side.", null);
        if (_readLoop is { } loop)
        {
            // The reader disposes the transport when it stops; if a blocking read ignores cancellation, do it here.
            if (await Task.WhenAny(loop, Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false) != loop)
            {
                await DisposeTransportAsync().ConfigureAwait(false);
            }
        }
        else
        {
            await DisposeTransportAsync().ConfigureAwait(false);
        }
    }

    internal JsonTypeInfo<T> GetTypeInfo<T>() => (JsonTypeInfo<T>)_serializer.GetTypeInfo(typeof(T));

    internal bool TryRemovePending(long id) => _pending.TryRemove(id, out _);

    internal void OnPendingFinished() => Interlocked.Decrement(ref _outstandingCount);

    internal void RemoveProgress(ProgressToken token) => _progress.TryRemove(token, out _);

    internal void SendCancelRequest(long id)
    {
        if (IsDisconnected)
        {
            return;
        }

        _ = SendQuietlyAsync(CancelRequestMethod, new CancelRequestArgs(id));
    }

    internal JsonRpcException OnHandlerFailed(string method, Exception exception)
    {
        _logger.HandlerFailed(method, exception.GetType().Name, exception);
        return JsonRpcException.WithData(JsonRpcErrorCodes.InvocationError, exception.Message, ("type", exception.GetType().FullName));
    }

    internal void OnNotificationFailed(string method, string detail) => _logger.NotificationFailed(method, detail);

    internal async Task CompleteInboundAsync<TResult>(InboundCall call, RequestId id, TResult? result, JsonTypeInfo<TResult> resultInfo, JsonRpcException? error)
    {
        _inbound.TryRemove(id, out _);
        Interlocked.Decrement(ref _inboundCount);
        PooledBufferWriter buffer;
        try
        {
            buffer = error is null ? SerializeResult(id, result, resultInfo) : SerializeError(id, error);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
        {
            buffer = SerializeError(id, OnHandlerFailed(call.Method, ex));
        }

        if (buffer.WrittenCount > _options.MaxMessageSize)
        {
            var size = buffer.WrittenCount;
            buffer.Dispose();
            buffer = SerializeError(id, JsonRpcException.WithData(
                JsonRpcErrorCodes.MessageTooLarge,
                $"The response to '{call.Method}' is {size} bytes, over the limit of {_options.MaxMessageSize} bytes.",
                ("size", size.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        }

        await SendOrCollectAsync(buffer, call.Batch).ConfigureAwait(false);
    }

    private async Task<TResult> InvokeCoreAsync<TResult>(string method, object? parameters, JsonTypeInfo<TResult> resultInfo, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisconnected();
        if (Interlocked.Increment(ref _outstandingCount) > _options.MaxConcurrentRequests)
        {
            Interlocked.Decrement(ref _outstandingCount);
            throw new JsonRpcException(JsonRpcErrorCodes.TooManyRequests, $"Cannot call '{method}': {_options.MaxConcurrentRequests} calls are already outstanding on this connection (MaxConcurrentRequests). Wait for some to finish or raise the limit.");
        }

        var id = Interlocked.Increment(ref _nextId);
        var call = new PendingCall<TResult>(this, id, method, resultInfo);
        PooledBufferWriter buffer;
        try
        {
            buffer = Serialize(method, id, parameters);
        }
        catch
        {
            OnPendingFinished();
            throw;
        }

        _pending[id] = call;
        if (IsDisconnected && _pending.TryRemove(id, out _))
        {
            buffer.Dispose();
            call.SetException(LostException());
        }
        else
        {
            call.Arm(timeout, cancellationToken);
            try
            {
                await WriteAsync(buffer, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                if (_pending.TryRemove(id, out _))
                {
                    call.SetException(ex);
                }
            }
        }

        return await call.Task.ConfigureAwait(false);
    }

    private PooledBufferWriter Serialize(string method, long? id, object? parameters)
    {
        var buffer = PooledBufferWriter.WriteJson((Method: method, Id: id, Parameters: parameters, Serializer: _serializer), static (writer, s) =>
        {
            WriteEnvelopeStart(writer, s.Id is { } n ? new RequestId(n) : null, s.Method);
            if (s.Parameters is not null)
            {
                writer.WritePropertyName("params"u8);
                JsonSerializer.Serialize(writer, s.Parameters, s.Serializer.GetTypeInfo(s.Parameters.GetType()));
            }

            writer.WriteEndObject();
        });
        if (buffer.WrittenCount > _options.MaxMessageSize)
        {
            var size = buffer.WrittenCount;
            buffer.Dispose();
            throw new JsonRpcException(JsonRpcErrorCodes.MessageTooLarge, $"The '{method}' message is {size} bytes, over the limit of {_options.MaxMessageSize} bytes (MaxMessageSize). Send less data per message or raise the limit on both sides.");
        }

        return buffer;
    }

    private static void WriteEnvelopeStart(Utf8JsonWriter writer, RequestId? id, string method)
    {
        writer.WriteStartObject();
        writer.WriteString("jsonrpc"u8, "2.0"u8);
        if (id is { } requestId)
        {
            writer.WritePropertyName("id"u8);
            requestId.WriteTo(writer);
        }

        writer.WriteString("method"u8, method);
    }

    private static PooledBufferWriter SerializeResult<TResult>(RequestId id, TResult? result, JsonTypeInfo<TResult> info)
        => PooledBufferWriter.WriteJson((Id: id, Result: result, Info: info), static (writer, s) =>
        {
            WriteResponseStart(writer, s.Id, "result"u8);
            if (s.Result is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                JsonSerializer.Serialize(writer, s.Result, s.Info);
            }

            writer.WriteEndObject();
        });

    private static PooledBufferWriter SerializeError(RequestId id, JsonRpcException error)
        => PooledBufferWriter.WriteJson((Id: id, Error: error), static (writer, s) =>
        {
            WriteResponseStart(writer, s.Id, "error"u8);
            writer.WriteStartObject();
            writer.WriteNumber("code"u8, s.Error.Code);
            writer.WriteString("message"u8, s.Error.Message);
            writer.WritePropertyName("data"u8);
            if (s.Error.Data is { } data)
            {
                data.WriteTo(writer);
            }
            else
            {
                // Every error carries a data object, even if empty.
                writer.WriteStartObject();
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        });

    private static void WriteResponseStart(Utf8JsonWriter writer, RequestId id, ReadOnlySpan<byte> member)
    {
        writer.WriteStartObject();
        writer.WriteString("jsonrpc"u8, "2.0"u8);
        writer.WritePropertyName("id"u8);
        id.WriteTo(writer);
        writer.WritePropertyName(member);
    }

    private async Task SendOrCollectAsync(PooledBufferWriter buffer, BatchCollector? batch)
    {
        if (batch is not null)
        {
            var complete = batch.Add(buffer);
            if (complete is null)
            {
                return;
            }

            buffer = complete;
        }

        try
        {
            await WriteAsync(buffer, CancellationToken.None).ConfigureAwait(false);
        }
        catch (JsonRpcConnectionLostException)
        {
            // The peer is gone; nobody is waiting for this response.
        }
    }

    private async Task WriteAsync(PooledBufferWriter buffer, CancellationToken cancellationToken)
    {
        try
        {
            if (!_writeLock.Wait(0))
            {
                await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            try
            {
                ThrowIfDisconnected();
                if (_logger.IsEnabled(LogLevel.Trace))
                {
                    _logger.MessageSent(System.Text.Encoding.UTF8.GetString(buffer.WrittenMemory.Span));
                }

                await _transport.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _writeLock.Release();
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or System.Net.WebSockets.WebSocketException)
        {
            Terminate(DisconnectReason.TransportError, $"Writing to the transport failed: {ex.Message}", ex);
            throw LostException();
        }
        finally
        {
            buffer.Dispose();
        }
    }

    private async Task SendQuietlyAsync(string method, object parameters)
    {
        try
        {
            await NotifyAsync(method, parameters).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is JsonRpcConnectionLostException or JsonRpcException)
        {
            // Best effort: the connection is ending or the message could not be sent.
        }
    }

    private void ThrowIfDisconnected()
    {
        if (IsDisconnected)
        {
            throw LostException();
        }
    }

    private JsonRpcConnectionLostException LostException()
    {
        var info = _disconnect;
        return info is null
            ? new JsonRpcConnectionLostException(DisconnectReason.LocalDispose, "The JSON-RPC connection has ended.")
            : new JsonRpcConnectionLostException(info.Reason, $"The JSON-RPC connection has ended ({info.Reason}): {info.Description}", info.Exception);
    }

    private void Terminate(DisconnectReason reason, string description, Exception? exception)
    {
        if (Interlocked.Exchange(ref _terminated, 1) != 0)
        {
            return;
        }

        var info = new JsonRpcDisconnectedEventArgs(reason, description, exception);
        _disconnect = info;
        if (reason == DisconnectReason.ProtocolViolation)
        {
            _logger.ProtocolViolation(description);
        }
        else
        {
            _logger.Disconnected(reason, description);
        }

        try
        {
            _lifetime.Cancel();
        }
        catch (AggregateException)
        {
            // A cancellation callback threw; the connection is ending regardless.
        }

        var lost = LostException();
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var call))
            {
                call.SetException(lost);
            }
        }

        foreach (var call in _inbound.Values)
        {
            try
            {
                call.Cancellation?.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }

        _orderedQueue?.Writer.TryComplete();
        DisposeEnumerators();
        _completion.TrySetResult(info);
        try
        {
            Disconnected?.Invoke(this, info);
        }
        catch (Exception ex)
        {
            _logger.NotificationFailed("Disconnected event handler", ex.Message);
        }
    }

    private async Task DisposeTransportAsync()
    {
        try
        {
            await _transport.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }

    private async Task RunOrderedQueueAsync()
    {
        await foreach (var call in _orderedQueue!.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            await call.RunAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>A registered progress handler; dispose it when the call it belongs to is over.</summary>
public sealed class ProgressRegistration : IDisposable
{
    private readonly JsonRpcConnection _connection;

    internal ProgressRegistration(JsonRpcConnection connection, ProgressToken token)
    {
        _connection = connection;
        Token = token;
    }

    /// <summary>The token to put in the request's parameters.</summary>
    public ProgressToken Token { get; }

    /// <summary>Stops delivering reports for this token.</summary>
    public void Dispose() => _connection.RemoveProgress(Token);
}

/// <summary>Delivers <c>$/progress</c> values of one token.</summary>
internal abstract class ProgressSink
{
    public abstract void Report(JsonElement value);
}

/// <summary>Delivers typed <c>$/progress</c> values.</summary>
internal sealed class ProgressSink<T>(JsonTypeInfo<T> info, IProgress<T> progress) : ProgressSink
{
    public override void Report(JsonElement value) => progress.Report(value.Deserialize(info)!);
}
