using System.Text.Json;

namespace Plugboard.Protocol.JsonRpc;

/// <summary>
/// A JSON-RPC error. Thrown by a method handler to send a specific error response, and thrown to a caller
/// when the peer answers with an error response. Every error carries a stable numeric <see cref="Code"/>
/// (see <see cref="JsonRpcErrorCodes"/>) and an optional structured <see cref="Data"/> object.
/// </summary>
public class JsonRpcException : Exception
{
    /// <summary>Creates an error with a code, a message and optional data.</summary>
    public JsonRpcException(int code, string message, JsonElement? data = null)
        : base(message)
    {
        Code = code;
        Data = data;
    }

    /// <summary>Creates an error with a code, a message, data and an inner exception.</summary>
    public JsonRpcException(int code, string message, JsonElement? data, Exception? innerException)
        : base(message, innerException)
    {
        Code = code;
        Data = data;
    }

    /// <summary>The JSON-RPC error code.</summary>
    public int Code { get; }

    /// <summary>The error's <c>data</c> member, if any.</summary>
    public new JsonElement? Data { get; }

    /// <summary>Creates an error whose data is a JSON object with string properties.</summary>
    public static JsonRpcException WithData(int code, string message, params (string Name, string? Value)[] data)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in data)
            {
                writer.WriteString(name, value);
            }

            writer.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return new JsonRpcException(code, message, document.RootElement.Clone());
    }
}

/// <summary>Why a connection ended.</summary>
public enum DisconnectReason
{
    /// <summary>The connection has not ended.</summary>
    None,

    /// <summary>This side closed or disposed the connection.</summary>
    LocalDispose,

    /// <summary>The peer closed its end (end of stream or a WebSocket close).</summary>
    RemoteClosed,

    /// <summary>The peer broke the framing or the protocol so badly that the stream cannot continue.</summary>
    ProtocolViolation,

    /// <summary>The underlying transport failed (I/O error, broken pipe, aborted socket).</summary>
    TransportError,
}

/// <summary>Thrown to pending and new calls when the connection has ended.</summary>
public sealed class JsonRpcConnectionLostException : Exception
{
    /// <summary>Creates the exception.</summary>
    public JsonRpcConnectionLostException(DisconnectReason reason, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Reason = reason;
    }

    /// <summary>Why the connection ended.</summary>
    public DisconnectReason Reason { get; }
}

/// <summary>Thrown by a transport when the byte stream violates the framing; the connection cannot continue.</summary>
public sealed class JsonRpcFramingException : Exception
{
    /// <summary>Creates the exception.</summary>
    public JsonRpcFramingException(string message)
        : base(message)
    {
    }
}

/// <summary>Details of a connection's end, raised by <see cref="JsonRpcConnection.Disconnected"/>.</summary>
public sealed class JsonRpcDisconnectedEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    public JsonRpcDisconnectedEventArgs(DisconnectReason reason, string description, Exception? exception)
    {
        Reason = reason;
        Description = description;
        Exception = exception;
    }

    /// <summary>Why the connection ended.</summary>
    public DisconnectReason Reason { get; }

    /// <summary>A human-readable description of the cause.</summary>
    public string Description { get; }

    /// <summary>The exception that ended the connection, if any.</summary>
    public Exception? Exception { get; }
}
