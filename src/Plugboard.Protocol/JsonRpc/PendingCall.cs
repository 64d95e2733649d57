using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Plugboard.Protocol.JsonRpc;

/// <summary>An outgoing request waiting for its response.</summary>
internal abstract class PendingCall
{
    private int _finished;
    private CancellationTokenRegistration _cancellation;
    private CancellationTokenSource? _timeout;

    protected PendingCall(JsonRpcConnection connection, long id, string method)
    {
        Connection = connection;
        Id = id;
        Method = method;
    }

    public JsonRpcConnection Connection { get; }

    public long Id { get; }

    public string Method { get; }

    /// <summary>Deserializes and delivers a result. Runs on the reader loop while the message buffer is valid.</summary>
    public abstract void SetResult(JsonElement result);

    public abstract void SetException(Exception exception);

    public abstract void SetCanceled(CancellationToken cancellationToken);

    public void Arm(TimeSpan? timeout, CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.UnsafeRegister(static (state, token) => ((PendingCall)state!).OnCancelled(token), this);
        }

        if (timeout is { } t && t != Timeout.InfiniteTimeSpan)
        {
            _timeout = new CancellationTokenSource(t);
            _timeout.Token.UnsafeRegister(static state => ((PendingCall)state!).OnTimedOut(), this);
        }
    }

    /// <summary>Runs once when the call completes in any way; frees the slot and the timers.</summary>
    protected bool TryFinish()
    {
        if (Interlocked.Exchange(ref _finished, 1) != 0)
        {
            return false;
        }

        _cancellation.Dispose();
        _timeout?.Dispose();
        Connection.OnPendingFinished();
        return true;
    }

    private void OnCancelled(CancellationToken token)
    {
        if (Connection.TryRemovePending(Id))
        {
            SetCanceled(token);
            Connection.SendCancelRequest(Id);
        }
    }

    private void OnTimedOut()
    {
        if (Connection.TryRemovePending(Id))
        {
            SetException(new TimeoutException($"The peer did not answer '{Method}' within the call timeout; the request was cancelled with $/cancelRequest."));
            Connection.SendCancelRequest(Id);
        }
    }
}

/// <summary>A pending call with a typed result.</summary>
internal sealed class PendingCall<T> : PendingCall
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly JsonTypeInfo<T> _resultInfo;

    public PendingCall(JsonRpcConnection connection, long id, string method, JsonTypeInfo<T> resultInfo)
        : base(connection, id, method)
    {
        _resultInfo = resultInfo;
    }

    public Task<T> Task => _completion.Task;

    public override void SetResult(JsonElement result)
    {
        T? value;
        try
        {
            value = result.Deserialize(_resultInfo);
        }
        catch (JsonException ex)
        {
            SetException(new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"The result of '{Method}' does not match {typeof(T).Name}: {ex.Message}", null, ex));
            return;
        }

        if (TryFinish())
        {
            _completion.TrySetResult(value!);
        }
    }

    public override void SetException(Exception exception)
    {
        if (TryFinish())
        {
            _completion.TrySetException(exception);
        }
    }

    public override void SetCanceled(CancellationToken cancellationToken)
    {
        if (TryFinish())
        {
            _completion.TrySetCanceled(cancellationToken);
        }
    }
}
