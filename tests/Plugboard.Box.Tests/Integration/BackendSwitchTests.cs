using System.Net.Sockets;
using Plugboard.Box.Contracts;
using Plugboard.Box.Docker;
using Plugboard.Box.Tests.Docker;
using Plugboard.Box.Tests.Infrastructure;

namespace Plugboard.Box.Tests.Integration;

/// <summary>
/// With <c>auto</c>, the Box re-chooses its backend when the current one goes away: Docker is reached through a proxy
/// socket that the test closes (dockerd itself is shared and must keep running).
/// </summary>
public sealed class BackendSwitchTests
{
    [Fact]
    public async Task Auto_DockerGoesAway_BoxSwitchesToBubblewrapAndRecreatesSessions()
    {
        var proxyPath = Path.Combine(TestPaths.NewDirectory("proxy"), "docker.sock");
        var proxy = UnixSocketProxy.Start(proxyPath, "/var/run/docker.sock");
        await using var box = await BoxProcess.StartAsync(new Dictionary<string, string>
        {
            ["Backend"] = BoxBackendNames.Auto,
            ["Docker__SocketPath"] = proxyPath,
            ["ReaperIntervalSeconds"] = "0.5",
        });
        try
        {
            Assert.Equal(BoxBackendNames.Docker, box.Hello.Backend);
            Assert.Equal("docker\n", (await box.Client.ShAsync("switch", "echo docker")).Stdout);
            Assert.Equal(BoxBackendNames.Docker, (await box.Client.GetSessionAsync("switch")).Backend);

            await proxy.DisposeAsync();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while ((await box.Client.StatusAsync()).Backend != BoxBackendNames.Bubblewrap)
            {
                Assert.True(DateTime.UtcNow < deadline, "the Box did not switch away from the vanished Docker engine");
                await Task.Delay(200);
            }

            var docker = (await box.Client.BackendsAsync()).Single(b => b.Name == BoxBackendNames.Docker);
            Assert.False(docker.Available);
            Assert.Contains("no Docker socket", docker.Reason, StringComparison.Ordinal);

            var after = await box.Client.ShAsync("switch", "echo jailed; id -u");
            Assert.Equal("jailed\n1000\n", after.Stdout);
            Assert.Equal(BoxBackendNames.Bubblewrap, (await box.Client.GetSessionAsync("switch")).Backend);

            // Docker returns: the working backend is kept (no flapping between backends).
            proxy = UnixSocketProxy.Start(proxyPath, "/var/run/docker.sock");
            await Task.Delay(1500);
            Assert.Equal(BoxBackendNames.Bubblewrap, (await box.Client.StatusAsync()).Backend);
        }
        finally
        {
            await proxy.DisposeAsync();
            using var docker = new DockerEngineClient("/var/run/docker.sock");
            foreach (var container in await DockerSessionTests.ContainersOfAsync("switch"))
            {
                await docker.RemoveContainerAsync(container.Id, CancellationToken.None);
            }
        }
    }

    /// <summary>Forwards connections on a unix socket to another unix socket, until disposed.</summary>
    private sealed class UnixSocketProxy : IAsyncDisposable
    {
        private readonly Socket _listener;
        private readonly string _path;
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Socket> _open = [];

        private UnixSocketProxy(Socket listener, string path)
        {
            _listener = listener;
            _path = path;
        }

        public static UnixSocketProxy Start(string path, string target)
        {
            var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(64);
            var proxy = new UnixSocketProxy(listener, path);
            _ = Task.Run(() => proxy.AcceptAsync(target));
            return proxy;
        }

        public async ValueTask DisposeAsync()
        {
            if (_stop.IsCancellationRequested)
            {
                return;
            }

            await _stop.CancelAsync();
            _listener.Dispose();
            File.Delete(_path);
            lock (_open)
            {
                foreach (var socket in _open)
                {
                    socket.Dispose();
                }
            }
        }

        private async Task AcceptAsync(string target)
        {
            while (!_stop.IsCancellationRequested)
            {
                Socket client;
                try
                {
                    client = await _listener.AcceptAsync(_stop.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }

                var upstream = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await upstream.ConnectAsync(new UnixDomainSocketEndPoint(target));
                lock (_open)
                {
                    _open.Add(client);
                    _open.Add(upstream);
                }

                _ = PumpAsync(client, upstream);
                _ = PumpAsync(upstream, client);
            }
        }

        private static async Task PumpAsync(Socket from, Socket to)
        {
            var buffer = new byte[64 * 1024];
            try
            {
                while (true)
                {
                    var read = await from.ReceiveAsync(buffer);
                    if (read == 0)
                    {
                        to.Shutdown(SocketShutdown.Send);
                        return;
                    }

                    await to.SendAsync(buffer.AsMemory(0, read));
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // One side went away.
            }
        }
    }
}
