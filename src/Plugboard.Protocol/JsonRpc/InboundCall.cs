using System.Text.Json.Serialization.Metadata;

namespace Plugboard.Protocol.JsonRpc;

/// <summary>A received request or notification, bound and ready to run on the thread pool or the ordered queue.</summary>
internal abstract class InboundCall : IThreadPoolWorkItem
{
    protected InboundCall(JsonRpcConnection connection, string method, RequestId? id, BatchCollector? batch)
    {
        Connection = connection;
        Method = method;
        Id = id;
        Batch = batch;
        Cancellation = id is null ? null : new CancellationTokenSource();
    }

    public JsonRpcConnection Connection { get; }

    public string Method { get; }

    public RequestId? Id { get; }

    public BatchCollector? Batch { get; }

    /// <summary>Fires on <c>$/cancelRequest</c> (requests only).</summary>
    public CancellationTokenSource? Cancellation { get; }

    public void Execute() => _ = RunAsync();

    public abstract Task RunAsync();
}

/// <summary>A call of a typed handler.</summary>
internal sealed class InboundCall<TParams, TResult> : InboundCall
{
    private readonly TParams _parameters;
    private readonly JsonTypeInfo<TResult> _resultInfo;
    private readonly Func<TParams, JsonRpcRequestContext, ValueTask<TResult>> _handler;

    public InboundCall(JsonRpcConnection connection, string method, RequestId? id, BatchCollector? batch, TParams parameters, JsonTypeInfo<TResult> resultInfo, Func<TParams, JsonRpcRequestContext, ValueTask<TResult>> handler)
        : base(connection, method, id, batch)
    {
        _parameters = parameters;
        _resultInfo = resultInfo;
        _handler = handler;
    }

    public override async Task RunAsync()
    {
        // A request's token fires on $/cancelRequest; the connection cancels every in-flight request when it ends.
        var token = Cancellation?.Token ?? Connection.LifetimeToken;
        var context = new JsonRpcRequestContext(Connection, Method, Id, token);
        TResult? result = default;
        JsonRpcException? error = null;
        try
        {
            result = await _handler(_parameters, context).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            error = new JsonRpcException(JsonRpcErrorCodes.RequestCancelled, $"Request '{Method}' was cancelled.");
        }
        catch (JsonRpcException ex)
        {
            error = ex;
        }
        catch (Exception ex)
        {
            error = Connection.OnHandlerFailed(Method, ex);
        }

        if (Id is not { } id)
        {
            if (error is not null && error.Code != JsonRpcErrorCodes.RequestCancelled)
            {
                Connection.OnNotificationFailed(Method, error.Message);
            }

            return;
        }

        try
        {
            await Connection.CompleteInboundAsync(this, id, result, _resultInfo, error).ConfigureAwait(false);
        }
        finally
        {
            Cancellation!.Dispose();
        }
    }
}

/// <summary>Collects the responses to one batch and sends them as one array when the last one is ready.</summary>
internal sealed class BatchCollector : IDisposable
{
    private readonly PooledBufferWriter _buffer = new();
    private readonly Lock _lock = new();
    private int _remaining = 1;
    private int _count;

    public void Expect() => Interlocked.Increment(ref _remaining);

    /// <summary>Adds one response; returns the complete array when this was the last one outstanding.</summary>
    public PooledBufferWriter? Add(PooledBufferWriter? response)
    {
        lock (_lock)
        {
            if (response is not null)
            {
                _buffer.WriteByte(_count++ == 0 ? (byte)'[' : (byte)',');
                _buffer.Write(response.WrittenMemory.Span);
                response.Dispose();
            }

            if (--_remaining > 0)
            {
                return null;
            }

            if (_count == 0)
            {
                _buffer.Dispose();
                return null;
            }

            _buffer.WriteByte((byte)']');
            return _buffer;
        }
    }

    public void Dispose() => _buffer.Dispose();
}
