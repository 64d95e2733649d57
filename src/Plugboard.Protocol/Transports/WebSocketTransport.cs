using System.Buffers;
using System.Net.WebSockets;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Protocol.Transports;

/// <summary>
/// One JSON-RPC message per WebSocket text message. Fragmented messages are reassembled; binary messages are a
/// protocol violation; a message over the size limit is drained and reported without being buffered.
/// </summary>
public sealed class WebSocketTransport : JsonRpcTransport
{
    private readonly WebSocket _socket;
    private byte[] _buffer;
    private bool _holdingMessage;

    /// <summary>Creates the transport over an open WebSocket (client or server side), which it owns.</summary>
    public WebSocketTransport(WebSocket socket, int maxMessageSize = JsonRpcConnectionOptions.DefaultMaxMessageSize)
        : base(maxMessageSize)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _socket = socket;
        _buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
    }

    /// <summary>The underlying socket.</summary>
    public WebSocket Socket => _socket;

    /// <inheritdoc/>
    public override async ValueTask<TransportReadResult> ReadAsync(CancellationToken cancellationToken)
    {
        AdvanceMessage();
        var length = 0;
        long oversized = -1;
        byte[] prefix = [];
        while (true)
        {
            if (length == _buffer.Length)
            {
                Grow();
            }

            ValueWebSocketReceiveResult received;
            try
            {
                received = await _socket.ReceiveAsync(_buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            }
            catch (WebSocketException ex) when (ex.WebSocketErrorCode == WebSocketError.ConnectionClosedPrematurely)
            {
                return TransportReadResult.EndOfStream;
            }
            catch (WebSocketException ex) when (ex.WebSocketErrorCode == WebSocketError.Faulted)
            {
                // The socket failed the connection because the peer broke the WebSocket protocol (invalid UTF-8 in a
                // text message, reserved bits, an unknown opcode): a protocol violation, not a transport failure.
                throw new JsonRpcFramingException($"The peer violated the WebSocket protocol and the socket closed the connection: {ex.Message}");
            }

            if (received.MessageType == WebSocketMessageType.Close)
            {
                if (_socket.State == WebSocketState.CloseReceived)
                {
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken).ConfigureAwait(false);
                }

                return TransportReadResult.EndOfStream;
            }

            if (received.MessageType == WebSocketMessageType.Binary)
            {
                throw new JsonRpcFramingException("Received a binary WebSocket message; JSON-RPC messages must be sent as text messages.");
            }

            if (oversized >= 0)
            {
                oversized += received.Count;
            }
            else
            {
                length += received.Count;
                if (length > MaxMessageSize)
                {
                    prefix = _buffer.AsSpan(0, Math.Min(length, TransportReadResult.PrefixBytes)).ToArray();
                    oversized = length;
                    length = 0;
                }
            }

            if (received.EndOfMessage)
            {
                if (oversized >= 0)
                {
                    return TransportReadResult.FromOversized(oversized, prefix);
                }

                _holdingMessage = true;
                return TransportReadResult.FromMessage(new ReadOnlySequence<byte>(_buffer, 0, length));
            }
        }
    }

    /// <inheritdoc/>
    public override void AdvanceMessage() => _holdingMessage = false;

    /// <inheritdoc/>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
        => _socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);

    /// <inheritdoc/>
    public override async ValueTask CompleteOutputAsync(CancellationToken cancellationToken)
    {
        if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            try
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "closing", cancellationToken).ConfigureAwait(false);
            }
            catch (WebSocketException)
            {
            }
        }
    }

    /// <inheritdoc/>
    public override ValueTask DisposeAsync()
    {
        if (_socket.State is not (WebSocketState.Closed or WebSocketState.Aborted))
        {
            _socket.Abort();
        }

        _socket.Dispose();
        if (!_holdingMessage)
        {
            var buffer = Interlocked.Exchange(ref _buffer, []);
            if (buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        return ValueTask.CompletedTask;
    }

    private void Grow()
    {
        var larger = ArrayPool<byte>.Shared.Rent(Math.Min(_buffer.Length * 2, MaxMessageSize + 1));
        _buffer.AsSpan().CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }
}
