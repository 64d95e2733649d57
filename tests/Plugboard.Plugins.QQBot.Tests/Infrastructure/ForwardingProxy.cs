using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Plugboard.Plugins.QQBot.Tests.Infrastructure;

/// <summary>
/// A minimal HTTP proxy on loopback, enough to prove traffic goes through it: CONNECT tunnels (.NET's WebSocket client
/// tunnels even <c>ws://</c>), and absolute-form requests (<c>GET http://host/path</c>) forwarded to the origin, which
/// accepts absolute-form targets, with <c>Connection: close</c> so every request comes on its own connection. Records
/// the request line of every proxied connection.
/// </summary>
internal sealed class ForwardingProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();

    public ForwardingProxy()
    {
        _listener.Start();
        _ = AcceptAsync();
    }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public ConcurrentQueue<string> RequestLines { get; } = new();

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var head = await ReadHeadAsync(stream);
                var firstLine = head[..head.IndexOf("\r\n", StringComparison.Ordinal)];
                RequestLines.Enqueue(firstLine);
                var parts = firstLine.Split(' ');
                using var upstream = new TcpClient();
                if (parts[0] == "CONNECT")
                {
                    var hostPort = parts[1].Split(':');
                    await upstream.ConnectAsync(hostPort[0], int.Parse(hostPort[1], System.Globalization.CultureInfo.InvariantCulture));
                    await stream.WriteAsync("HTTP/1.1 200 Connection Established\r\n\r\n"u8.ToArray());
                }
                else
                {
                    var target = new Uri(parts[1]);
                    await upstream.ConnectAsync(target.Host, target.Port);

                    // One request per connection, so every request line is seen (the client reconnects for the next).
                    if (!head.Contains("\r\nUpgrade:", StringComparison.OrdinalIgnoreCase))
                    {
                        head = head[..^2] + "Connection: close\r\n\r\n";
                    }

                    await upstream.GetStream().WriteAsync(Encoding.Latin1.GetBytes(head));
                }

                var down = upstream.GetStream();
                await Task.WhenAny(stream.CopyToAsync(down), down.CopyToAsync(stream));
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or FormatException or ArgumentException)
            {
            }
        }
    }

    /// <summary>Reads up to the end of the request head, byte by byte (so nothing after it is consumed).</summary>
    private static async Task<string> ReadHeadAsync(NetworkStream stream)
    {
        var head = new StringBuilder();
        var buffer = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(buffer) == 0)
            {
                throw new IOException("the client closed before the request head ended");
            }

            head.Append((char)buffer[0]);
        }

        return head.ToString();
    }
}
