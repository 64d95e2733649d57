using Microsoft.Extensions.Logging;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Protocol.Tests.Connection;

/// <summary>How a test wants its client connection and its peer.</summary>
public sealed class ClientSettings
{
    /// <summary>The client connection's options; the transport's incoming size limit follows <see cref="JsonRpcConnectionOptions.MaxMessageSize"/>.</summary>
    public JsonRpcConnectionOptions Options { get; init; } = new();

    /// <summary>The client connection's logger.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>Whether the peer dispatches in arrival order (<see cref="DispatchMode.Ordered"/>) rather than concurrently.</summary>
    public bool OrderedPeer { get; init; }
}

/// <summary>A started client connection to a peer serving the test method contract, over one kind of transport.</summary>
public abstract class PeerSession : IAsyncDisposable
{
    protected PeerSession(JsonRpcConnection client)
    {
        Client = client;
    }

    /// <summary>The client connection, started.</summary>
    public JsonRpcConnection Client { get; }

    /// <summary>Makes the peer end the connection from its side (it goes away; the client sees its end of stream).</summary>
    public abstract Task ClosePeerAsync();

    /// <summary>Disposes the client and the peer.</summary>
    public abstract ValueTask DisposeAsync();
}
