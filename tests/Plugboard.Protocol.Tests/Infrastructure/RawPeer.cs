using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Protocol.TestServer;
using Plugboard.Protocol.Transports;
using Xunit.Sdk;

namespace Plugboard.Protocol.Tests.Infrastructure;

/// <summary>
/// A connection serving <see cref="TestMethods"/> over in-memory pipes, driven with raw bytes: the test writes
/// exactly the bytes it wants into the engine and reads the engine's raw output frames.
/// </summary>
internal sealed class RawPeer : IAsyncDisposable
{
    private readonly Pipe _input = new();
    private readonly Pipe _output = new();
    private readonly FrameReader _frames;

    private RawPeer(JsonRpcConnectionOptions options, int transportMaxMessageSize, int maxHeaderBytes)
    {
        Methods = new TestMethods();
        var transport = new HeaderDelimitedTransport(_input.Reader, _output.Writer, transportMaxMessageSize, maxHeaderBytes);
        Server = new JsonRpcConnection(transport, options);
        Methods.Register(Server);
        _frames = new FrameReader(_output.Reader);
    }

    public JsonRpcConnection Server { get; }

    public TestMethods Methods { get; }

    /// <summary>Starts a server; <paramref name="maxMessageSize"/> applies to both the options and the transport.</summary>
    public static RawPeer Start(int maxMessageSize = JsonRpcConnectionOptions.DefaultMaxMessageSize, int maxHeaderBytes = HeaderDelimitedTransport.DefaultMaxHeaderBytes, DispatchMode mode = DispatchMode.Concurrent)
    {
        var options = TestMethods.CreateOptions(mode);
        options.MaxMessageSize = maxMessageSize;
        var peer = new RawPeer(options, maxMessageSize, maxHeaderBytes);
        peer.Server.Start();
        return peer;
    }

    /// <summary>Writes raw bytes into the engine; returns whether the engine has stopped reading.</summary>
    public async Task<bool> WriteAsync(ReadOnlyMemory<byte> bytes)
    {
        var result = await _input.Writer.WriteAsync(bytes).Within();
        return result.IsCompleted;
    }

    public Task<bool> WriteAsync(string text) => WriteAsync(Encoding.UTF8.GetBytes(text));

    /// <summary>Writes one correctly framed message.</summary>
    public Task<bool> SendAsync(string json) => WriteAsync(Frames.Of(json));

    /// <summary>Writes one correctly framed message with an arbitrary (possibly invalid UTF-8) body.</summary>
    public Task<bool> SendAsync(byte[] body) => WriteAsync(Frames.Of(body));

    /// <summary>Ends the engine's input (end of stream).</summary>
    public Task EndInputAsync() => _input.Writer.CompleteAsync().AsTask();

    /// <summary>Reads the next frame's body, or <see langword="null"/> at the end of the engine's output.</summary>
    public Task<byte[]?> ReadFrameAsync() => _frames.ReadFrameAsync().Within();

    /// <summary>Reads the next message, failing if the output ended.</summary>
    public async Task<JsonElement> ReceiveAsync()
    {
        var frame = await ReadFrameAsync() ?? throw new XunitException("The engine's output ended; a response was expected.");
        using var document = JsonDocument.Parse(frame);
        return document.RootElement.Clone();
    }

    /// <summary>Sends one message and reads the next one.</summary>
    public async Task<JsonElement> ExchangeAsync(string json)
    {
        await SendAsync(json);
        return await ReceiveAsync();
    }

    /// <summary>Proves the connection still serves requests: a fresh request gets its own answer next.</summary>
    public async Task AssertAliveAsync(string id = "alive")
    {
        var response = await ExchangeAsync($$"""{"jsonrpc":"2.0","id":"{{id}}","method":"subtract","params":[42,23]}""");
        JsonRpcAssert.Result(response, $"\"{id}\"", "19");
    }

    /// <summary>Waits for the engine to end the connection and returns why.</summary>
    public async Task<DisconnectReason> EndedAsync() => (await Server.Completion.Within()).Reason;

    /// <summary>Reads everything left until the engine's output ends.</summary>
    public async Task<List<byte[]>> ReadToEndAsync() => await _frames.ReadToEndAsync().Within();

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await _input.Writer.CompleteAsync();
        await _output.Reader.CompleteAsync();
    }
}
