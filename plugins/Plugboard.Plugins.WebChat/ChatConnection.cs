using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Plugins.WebChat;

/// <summary>
/// One WebSocket connection of a chat session. Three loops: reading frames (pings, history and reset are answered at
/// once), emitting the connection's messages one after another (so a user's messages reach the runtime in order), and
/// writing queued frames (a WebSocket allows one send at a time). A client that does not read its frames fast enough
/// to keep the queue under <see cref="MaxQueuedFrames"/> is disconnected.
/// </summary>
internal sealed class ChatConnection
{
    public const int MaxQueuedFrames = 4096;
    private const int MaxQueuedMessages = 256;
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);

    private readonly WebSocket _socket;
    private readonly WebChatBot _bot;
    private readonly ILogger _logger;
    private readonly int _maxMessageBytes;
    private readonly Channel<byte[]> _outbound = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(MaxQueuedFrames) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly Channel<InboundMessage> _inbound = Channel.CreateBounded<InboundMessage>(new BoundedChannelOptions(MaxQueuedMessages) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly CancellationTokenSource _abort = new();
    private volatile bool _closed;

    public ChatConnection(string id, WebSocket socket, ChatSession session, User user, WebChatBot bot, int maxMessageBytes, ILogger logger)
    {
        Id = id;
        _socket = socket;
        Session = session;
        User = user;
        _bot = bot;
        _maxMessageBytes = maxMessageBytes;
        _logger = logger;
    }

    public string Id { get; }

    public ChatSession Session { get; }

    public User User { get; }

    public DateTimeOffset ConnectedAt { get; } = DateTimeOffset.UtcNow;

    public DateTimeOffset LastActive { get; private set; } = DateTimeOffset.UtcNow;

    /// <summary>Queues a frame; a client whose queue is full is too slow and gets disconnected.</summary>
    public void Enqueue(byte[] frame)
    {
        if (!_outbound.Writer.TryWrite(frame) && !_closed && !_abort.IsCancellationRequested)
        {
            Log.SlowClient(_logger, _bot.BotId, Id, MaxQueuedFrames);
            _abort.Cancel();
        }
    }

    /// <summary>Serves the connection until the client leaves, the bot stops or the client is too slow.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, _abort.Token);
        var writer = WriteLoopAsync(linked.Token);
        var worker = EmitLoopAsync();
        var closeStatus = WebSocketCloseStatus.NormalClosure;
        var closeReason = "bye";
        try
        {
            closeStatus = await ReadLoopAsync(linked.Token);
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            (closeStatus, closeReason) = stopping.IsCancellationRequested
                ? (WebSocketCloseStatus.EndpointUnavailable, "the bot is stopping")
                : (WebSocketCloseStatus.PolicyViolation, "too slow: frames were not read");
        }
        catch (WebSocketException ex)
        {
            Log.ConnectionFailed(_logger, _bot.BotId, Id, ex.Message);
        }

        // Messages already received are still emitted (their replies land in the history), within a bound.
        _inbound.Writer.TryComplete();
        await Task.WhenAny(worker, Task.Delay(DrainTimeout, CancellationToken.None));
        _closed = true;
        _outbound.Writer.TryComplete();
        await Task.WhenAny(writer, Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None));
        await CloseAsync(closeStatus, closeReason);
    }

    private async Task<WebSocketCloseStatus> ReadLoopAsync(CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var message = new ArrayBufferWriter<byte>(1024);
        try
        {
            while (true)
            {
                message.ResetWrittenCount();
                var tooLarge = false;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer.AsMemory(), cancellationToken);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return WebSocketCloseStatus.NormalClosure;
                    }

                    if (!tooLarge && message.WrittenCount + result.Count > _maxMessageBytes)
                    {
                        // Read and drop the rest of the frame; the connection stays usable.
                        tooLarge = true;
                    }

                    if (!tooLarge)
                    {
                        message.Write(buffer.AsSpan(0, result.Count));
                    }
                }
                while (!result.EndOfMessage);

                LastActive = DateTimeOffset.UtcNow;
                if (tooLarge)
                {
                    Enqueue(Frames.Error("too_large", $"The frame is larger than {_maxMessageBytes} bytes (the bot's maxMessageBytes); send a shorter message."));
                    continue;
                }

                if (result.MessageType != WebSocketMessageType.Text)
                {
                    Enqueue(Frames.Error("bad_frame", "Send JSON text frames, not binary ones."));
                    continue;
                }

                if (await HandleFrameAsync(message.WrittenMemory, cancellationToken) is { } close)
                {
                    return close;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Handles one client frame; returns a close status when the client asked to leave.</summary>
    private async ValueTask<WebSocketCloseStatus?> HandleFrameAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(frame);
        }
        catch (JsonException ex)
        {
            Enqueue(Frames.Error("bad_frame", $"The frame is not valid JSON ({ex.Message}); send one JSON object per text frame, e.g. {{\"type\":\"message\",\"text\":\"hi\"}}."));
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var typeElement) || typeElement.ValueKind != JsonValueKind.String)
            {
                Enqueue(Frames.Error("bad_frame", "A frame is a JSON object with a \"type\": message, ping, history, reset or disconnect."));
                return null;
            }

            var clientId = root.TryGetProperty("clientId", out var idElement) && idElement.ValueKind == JsonValueKind.String ? idElement.GetString() : null;
            switch (typeElement.GetString())
            {
                case "ping":
                    Enqueue(Frames.Pong(root.TryGetProperty("id", out var pingId) && pingId.ValueKind == JsonValueKind.String ? pingId.GetString() : null));
                    return null;
                case "history":
                    Enqueue(Frames.History(Session.Chat, Session.History()));
                    return null;
                case "reset":
                    _bot.ResetSession(Session);
                    return null;
                case "disconnect":
                    return WebSocketCloseStatus.NormalClosure;
                case "message":
                    await AcceptMessageAsync(root, clientId, cancellationToken);
                    return null;
                default:
                    Enqueue(Frames.Error("unknown_type", $"Unknown frame type '{typeElement.GetString()}': use message, ping, history, reset or disconnect.", clientId));
                    return null;
            }
        }
    }

    private async ValueTask AcceptMessageAsync(JsonElement root, string? clientId, CancellationToken cancellationToken)
    {
        MessageComponent[] chain;
        try
        {
            if (root.TryGetProperty("message", out var components))
            {
                chain = Frames.ParseChain(components);
            }
            else if (root.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
            {
                chain = [new PlainComponent(text.GetString()!)];
            }
            else
            {
                chain = [];
            }
        }
        catch (JsonException ex)
        {
            Enqueue(Frames.Error("bad_message", $"The message cannot be read: {ex.Message}", clientId));
            return;
        }

        if (chain.Length == 0 || chain.All(c => c is PlainComponent { Text.Length: 0 }))
        {
            Enqueue(Frames.Error("empty_message", "The message is empty: send {\"type\":\"message\",\"text\":\"...\"} or a non-empty \"message\" chain.", clientId));
            return;
        }

        // Waits when this connection already has many messages queued: the client is sending faster than the bot answers.
        await _inbound.Writer.WriteAsync(new InboundMessage(chain, root.Clone(), clientId), cancellationToken);
    }

    private async Task EmitLoopAsync()
    {
        await foreach (var message in _inbound.Reader.ReadAllAsync())
        {
            await _bot.PostUserMessageAsync(this, message.Chain, message.Raw, message.ClientId);
        }
    }

    private async Task WriteLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var frame in _outbound.Reader.ReadAllAsync(cancellationToken))
            {
                await _socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client is gone or too slow; the read loop ends too.
            await _abort.CancelAsync();
        }
    }

    private async Task CloseAsync(WebSocketCloseStatus status, string reason)
    {
        try
        {
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(status, reason, timeout.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private sealed record InboundMessage(MessageComponent[] Chain, JsonElement Raw, string? ClientId);
}
