using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Protocol.TestServer;
using Plugboard.Protocol.Transports;
using Xunit.Sdk;

namespace Plugboard.Protocol.Tests.Infrastructure;

/// <summary>
/// A real loopback TCP connection carrying a WebSocket: the server end runs a connection serving <see cref="TestMethods"/>,
/// the client end is a raw <see cref="WebSocket"/> the test drives frame by frame.
/// </summary>
internal sealed class WebSocketPair : IAsyncDisposable
{
    private WebSocketPair(WebSocket client, Stream clientStream, JsonRpcConnection server)
    {
        Client = client;
        ClientStream = clientStream;
        Server = server;
    }

    public WebSocket Client { get; }

    /// <summary>The client's TCP stream under its WebSocket, for writing bytes that are not valid WebSocket frames.</summary>
    public Stream ClientStream { get; }

    public JsonRpcConnection Server { get; }

    public static async Task<WebSocketPair> StartAsync(int maxMessageSize = JsonRpcConnectionOptions.DefaultMaxMessageSize)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var clientSocket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accepted = listener.AcceptSocketAsync();
        await clientSocket.ConnectAsync(listener.LocalEndpoint).Within();
        var serverSocket = await accepted.Within();

        var serverWebSocket = WebSocket.CreateFromStream(new NetworkStream(serverSocket, ownsSocket: true), new WebSocketCreationOptions { IsServer = true });
        var clientStream = new NetworkStream(clientSocket, ownsSocket: true);
        var clientWebSocket = WebSocket.CreateFromStream(clientStream, new WebSocketCreationOptions { IsServer = false });
        var options = TestMethods.CreateOptions();
        options.MaxMessageSize = maxMessageSize;
        var server = new JsonRpcConnection(new WebSocketTransport(serverWebSocket, maxMessageSize), options);
        new TestMethods().Register(server);
        server.Start();
        return new WebSocketPair(clientWebSocket, clientStream, server);
    }

    /// <summary>Sends one text message split into frames of <paramref name="fragmentSize"/> bytes (0: one frame).</summary>
    public async Task SendTextAsync(byte[] message, int fragmentSize = 0)
    {
        if (fragmentSize <= 0)
        {
            await Client.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).Within();
            return;
        }

        for (var offset = 0; offset < message.Length; offset += fragmentSize)
        {
            var count = Math.Min(fragmentSize, message.Length - offset);
            await Client.SendAsync(message.AsMemory(offset, count), WebSocketMessageType.Text, endOfMessage: offset + count == message.Length, CancellationToken.None).Within();
        }
    }

    public Task SendTextAsync(string message, int fragmentSize = 0) => SendTextAsync(Encoding.UTF8.GetBytes(message), fragmentSize);

    /// <summary>Receives one whole text message and parses it.</summary>
    public async Task<JsonElement> ReceiveAsync()
    {
        using var message = new MemoryStream();
        var buffer = new byte[4096];
        while (true)
        {
            var received = await Client.ReceiveAsync(buffer.AsMemory(), CancellationToken.None).Within();
            if (received.MessageType != WebSocketMessageType.Text)
            {
                throw new XunitException($"Expected a text message, got {received.MessageType}.");
            }

            message.Write(buffer, 0, received.Count);
            if (received.EndOfMessage)
            {
                using var document = JsonDocument.Parse(message.ToArray());
                return document.RootElement.Clone();
            }
        }
    }

    public async Task<JsonElement> ExchangeAsync(string json, int fragmentSize = 0)
    {
        await SendTextAsync(json, fragmentSize);
        return await ReceiveAsync();
    }

    public async Task AssertAliveAsync()
    {
        var response = await ExchangeAsync("""{"jsonrpc":"2.0","id":"alive","method":"subtract","params":[42,23]}""");
        JsonRpcAssert.Result(response, "\"alive\"", "19");
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Client.Dispose();
    }
}
