using Plugboard.Protocol.JsonRpc;
using Plugboard.Protocol.Tests.Infrastructure;
using Plugboard.Protocol.TestServer;

namespace Plugboard.Protocol.Tests.Connection;

/// <summary>
/// The connection suite over in-memory pipes with both ends in this process, plus what only an in-process peer can
/// show: symmetric calls, and the peer's own view of how the connection ended.
/// </summary>
public sealed class InMemoryConnectionTests : ConnectionTests
{
    [Fact]
    public async Task InvokeAsync_BothSidesCallEachOther_AllCallsComplete()
    {
        await using var pair = InMemoryPair.Start(
            new JsonRpcConnectionOptions(),
            TestMethods.CreateOptions(),
            configureClient: client => client.AddMethod<int[], int>("client/multiply", p => p[0] * p[1]),
            configureServer: server => new TestMethods().Register(server));

        var fromClient = Enumerable.Range(0, 50).Select(i => pair.Client.InvokeAsync<int>("subtract", new[] { i, 1 })).ToArray();
        var fromServer = Enumerable.Range(0, 50).Select(i => pair.Server.InvokeAsync<int>("client/multiply", new[] { i, 2 })).ToArray();

        Assert.Equal(Enumerable.Range(0, 50).Select(i => i - 1), await Task.WhenAll(fromClient).Within());
        Assert.Equal(Enumerable.Range(0, 50).Select(i => i * 2), await Task.WhenAll(fromServer).Within());
    }

    [Fact]
    public async Task InvokeAsync_HandlerCallsBackIntoCaller_NestedCallCompletes()
    {
        await using var pair = InMemoryPair.Start(
            new JsonRpcConnectionOptions(),
            new JsonRpcConnectionOptions(),
            configureClient: client => client.AddMethod<string[], string>("client/greet", p => $"hello {p[0]}"),
            configureServer: server => server.AddMethod<string[], string>("server/relay", async (p, context) =>
                "relayed " + await context.Connection.InvokeAsync<string>("client/greet", new[] { p[0] }, context.CancellationToken)));

        Assert.Equal("relayed hello world", await pair.Client.InvokeAsync<string>("server/relay", new[] { "world" }).Within());
    }

    [Fact]
    public async Task InvokeAsync_OrderedClientReceivingCallbacks_StillReadsResponses()
    {
        // An ordered side keeps reading responses while a handler runs, so a handler may await a call to its peer.
        await using var pair = InMemoryPair.Start(
            new JsonRpcConnectionOptions { DispatchMode = DispatchMode.Ordered },
            new JsonRpcConnectionOptions { DispatchMode = DispatchMode.Ordered },
            configureClient: client => client.AddMethod<int[], int>("client/ask", async (p, context) =>
                await context.Connection.InvokeAsync<int>("server/double", new[] { p[0] }, context.CancellationToken)),
            configureServer: server => server.AddMethod<int[], int>("server/double", p => p[0] * 2));

        Assert.Equal(42, await pair.Server.InvokeAsync<int>("client/ask", new[] { 21 }).Within());
    }

    [Fact]
    public async Task CloseAsync_Graceful_PeerSeesRemoteClosedAndRunningHandlerAnswers()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var pair = InMemoryPair.Start(
            new JsonRpcConnectionOptions(),
            new JsonRpcConnectionOptions(),
            configureServer: server => server.AddMethod<int[], int>("server/wait", async (p, _) =>
            {
                started.TrySetResult();
                await release.Task;
                return p[0];
            }));

        var call = pair.Client.InvokeAsync<int>("server/wait", new[] { 7 });
        await started.Task.Within();
        var closing = pair.Server.CloseAsync();

        // While draining, new requests are refused with ShuttingDown; the running one still answers.
        var refused = await Assert.ThrowsAsync<JsonRpcException>(() => pair.Client.InvokeAsync<int>("server/wait", new[] { 8 }).Within());
        Assert.Equal(JsonRpcErrorCodes.ShuttingDown, refused.Code);
        release.SetResult();
        Assert.Equal(7, await call.Within());
        await closing.Within();

        Assert.Equal(DisconnectReason.LocalDispose, (await pair.Server.Completion.Within()).Reason);
        Assert.Equal(DisconnectReason.RemoteClosed, (await pair.Client.Completion.Within()).Reason);
    }

    protected override Task<PeerSession> StartSessionAsync(ClientSettings settings)
    {
        var pair = InMemoryPair.Start(
            settings.Options,
            TestMethods.CreateOptions(settings.OrderedPeer ? DispatchMode.Ordered : DispatchMode.Concurrent),
            configureServer: server => new TestMethods().Register(server),
            clientLogger: settings.Logger);
        return Task.FromResult<PeerSession>(new Session(pair));
    }

    private sealed class Session(InMemoryPair pair) : PeerSession(pair.Client)
    {
        public override async Task ClosePeerAsync() => await pair.Server.DisposeAsync();

        public override ValueTask DisposeAsync() => pair.DisposeAsync();
    }
}
