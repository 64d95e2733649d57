using System.Buffers;

namespace Plugboard.Protocol.Transports;

/// <summary>
/// Moves whole JSON-RPC messages (UTF-8 JSON text) over a byte stream or a message-oriented channel.
/// A transport is used by exactly one reader and, at any moment, one writer; <see cref="JsonRpc.JsonRpcConnection"/>
/// guarantees both.
/// </summary>
public abstract class JsonRpcTransport : IAsyncDisposable
{
    /// <summary>Creates a transport that enforces the given maximum message size in bytes.</summary>
    protected JsonRpcTransport(int maxMessageSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessageSize, 2);
        MaxMessageSize = maxMessageSize;
    }

    /// <summary>The largest message, in bytes, this transport reads in full; larger ones are skipped and reported.</summary>
    public int MaxMessageSize { get; }

    /// <summary>
    /// Reads the next message. The returned bytes stay valid until <see cref="AdvanceMessage"/> or the next read.
    /// Throws <see cref="JsonRpc.JsonRpcFramingException"/> when the stream cannot be read as messages any more.
    /// </summary>
    public abstract ValueTask<TransportReadResult> ReadAsync(CancellationToken cancellationToken);

    /// <summary>Releases the buffer of the message returned by the last <see cref="ReadAsync"/>.</summary>
    public abstract void AdvanceMessage();

    /// <summary>Writes one whole message. Callers never write concurrently.</summary>
    public abstract ValueTask WriteAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken);

    /// <summary>Signals the peer that no more messages follow (end of stream, or a WebSocket close).</summary>
    public abstract ValueTask CompleteOutputAsync(CancellationToken cancellationToken);

    /// <summary>Releases the transport and its underlying streams.</summary>
    public abstract ValueTask DisposeAsync();
}

/// <summary>What a transport read produced.</summary>
public enum TransportReadStatus
{
    /// <summary>A whole message is available.</summary>
    Message,

    /// <summary>A message larger than the limit arrived; it was skipped without being buffered.</summary>
    Oversized,

    /// <summary>The peer closed its end; no more messages follow.</summary>
    EndOfStream,
}

/// <summary>The result of <see cref="JsonRpcTransport.ReadAsync"/>.</summary>
public readonly struct TransportReadResult
{
    /// <summary>How many leading bytes of an oversized message a transport keeps (see <see cref="Prefix"/>).</summary>
    public const int PrefixBytes = 4096;

    private TransportReadResult(TransportReadStatus status, ReadOnlySequence<byte> message, long declaredLength, ReadOnlyMemory<byte> prefix = default)
    {
        Status = status;
        Message = message;
        DeclaredLength = declaredLength;
        Prefix = prefix;
    }

    /// <summary>What was read.</summary>
    public TransportReadStatus Status { get; }

    /// <summary>The message bytes when <see cref="Status"/> is <see cref="TransportReadStatus.Message"/>.</summary>
    public ReadOnlySequence<byte> Message { get; }

    /// <summary>The size of an oversized message, as declared or as counted.</summary>
    public long DeclaredLength { get; }

    /// <summary>The first bytes (up to <see cref="PrefixBytes"/>) of an oversized message, so it can be answered by its id.</summary>
    public ReadOnlyMemory<byte> Prefix { get; }

    /// <summary>A whole message.</summary>
    public static TransportReadResult FromMessage(ReadOnlySequence<byte> message) => new(TransportReadStatus.Message, message, message.Length);

    /// <summary>An oversized message that was skipped, with its first bytes.</summary>
    public static TransportReadResult FromOversized(long length, ReadOnlyMemory<byte> prefix = default) => new(TransportReadStatus.Oversized, default, length, prefix);

    /// <summary>The end of the stream.</summary>
    public static TransportReadResult EndOfStream => new(TransportReadStatus.EndOfStream, default, 0);
}
