using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Protocol.Transports;

namespace Plugboard.Benchmarks;

/// <summary>The second process of the benchmarks: echo peers over stdio and over WebSocket.</summary>
internal static class EchoPeers
{
    public const string RawMode = "peer-raw";
    public const string RpcMode = "peer-rpc";
    public const string WebSocketMode = "peer-ws";

    /// <summary>Copies every Content-Length frame from stdin back to stdout, one flush per frame, without parsing JSON.</summary>
    public static async Task<int> RunRawAsync()
    {
        await using var input = Console.OpenStandardInput();
        await using var output = Console.OpenStandardOutput();
        var reader = PipeReader.Create(input, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 4096, leaveOpen: true));
        var writer = PipeWriter.Create(output, new StreamPipeWriterOptions(leaveOpen: true));
        while (true)
        {
            var result = await reader.ReadAsync();
            var buffer = result.Buffer;
            while (RawFraming.TryReadFrame(ref buffer, out var frame))
            {
                foreach (var segment in frame)
                {
                    writer.Write(segment.Span);
                }

                await writer.FlushAsync();
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        await writer.CompleteAsync();
        await reader.CompleteAsync();
        return 0;
    }

    /// <summary>Serves JSON-RPC <c>echo</c> over stdin/stdout until stdin closes.</summary>
    public static async Task<int> RunRpcAsync()
    {
        var transport = new HeaderDelimitedTransport(Console.OpenStandardInput(), Console.OpenStandardOutput());
        await using var connection = new JsonRpcConnection(transport, BenchJsonContext.CreateConnectionOptions());
        RegisterEcho(connection);
        connection.Start();
        await connection.Completion;
        return 0;
    }

    /// <summary>
    /// Serves <c>/raw</c> (each text message sent straight back) and <c>/rpc</c> (JSON-RPC <c>echo</c>) on a free loopback
    /// port, prints <c>READY &lt;port&gt;</c> on stdout, and stops when stdin closes.
    /// </summary>
    public static async Task<int> RunWebSocketAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        app.UseWebSockets();
        app.Map("/raw", async context =>
        {
            if (await AcceptAsync(context) is { } socket)
            {
                await EchoMessagesAsync(socket, context.RequestAborted);
            }
        });
        app.Map("/rpc", async context =>
        {
            if (await AcceptAsync(context) is { } socket)
            {
                await using var connection = new JsonRpcConnection(new WebSocketTransport(socket), BenchJsonContext.CreateConnectionOptions());
                RegisterEcho(connection);
                connection.Start();
                await connection.Completion;
            }
        });

        await app.StartAsync();
        var port = new Uri(app.Urls.First()).Port;
        await Console.Out.WriteLineAsync($"READY {port.ToString(CultureInfo.InvariantCulture)}");
        await Console.Out.FlushAsync();

        // The benchmark closes our stdin when it is done.
        await using (var stdin = Console.OpenStandardInput())
        {
            await stdin.CopyToAsync(Stream.Null);
        }

        await app.StopAsync();
        return 0;
    }

    private static void RegisterEcho(JsonRpcConnection connection)
        => connection.AddMethod<EchoParams, string>("echo", p => p.Value);

    private static async Task<WebSocket?> AcceptAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return null;
        }

        return await context.WebSockets.AcceptWebSocketAsync();
    }

    private static async Task EchoMessagesAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[128 * 1024];
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                var received = await socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);
                    return;
                }

                length += received.Count;
                if (received.EndOfMessage)
                {
                    await socket.SendAsync(buffer.AsMemory(0, length), received.MessageType, endOfMessage: true, cancellationToken);
                    length = 0;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The benchmark went away.
        }
    }
}
