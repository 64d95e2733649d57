using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text.Json;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Protocol.Transports;

namespace Plugboard.Benchmarks;

/// <summary>The two payload sizes every scenario runs with.</summary>
internal enum PayloadSize
{
    Small,
    Large,
}

/// <summary>
/// The echoed values (~100 characters and 64 KiB, the same text as tests/interop/node/bench.js) and, for the raw
/// baselines, the exact bytes of the equivalent JSON-RPC request, so baseline and subject move equal-sized messages.
/// </summary>
internal sealed class Payloads
{
    public const int SmallChars = 100;
    public const int LargeChars = 64 * 1024;

    public Payloads()
    {
        Small = Text(SmallChars);
        Large = Text(LargeChars);
        SmallRequest = Request(Small);
        LargeRequest = Request(Large);
        SmallFrame = RawFraming.BuildFrame(SmallRequest);
        LargeFrame = RawFraming.BuildFrame(LargeRequest);
    }

    public string Small { get; }

    public string Large { get; }

    public byte[] SmallRequest { get; }

    public byte[] LargeRequest { get; }

    public byte[] SmallFrame { get; }

    public byte[] LargeFrame { get; }

    public string Value(PayloadSize size) => size == PayloadSize.Small ? Small : Large;

    public byte[] RequestBytes(PayloadSize size) => size == PayloadSize.Small ? SmallRequest : LargeRequest;

    public byte[] Frame(PayloadSize size) => size == PayloadSize.Small ? SmallFrame : LargeFrame;

    private static string Text(int length)
    {
        const string Pattern = "plugboard-benchmark-0123456789-";
        return string.Concat(Enumerable.Repeat(Pattern, (length / Pattern.Length) + 1))[..length];
    }

    private static byte[] Request(string value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("jsonrpc", "2.0");
            writer.WriteNumber("id", 1_000_000);
            writer.WriteString("method", "echo");
            writer.WriteStartObject("params");
            writer.WriteString("value", value);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>One side of an echo scenario: a sequential round trip, and a pipelined run with many requests in flight.</summary>
internal abstract class EchoClient : IAsyncDisposable
{
    protected EchoClient(Payloads payloads) => Payloads = payloads;

    protected Payloads Payloads { get; }

    /// <summary>One request and its response.</summary>
    public abstract ValueTask RoundTripAsync(PayloadSize size);

    /// <summary>Keeps <paramref name="inFlight"/> requests outstanding until <paramref name="deadline"/> (a <see cref="Stopwatch"/> timestamp); returns how many completed.</summary>
    public abstract Task<long> PipelineAsync(PayloadSize size, int inFlight, long deadline);

    public abstract ValueTask DisposeAsync();
}

/// <summary>
/// A raw echo: the peer sends every frame straight back. Pipelining uses one sender and one receiver, with a window of
/// <c>inFlight</c> frames, so the only work is framing and the transport itself.
/// </summary>
internal abstract class RawEchoClient(Payloads payloads) : EchoClient(payloads)
{
    public override async ValueTask RoundTripAsync(PayloadSize size)
    {
        await SendAsync(size);
        await ReceiveAsync();
    }

    public override async Task<long> PipelineAsync(PayloadSize size, int inFlight, long deadline)
    {
        using var window = new SemaphoreSlim(inFlight, inFlight);
        using var sentSignal = new SemaphoreSlim(0);
        long sent = 0;
        var senderDone = false;
        var sender = Task.Run(async () =>
        {
            try
            {
                while (Stopwatch.GetTimestamp() < deadline)
                {
                    await window.WaitAsync();
                    await SendAsync(size);
                    Interlocked.Increment(ref sent);
                    sentSignal.Release();
                }
            }
            finally
            {
                Volatile.Write(ref senderDone, true);
                sentSignal.Release();
            }
        });

        long received = 0;
        while (true)
        {
            if (received == Interlocked.Read(ref sent))
            {
                if (Volatile.Read(ref senderDone) && received == Interlocked.Read(ref sent))
                {
                    break;
                }

                await sentSignal.WaitAsync();
                continue;
            }

            await ReceiveAsync();
            received++;
            window.Release();
        }

        await sender;
        return received;
    }

    protected abstract ValueTask SendAsync(PayloadSize size);

    protected abstract ValueTask ReceiveAsync();
}

/// <summary>Raw Content-Length frames over the stdio pipes of a <c>peer-raw</c> process.</summary>
internal sealed class RawPipeEchoClient : RawEchoClient
{
    private readonly PeerProcess _peer;
    private readonly PipeReader _reader;
    private readonly PipeWriter _writer;

    public RawPipeEchoClient(Payloads payloads)
        : base(payloads)
    {
        _peer = PeerProcess.StartSelf(EchoPeers.RawMode);

        // The same pipe options as HeaderDelimitedTransport, so only the framing and JSON-RPC layers differ.
        _reader = PipeReader.Create(_peer.Output, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 4096, leaveOpen: true));
        _writer = PipeWriter.Create(_peer.Input, new StreamPipeWriterOptions(leaveOpen: true));
    }

    public override async ValueTask DisposeAsync()
    {
        await _writer.CompleteAsync();
        await _reader.CompleteAsync();
        await _peer.DisposeAsync();
    }

    protected override async ValueTask SendAsync(PayloadSize size)
    {
        _writer.Write(Payloads.Frame(size));
        await _writer.FlushAsync();
    }

    protected override async ValueTask ReceiveAsync() => await RawFraming.ReadFrameAsync(_reader);
}

/// <summary>Raw WebSocket text messages to the <c>/raw</c> endpoint of a <c>peer-ws</c> process.</summary>
internal sealed class RawWebSocketEchoClient : RawEchoClient
{
    private readonly ClientWebSocket _socket;
    private readonly byte[] _receiveBuffer = new byte[128 * 1024];

    private RawWebSocketEchoClient(Payloads payloads, ClientWebSocket socket)
        : base(payloads)
    {
        _socket = socket;
    }

    public static async Task<RawWebSocketEchoClient> ConnectAsync(Payloads payloads, int port)
        => new(payloads, await WebSocketPeer.ConnectAsync(port, "raw"));

    public override async ValueTask DisposeAsync() => await WebSocketPeer.CloseAsync(_socket);

    protected override ValueTask SendAsync(PayloadSize size)
        => _socket.SendAsync(Payloads.RequestBytes(size).AsMemory(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    protected override async ValueTask ReceiveAsync()
    {
        var length = 0;
        while (true)
        {
            var received = await _socket.ReceiveAsync(_receiveBuffer.AsMemory(length), CancellationToken.None);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                throw new EndOfStreamException("The WebSocket echo peer closed the connection in the middle of the benchmark.");
            }

            length += received.Count;
            if (received.EndOfMessage)
            {
                return;
            }
        }
    }
}

/// <summary>JSON-RPC <c>echo</c> calls through a <see cref="JsonRpcConnection"/>; pipelining runs <c>inFlight</c> concurrent callers.</summary>
internal sealed class RpcEchoClient : EchoClient
{
    private readonly JsonRpcConnection _connection;
    private readonly IAsyncDisposable? _owner;
    private readonly EchoParams _small;
    private readonly EchoParams _large;

    private RpcEchoClient(Payloads payloads, JsonRpcTransport transport, IAsyncDisposable? owner)
        : base(payloads)
    {
        _connection = new JsonRpcConnection(transport, BenchJsonContext.CreateConnectionOptions());
        _connection.Start();
        _owner = owner;
        _small = new EchoParams(payloads.Small);
        _large = new EchoParams(payloads.Large);
    }

    /// <summary>Over the stdio pipes of a <c>peer-rpc</c> process.</summary>
    public static RpcEchoClient OverPipes(Payloads payloads)
    {
        var peer = PeerProcess.StartSelf(EchoPeers.RpcMode);
        return new RpcEchoClient(payloads, new HeaderDelimitedTransport(peer.Output, peer.Input), peer);
    }

    /// <summary>Over WebSocket to the <c>/rpc</c> endpoint of a <c>peer-ws</c> process.</summary>
    public static async Task<RpcEchoClient> OverWebSocketAsync(Payloads payloads, int port)
        => new(payloads, new WebSocketTransport(await WebSocketPeer.ConnectAsync(port, "rpc")), null);

    public override async ValueTask RoundTripAsync(PayloadSize size)
    {
        var parameters = size == PayloadSize.Small ? _small : _large;
        var result = await _connection.InvokeAsync<string>("echo", parameters);
        if (result.Length != parameters.Value.Length)
        {
            throw new InvalidDataException($"echo returned {result.Length} characters instead of {parameters.Value.Length}.");
        }
    }

    public override async Task<long> PipelineAsync(PayloadSize size, int inFlight, long deadline)
    {
        long completed = 0;
        var workers = new Task[inFlight];
        for (var i = 0; i < inFlight; i++)
        {
            workers[i] = Worker();
        }

        await Task.WhenAll(workers);
        return completed;

        async Task Worker()
        {
            // Start every caller before the first one waits.
            await Task.Yield();
            while (Stopwatch.GetTimestamp() < deadline)
            {
                await RoundTripAsync(size);
                Interlocked.Increment(ref completed);
            }
        }
    }

    public override async ValueTask DisposeAsync()
    {
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _connection.CloseAsync(timeout.Token);
        }

        if (_owner is not null)
        {
            await _owner.DisposeAsync();
        }
    }
}

/// <summary>Connecting to and closing the <c>peer-ws</c> endpoints.</summary>
internal static class WebSocketPeer
{
    public static async Task<ClientWebSocket> ConnectAsync(int port, string path)
    {
        var socket = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/{path}"), timeout.Token);
        return socket;
    }

    public static async Task CloseAsync(ClientWebSocket socket)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The peer is already gone.
        }

        socket.Dispose();
    }
}
