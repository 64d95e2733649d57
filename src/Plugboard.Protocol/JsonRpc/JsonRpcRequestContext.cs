namespace Plugboard.Protocol.JsonRpc;

/// <summary>What a method handler knows about the request it is serving.</summary>
public sealed class JsonRpcRequestContext
{
    internal JsonRpcRequestContext(JsonRpcConnection connection, string method, RequestId? id, CancellationToken cancellationToken)
    {
        Connection = connection;
        Method = method;
        Id = id;
        CancellationToken = cancellationToken;
    }

    /// <summary>The connection the request arrived on; handlers may call back to the peer through it.</summary>
    public JsonRpcConnection Connection { get; }

    /// <summary>The method name.</summary>
    public string Method { get; }

    /// <summary>The request id, or <see langword="null"/> for a notification.</summary>
    public RequestId? Id { get; }

    /// <summary>Fires when the peer sends <c>$/cancelRequest</c> for this request or the connection ends.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Sends <c>$/progress</c> with the given token and value to the caller.</summary>
    public ValueTask ReportProgressAsync<T>(ProgressToken token, T value) => Connection.NotifyProgressAsync(token, value, CancellationToken);
}
