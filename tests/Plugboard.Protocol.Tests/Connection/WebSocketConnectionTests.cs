using System.Net.WebSockets;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Protocol.Tests.Infrastructure;
using Plugboard.Protocol.Transports;

namespace Plugboard.Protocol.Tests.Connection;

/// <summary>
/// The connection suite over a real loopback WebSocket to a child process: <c>Plugboard.Protocol.TestServer --ws &lt;port&gt;</c>
/// (Kestrel), shared by the tests of this class; each test opens its own WebSocket, which the server serves with a fresh connection.
/// </summary>
public sealed class WebSocketConnectionTests(WebSocketServerFixture servers) : ConnectionTests, IClassFixture<WebSocketServerFixture>
{
    protected override async Task<PeerSession> StartSessionAsync(ClientSettings settings)
    {
        var server = await servers.GetAsync(settings.OrderedPeer);
        var socket = new ClientWebSocket();
        try
        {
            await socket.ConnectAsync(server.Endpoint!, CancellationToken.None).Within();
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var client = new JsonRpcConnection(new WebSocketTransport(socket, settings.Options.MaxMessageSize), settings.Options, settings.Logger);
        client.Start();
        return new Session(client, server);
    }

    private sealed class Session(JsonRpcConnection client, TestServerProcess server) : PeerSession(client)
    {
        /// <summary>The peer goes away: the server process is killed (the fixture starts a new one for the next test).</summary>
        public override Task ClosePeerAsync() => server.KillAsync();

        public override ValueTask DisposeAsync() => Client.DisposeAsync();
    }
}

/// <summary>The WebSocket test servers of <see cref="WebSocketConnectionTests"/>, started on first use and restarted if they died.</summary>
public sealed class WebSocketServerFixture : IAsyncLifetime
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private TestServerProcess? _concurrent;
    private TestServerProcess? _ordered;

    internal async Task<TestServerProcess> GetAsync(bool ordered)
    {
        await _gate.WaitAsync();
        try
        {
            var current = ordered ? _ordered : _concurrent;
            if (current is not null && !current.Process.HasExited)
            {
                return current;
            }

            if (current is not null)
            {
                await current.DisposeAsync();
            }

            current = await TestServerProcess.StartWebSocketAsync(ordered);
            if (ordered)
            {
                _ordered = current;
            }
            else
            {
                _concurrent = current;
            }

            return current;
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var server in new[] { _concurrent, _ordered })
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }

        _gate.Dispose();
    }
}
