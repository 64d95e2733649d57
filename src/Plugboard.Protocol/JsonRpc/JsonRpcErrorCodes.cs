namespace Plugboard.Protocol.JsonRpc;

/// <summary>
/// Error codes used in JSON-RPC error responses. The JSON-RPC 2.0 standard codes, the LSP cancellation code,
/// and Plugboard's engine codes (-32000 to -32099, the range the specification leaves to implementations).
/// Application areas use positive ranges documented in docs/protocol.md (1000-1999 runtime and plugins,
/// 2000-2999 tools, 3000-3999 adapters, 4000-4999 the Box).
/// </summary>
public static class JsonRpcErrorCodes
{
    /// <summary>Invalid JSON was received.</summary>
    public const int ParseError = -32700;

    /// <summary>The JSON sent is not a valid request object.</summary>
    public const int InvalidRequest = -32600;

    /// <summary>The method does not exist or is not available.</summary>
    public const int MethodNotFound = -32601;

    /// <summary>Invalid method parameters.</summary>
    public const int InvalidParams = -32602;

    /// <summary>Internal JSON-RPC error.</summary>
    public const int InternalError = -32603;

    /// <summary>The request was cancelled (<c>$/cancelRequest</c>), as in LSP and StreamJsonRpc.</summary>
    public const int RequestCancelled = -32800;

    /// <summary>The method threw an exception that was not a <see cref="JsonRpcException"/>.</summary>
    public const int InvocationError = -32000;

    /// <summary>Too many requests are in flight on this connection; retry later.</summary>
    public const int TooManyRequests = -32001;

    /// <summary>A message exceeded the connection's maximum message size.</summary>
    public const int MessageTooLarge = -32002;

    /// <summary>The callee gave up waiting on something it needed (e.g. a plugin did not answer in time).</summary>
    public const int Timeout = -32003;

    /// <summary>The operation is not supported by this peer (e.g. an adapter API it does not declare).</summary>
    public const int NotSupported = -32004;

    /// <summary>The connection is shutting down and accepts no new requests.</summary>
    public const int ShuttingDown = -32005;
}
