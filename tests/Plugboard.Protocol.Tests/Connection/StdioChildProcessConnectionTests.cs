using Plugboard.Protocol.JsonRpc;
using Plugboard.Protocol.Tests.Infrastructure;
using Plugboard.Protocol.Transports;

namespace Plugboard.Protocol.Tests.Connection;

/// <summary>
/// The connection suite over OS pipes to a real child process: <c>dotnet Plugboard.Protocol.TestServer.dll</c>, one
/// process per test, speaking over its stdin/stdout.
/// </summary>
public sealed class StdioChildProcessConnectionTests : ConnectionTests
{
    [Fact]
    public async Task CloseAsync_Graceful_ChildSeesEndOfStreamAndExits()
    {
        var session = (Session)await StartAsync();
        Assert.Equal(3, await session.Client.InvokeAsync<int>("sum", new[] { 1, 2 }).Within());

        await session.Client.CloseAsync().Within();

        Assert.Equal(0, await session.Server.WaitForExitAsync(TestTimeouts.Step));
        Assert.Contains("(RemoteClosed)", session.Server.StandardError, StringComparison.Ordinal);
    }

    protected override Task<PeerSession> StartSessionAsync(ClientSettings settings)
    {
        var server = TestServerProcess.StartStdio(settings.OrderedPeer);
        var transport = new HeaderDelimitedTransport(server.Process.StandardOutput.BaseStream, server.Process.StandardInput.BaseStream, settings.Options.MaxMessageSize);
        var client = new JsonRpcConnection(transport, settings.Options, settings.Logger);
        client.Start();
        return Task.FromResult<PeerSession>(new Session(client, server));
    }

    private sealed class Session(JsonRpcConnection client, TestServerProcess server) : PeerSession(client)
    {
        public TestServerProcess Server => server;

        /// <summary>The peer goes away: the process is killed, so its end of the pipes closes.</summary>
        public override Task ClosePeerAsync() => server.KillAsync();

        public override async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await server.DisposeAsync();
        }
    }
}
