using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace Plugboard.Plugins.Tests.Infrastructure;

/// <summary>A web chat protocol client over a real WebSocket: sends frames, collects every frame received.</summary>
internal sealed class ChatClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly ClientWebSocket _socket;
    private readonly Channel<JsonElement> _frames = Channel.CreateUnbounded<JsonElement>();
    private readonly List<JsonElement> _received = [];
    private readonly Task _reader;

    private ChatClient(ClientWebSocket socket)
    {
        _socket = socket;
        _reader = Task.Run(ReadLoopAsync);
    }

    /// <summary>The <c>connected</c> frame.</summary>
    public JsonElement Connected { get; private set; }

    public string UserId => Connected.GetProperty("user").GetProperty("id").GetString()!;

    /// <summary>Every frame received so far, in order.</summary>
    public IReadOnlyList<JsonElement> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    public WebSocketState State => _socket.State;

    public static Uri SocketUri(Uri chatUrl, string session = "person", string? user = null, string? group = null, string? token = null, string? name = null)
    {
        var query = new List<string> { "session=" + session };
        if (user is not null)
        {
            query.Add("user=" + Uri.EscapeDataString(user));
        }

        if (group is not null)
        {
            query.Add("id=" + Uri.EscapeDataString(group));
        }

        if (name is not null)
        {
            query.Add("name=" + Uri.EscapeDataString(name));
        }

        if (token is not null)
        {
            query.Add("token=" + Uri.EscapeDataString(token));
        }

        var builder = new UriBuilder(chatUrl) { Scheme = chatUrl.Scheme == "https" ? "wss" : "ws", Path = "/ws", Query = string.Join('&', query) };
        return builder.Uri;
    }

    /// <summary>Connects and waits for the <c>connected</c> frame.</summary>
    public static async Task<ChatClient> ConnectAsync(Uri chatUrl, string session = "person", string? user = null, string? group = null, string? token = null, string? name = null)
    {
        var socket = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await socket.ConnectAsync(SocketUri(chatUrl, session, user, group, token, name), timeout.Token);
        var client = new ChatClient(socket);
        client.Connected = await client.WaitForAsync(f => Type(f) == "connected", "the connected frame");
        return client;
    }

    public static string? Type(JsonElement frame) => frame.TryGetProperty("type", out var type) ? type.GetString() : null;

    public Task SendTextAsync(string text, string? clientId = null)
        => SendJsonAsync(JsonSerializer.Serialize(new Dictionary<string, object?> { ["type"] = "message", ["message"] = new object[] { new Dictionary<string, string> { ["type"] = "plain", ["text"] = text } }, ["clientId"] = clientId }));

    public async Task SendJsonAsync(string json)
    {
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await _socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, timeout.Token);
    }

    /// <summary>Sends a text message and waits for the bot's final answer to it; returns that <c>response.data</c>.</summary>
    public async Task<JsonElement> SayAsync(string text, TimeSpan? timeout = null)
    {
        var clientId = Guid.NewGuid().ToString("N");
        await SendTextAsync(text, clientId);
        var own = await WaitForAsync(f => Type(f) == "message" && f.TryGetProperty("clientId", out var id) && id.GetString() == clientId, $"our message '{text}' to be posted", timeout);
        var messageId = own.GetProperty("message").GetProperty("id").GetString();
        var response = await WaitForAsync(
            f => Type(f) == "response" && f.GetProperty("data").TryGetProperty("replyTo", out var replyTo) && replyTo.GetString() == messageId && f.GetProperty("data").GetProperty("isFinal").GetBoolean(),
            $"the final answer to '{text}' ({messageId})",
            timeout);
        return response.GetProperty("data");
    }

    /// <summary>Waits for the next frame matching <paramref name="match"/>, skipping others.</summary>
    public async Task<JsonElement> WaitForAsync(Func<JsonElement, bool> match, string what, TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            while (true)
            {
                var frame = await _frames.Reader.ReadAsync(cancellation.Token);
                if (match(frame))
                {
                    return frame;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"Timed out waiting for {what}. Frames so far:{Environment.NewLine}{string.Join(Environment.NewLine, Received.Select(f => f.GetRawText()))}");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"The socket closed ({_socket.CloseStatus} {_socket.CloseStatusDescription}) while waiting for {what}. Frames so far:{Environment.NewLine}{string.Join(Environment.NewLine, Received.Select(f => f.GetRawText()))}");
        }
    }

    /// <summary>Waits until the server closes the socket.</summary>
    public async Task WaitClosedAsync(TimeSpan? timeout = null) => await _reader.WaitAsync(timeout ?? DefaultTimeout);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }

        await Task.WhenAny(_reader, Task.Delay(TimeSpan.FromSeconds(2)));
        _socket.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (true)
            {
                message.SetLength(0);
                WebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }

                    message.Write(buffer, 0, result.Count);
                }
                while (!result.EndOfMessage);

                var frame = JsonDocument.Parse(message.ToArray()).RootElement.Clone();
                lock (_received)
                {
                    _received.Add(frame);
                }

                _frames.Writer.TryWrite(frame);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException)
        {
        }
        finally
        {
            _frames.Writer.TryComplete();
        }
    }
}
