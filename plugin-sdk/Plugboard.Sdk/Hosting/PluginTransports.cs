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

    /// <summary>The query parameter that names the plugin on the debug endpoint (as the CLI writes it into PLUGBOARD_DEBUG_URL).</summary>
    public const string PluginIdQuery = "plugin";

    /// <summary>The query parameter that tells the debug endpoint the plugin's process id.</summary>
    public const string ProcessIdQuery = "pid";

    /// <summary>
    /// Connects to the debug endpoint: a WebSocket upgrade of <paramref name="url"/> (with <c>plugin=&lt;id&gt;</c> and
    /// <c>pid=&lt;process id&gt;</c> added to the query when absent) and the headers <c>Authorization: Bearer
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
            await socket.ConnectAsync(WithIdentity(uri, pluginId), timeout.Token).ConfigureAwait(false);
            return new WebSocketTransport(socket, options.MaxMessageSize);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Adds <c>plugin</c> and <c>pid</c> to the URL's query unless it already has them.</summary>
    internal static Uri WithIdentity(Uri uri, string pluginId)
    {
        var query = uri.Query.TrimStart('?');
        var names = query.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => Uri.UnescapeDataString(p.Split('=')[0])).ToHashSet(StringComparer.Ordinal);
        var added = new List<string>();
        if (!names.Contains(PluginIdQuery))
        {
            added.Add($"{PluginIdQuery}={Uri.EscapeDataString(pluginId)}");
        }

        if (!names.Contains(ProcessIdQuery))
        {
            added.Add($"{ProcessIdQuery}={Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        }

        if (added.Count == 0)
        {
            return uri;
        }

        var builder = new UriBuilder(uri) { Query = string.Join('&', query.Length == 0 ? added : added.Prepend(query)) };
        return builder.Uri;
    }
}
