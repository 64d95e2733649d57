using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using Plugboard.Protocol.Transports;

namespace Plugboard.Sdk.Hosting;

/// <summary>
/// Opens the plugin's connection to the runtime: stdio when launched by the runtime, or a WebSocket to the runtime's
/// debug endpoint when <c>PLUGBOARD_DEBUG_URL</c> is set (a plugin started by hand or under <c>dotnet watch</c>).
/// </summary>
internal static class PluginTransports
{
    /// <summary>The request header that names the plugin on the debug endpoint.</summary>
    public const string PluginIdHeader = "Plugboard-Plugin-Id";

    /// <summary>Content-Length framing over this process's stdin and stdout.</summary>
    public static JsonRpcTransport CreateStdio(int maxMessageSize)
        => new HeaderDelimitedTransport(Console.OpenStandardInput(), Console.OpenStandardOutput(), maxMessageSize);

    /// <summary>
    /// Connects to the debug endpoint: a WebSocket upgrade of <paramref name="url"/> with <c>Authorization: Bearer
    /// &lt;token&gt;</c> and <c>Plugboard-Plugin-Id: &lt;id&gt;</c>; then the same protocol as over stdio (the runtime
    /// sends <c>initialize</c>), one JSON-RPC message per text message.
    /// </summary>
    public static async Task<JsonRpcTransport> ConnectDebugAsync(string url, string? token, string pluginId, PluginAppOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("ws" or "wss"))
        {
            throw new ArgumentException($"PLUGBOARD_DEBUG_URL '{url}' is not a ws:// or wss:// URL.");
        }

        logger.DebugConnecting(url, pluginId);
        var socket = new ClientWebSocket();
        try
        {
            if (!string.IsNullOrEmpty(token))
            {
                socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
            }

            socket.Options.SetRequestHeader(PluginIdHeader, pluginId);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.DebugConnectTimeout);
            await socket.ConnectAsync(uri, timeout.Token).ConfigureAwait(false);
            return new WebSocketTransport(socket, options.MaxMessageSize);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
