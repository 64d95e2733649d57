using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Plugboard.Cli.Configuration;
using Plugboard.Cli.Control;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Protocol.Transports;
using Plugboard.Runtime;

namespace Plugboard.Cli.Server;

/// <summary>
/// The HTTP surface of <c>plugboard run</c>: <c>GET /healthz</c>, the control endpoint (<c>/control</c>, JSON-RPC over
/// WebSocket, control token) and the debug-attach endpoint (<c>/debug</c>, WebSocket, debug token).
/// </summary>
internal sealed class RuntimeEndpoints
{
    /// <summary>The control endpoint's path.</summary>
    public const string ControlPath = "/control";

    /// <summary>The debug endpoint's path.</summary>
    public const string DebugPath = "/debug";

    /// <summary>The health endpoint's path.</summary>
    public const string HealthPath = "/healthz";

    /// <summary>The query parameter naming the plugin a debug connection attaches to (also <c>/debug/{id}</c>).</summary>
    public const string PluginQueryParameter = "plugin";

    /// <summary>The optional query parameter with the attaching process's id.</summary>
    public const string ProcessIdQueryParameter = "pid";

    /// <summary>The log category of control connections' JSON-RPC engine (quiet below Warning unless logging:level is Debug).</summary>
    public const string ConnectionLogCategory = "Plugboard.Cli.ControlConnection";

    private readonly PlugboardRuntime _runtime;
    private readonly PlugboardSettings _settings;
    private readonly string _controlToken;
    private readonly string? _debugToken;
    private readonly ILogger _logger;
    private readonly ILogger _connectionLogger;
    private readonly IHostApplicationLifetime _lifetime;

    public RuntimeEndpoints(PlugboardRuntime runtime, PlugboardSettings settings, string controlToken, string? debugToken, IHostApplicationLifetime lifetime, ILoggerFactory loggers)
    {
        _logger = loggers.CreateLogger("Plugboard.Cli.Endpoints");
        _connectionLogger = loggers.CreateLogger(ConnectionLogCategory);
        _runtime = runtime;
        _settings = settings;
        _controlToken = controlToken;
        _debugToken = debugToken;
        _lifetime = lifetime;
    }

    /// <summary>The base address (<c>http://127.0.0.1:7420</c>) once Kestrel listens.</summary>
    public string? BaseAddress { get; set; }

    /// <summary>When the runtime started.</summary>
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>The control endpoint URL.</summary>
    public string ControlUrl => WebSocketBase + ControlPath;

    /// <summary>The debug endpoint URL, when enabled.</summary>
    public string? DebugUrl => _debugToken is null ? null : WebSocketBase + DebugPath;

    /// <summary>The health endpoint URL.</summary>
    public string HealthUrl => BaseAddress + HealthPath;

    private string WebSocketBase => "ws" + BaseAddress!["http".Length..];

    /// <summary>Maps the endpoints.</summary>
    public void Map(WebApplication app)
    {
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        app.MapGet(HealthPath, Health);
        app.Map(ControlPath, ControlAsync);
        app.Map(DebugPath, DebugAsync);
        app.Map(DebugPath + "/{pluginId}", DebugAsync);
    }

    /// <summary>What <c>runtime/info</c> answers.</summary>
    public RuntimeInfoResult Info() => new(
        RuntimeInfo.Version,
        Environment.ProcessId,
        _settings.DataDirectory,
        _settings.PluginDirectories,
        ControlUrl,
        DebugUrl,
        ProtocolVersions.Supported,
        StartedAt);

    private IResult Health()
    {
        var counts = _runtime.GetPlugins().GroupBy(p => p.State.ToString()).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return Results.Json(new HealthReport("ok", RuntimeInfo.Version, counts), CliJsonContext.Default.HealthReport);
    }

    private async Task ControlAsync(HttpContext context)
    {
        var remote = EndpointAuth.Remote(context);
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await EndpointAuth.RefuseAsync(context, StatusCodes.Status400BadRequest, StatusCodes.Status400BadRequest, "The control endpoint speaks JSON-RPC over WebSocket: open a WebSocket to this URL with the header 'Authorization: Bearer <token>'.");
            return;
        }

        if (!TokenFile.Matches(EndpointAuth.PresentedToken(context.Request), _controlToken))
        {
            var message = EndpointAuth.PresentedToken(context.Request) is null
                ? $"A control token is required: send 'Authorization: Bearer <token>' with the token from {_settings.Control.TokenFile}."
                : $"The control token is wrong: use the token from {_settings.Control.TokenFile} on the runtime's machine.";
            ServerLog.Refused(_logger, "control", remote, message);
            await EndpointAuth.RefuseAsync(context, StatusCodes.Status401Unauthorized, StatusCodes.Status401Unauthorized, message);
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var options = CliJsonContext.CreateConnectionOptions(_settings.Limits.MaxMessageSize, _settings.Limits.MaxConcurrentRequests);
        var connection = new JsonRpcConnection(new WebSocketTransport(socket, _settings.Limits.MaxMessageSize), options, _connectionLogger);
        var session = new ControlSession(_runtime, connection, Info, remote, _logger);
        ServerLog.ControlConnected(_logger, remote);
        connection.Start();
        using var stopping = _lifetime.ApplicationStopping.Register(() => _ = connection.CloseAsync(new CancellationTokenSource(TimeSpan.FromSeconds(2)).Token));
        var end = await connection.Completion;
        await session.DisposeAsync();
        await connection.DisposeAsync();
        ServerLog.ControlDisconnected(_logger, remote, end.Description);
    }

    private async Task DebugAsync(HttpContext context)
    {
        var remote = EndpointAuth.Remote(context);
        if (_debugToken is null)
        {
            await EndpointAuth.RefuseAsync(context, StatusCodes.Status404NotFound, StatusCodes.Status404NotFound, "Debug attach is disabled on this runtime (debug:enabled is false).");
            return;
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            await EndpointAuth.RefuseAsync(context, StatusCodes.Status400BadRequest, StatusCodes.Status400BadRequest, "The debug endpoint takes a WebSocket from a plugin process: set PLUGBOARD_DEBUG_URL and PLUGBOARD_DEBUG_TOKEN and start the plugin.");
            return;
        }

        var presented = EndpointAuth.PresentedToken(context.Request);
        if (!TokenFile.Matches(presented, _debugToken))
        {
            var message = presented is null
                ? $"A debug token is required: set PLUGBOARD_DEBUG_TOKEN to the token in {_settings.Debug.TokenFile} (`plugboard debug env` writes it into your project)."
                : $"The debug token is wrong: PLUGBOARD_DEBUG_TOKEN must be the token in {_settings.Debug.TokenFile}; run `plugboard debug env` in your plugin project to refresh it.";
            ServerLog.Refused(_logger, "debug", remote, message);
            await EndpointAuth.RefuseAsync(context, StatusCodes.Status401Unauthorized, StatusCodes.Status401Unauthorized, message);
            return;
        }

        var pluginId = context.Request.RouteValues.TryGetValue("pluginId", out var routed) && routed is string fromRoute
            ? fromRoute
            : context.Request.Query[PluginQueryParameter].ToString();
        if (string.IsNullOrEmpty(pluginId))
        {
            await EndpointAuth.RefuseAsync(context, StatusCodes.Status400BadRequest, StatusCodes.Status400BadRequest, $"Name the plugin to attach to: {DebugUrl}?plugin=<plugin-id> (the id in plugin.json).");
            return;
        }

        try
        {
            _runtime.EnsureCanAttach(pluginId);
        }
        catch (JsonRpcException ex)
        {
            var status = ex.Code == PlugboardErrorCodes.PluginNotFound ? StatusCodes.Status404NotFound : StatusCodes.Status409Conflict;
            var message = ex.Code == PlugboardErrorCodes.PluginNotFound
                ? $"No plugin '{pluginId}' is installed in this runtime. Install it first (`plugboard plugin install <folder>`), then attach; the id must match plugin.json."
                : ex.Message;
            ServerLog.Refused(_logger, "debug", remote, message);
            await EndpointAuth.RefuseAsync(context, status, ex.Code, message);
            return;
        }

        int? processId = int.TryParse(context.Request.Query[ProcessIdQueryParameter], System.Globalization.CultureInfo.InvariantCulture, out var pid) ? pid : null;
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var transport = new WebSocketTransport(socket, _settings.Limits.MaxMessageSize);
        var options = new DebugAttachOptions
        {
            ReattachGrace = _settings.Debug.ReattachGrace,
            RemoteDescription = remote,
            ProcessId = processId,
            OnRejected = async reason =>
            {
                if (socket.State == WebSocketState.Open)
                {
                    try
                    {
                        await socket.CloseOutputAsync(WebSocketCloseStatus.PolicyViolation, Truncate(reason), CancellationToken.None);
                    }
                    catch (WebSocketException)
                    {
                    }
                }
            },
        };
        try
        {
            await _runtime.RunDebugSessionAsync(pluginId, transport, options, _lifetime.ApplicationStopping);
        }
        catch (JsonRpcException)
        {
            // Logged by the runtime; the peer got the reason in the close frame.
        }
    }

    /// <summary>A WebSocket close reason is at most 123 UTF-8 bytes.</summary>
    private static string Truncate(string reason)
    {
        if (Encoding.UTF8.GetByteCount(reason) <= 123)
        {
            return reason;
        }

        var builder = new StringBuilder();
        foreach (var rune in reason.EnumerateRunes())
        {
            if (Encoding.UTF8.GetByteCount(builder.ToString()) + rune.Utf8SequenceLength > 120)
            {
                break;
            }

            builder.Append(rune.ToString());
        }

        return builder.Append("...").ToString();
    }
}
