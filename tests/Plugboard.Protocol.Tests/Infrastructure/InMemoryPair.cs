using System.IO.Pipelines;
using Microsoft.Extensions.Logging;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Protocol.Transports;

namespace Plugboard.Protocol.Tests.Infrastructure;

/// <summary>Two connections joined by a pair of in-memory pipes (header-delimited framing), both in this process.</summary>
internal sealed class InMemoryPair : IAsyncDisposable
{
    private InMemoryPair(JsonRpcConnection client, JsonRpcConnection server)
    {
        Client = client;
        Server = server;
    }

    public JsonRpcConnection Client { get; }

    public JsonRpcConnection Server { get; }

    /// <summary>Creates both connections, lets the callers register methods, and starts them.</summary>
    public static InMemoryPair Start(
        JsonRpcConnectionOptions clientOptions,
        JsonRpcConnectionOptions serverOptions,
        Action<JsonRpcConnection>? configureClient = null,
        Action<JsonRpcConnection>? configureServer = null,
        ILogger? clientLogger = null)
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        var client = new JsonRpcConnection(new HeaderDelimitedTransport(toClient.Reader, toServer.Writer, clientOptions.MaxMessageSize), clientOptions, clientLogger);
        var server = new JsonRpcConnection(new HeaderDelimitedTransport(toServer.Reader, toClient.Writer, serverOptions.MaxMessageSize), serverOptions);
        configureClient?.Invoke(client);
        configureServer?.Invoke(server);
        server.Start();
        client.Start();
        return new InMemoryPair(client, server);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Server.DisposeAsync();
    }
}
