using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Plugboard.Cli.Server;
using Plugboard.Runtime.Mcp.Serving;

namespace Plugboard.Cli.Mcp;

/// <summary>
/// MCP Streamable HTTP at <c>/mcp</c> on the runtime's web endpoint, wired by hand onto the official SDK's
/// <see cref="StreamableHttpServerTransport"/> (ModelContextProtocol.AspNetCore is not available): POST carries client
/// messages (answered as SSE), GET opens the server's stream for notifications, DELETE ends a session. Sessions are
/// created by <c>initialize</c> and named by <c>Mcp-Session-Id</c>; requests without a session that are not
/// <c>initialize</c> (the 2026-07-28 per-request revision) are served statelessly. The control token is required
/// (<c>Authorization: Bearer</c> or <c>?access_token=</c>), and on a loopback address Host and Origin must be loopback
/// too (DNS-rebinding protection).
/// </summary>
internal sealed class McpHttpEndpoint : IAsyncDisposable
{
    /// <summary>The endpoint's path.</summary>
    public const string Path = "/mcp";

    private const string SessionHeader = "Mcp-Session-Id";
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(30);

    private readonly PlugboardMcpServer _server;
    private readonly Func<string> _token;
    private readonly string _tokenFile;
    private readonly bool _loopbackOnly;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Timer _sweeper;
    private Task? _disposal;

    public McpHttpEndpoint(PlugboardMcpServer server, Func<string> token, string tokenFile, IPAddress listenAddress, ILoggerFactory loggers)
    {
        _server = server;
        _token = token;
        _tokenFile = tokenFile;
        _loopbackOnly = IPAddress.IsLoopback(listenAddress);
        _loggers = loggers;
        _logger = loggers.CreateLogger("Plugboard.Cli.Mcp");
        _sweeper = new Timer(_ => _ = SweepAsync(), null, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
    }

    /// <summary>Open sessions.</summary>
    public int SessionCount => _sessions.Count;

    /// <summary>Handles one request to <see cref="Path"/>.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        if (!HostAllowed(context.Request))
        {
            McpCliLog.Refused(_logger, EndpointAuth.Remote(context), "Host or Origin is not a loopback name");
            await ErrorAsync(context, StatusCodes.Status403Forbidden, "Forbidden: this MCP endpoint listens on a loopback address and only accepts requests whose Host and Origin are localhost, 127.0.0.1 or [::1] (DNS-rebinding protection).").ConfigureAwait(false);
            return;
        }

        if (!Plugboard.Cli.Server.TokenFile.Matches(EndpointAuth.PresentedToken(context.Request), _token()))
        {
            var message = EndpointAuth.PresentedToken(context.Request) is null
                ? $"Unauthorized: send 'Authorization: Bearer <token>' (or ?access_token=<token>) with the control token from {_tokenFile}."
                : $"Unauthorized: the token is wrong; use the control token from {_tokenFile} on the runtime's machine.";
            McpCliLog.Refused(_logger, EndpointAuth.Remote(context), "missing or wrong token");
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await ErrorAsync(context, StatusCodes.Status401Unauthorized, message).ConfigureAwait(false);
            return;
        }

        switch (context.Request.Method)
        {
            case "POST":
                await PostAsync(context).ConfigureAwait(false);
                break;
            case "GET":
                await GetAsync(context).ConfigureAwait(false);
                break;
            case "DELETE":
                await DeleteAsync(context).ConfigureAwait(false);
                break;
            default:
                context.Response.Headers.Allow = "GET, POST, DELETE";
                await ErrorAsync(context, StatusCodes.Status405MethodNotAllowed, "Method not allowed: MCP Streamable HTTP uses POST, GET and DELETE.").ConfigureAwait(false);
                break;
        }
    }

    /// <summary>Ends every session (runtime shutdown); called when the host starts stopping and again when it is disposed.</summary>
    public ValueTask DisposeAsync()
    {
        lock (_sessions)
        {
            _disposal ??= DisposeCoreAsync();
        }

        return new ValueTask(_disposal);
    }

    private async Task DisposeCoreAsync()
    {
        // The token stays usable (not disposed): requests still running observe it as cancelled.
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _sweeper.DisposeAsync().ConfigureAwait(false);
        await Task.WhenAll(_sessions.Keys.ToList().Select(id => CloseAsync(id, "the runtime is stopping"))).ConfigureAwait(false);
    }

    private async Task PostAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.ContentType is not { } contentType || !contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            await ErrorAsync(context, StatusCodes.Status415UnsupportedMediaType, "Unsupported media type: POST a JSON-RPC message with Content-Type: application/json.").ConfigureAwait(false);
            return;
        }

        var accept = request.Headers.Accept.ToString();
        if (!accept.Contains("application/json", StringComparison.OrdinalIgnoreCase) || !accept.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase))
        {
            await ErrorAsync(context, StatusCodes.Status406NotAcceptable, "Not acceptable: the client must accept both application/json and text/event-stream.").ConfigureAwait(false);
            return;
        }

        JsonRpcMessage? message;
        try
        {
            message = await JsonSerializer.DeserializeAsync(request.Body, (System.Text.Json.Serialization.Metadata.JsonTypeInfo<JsonRpcMessage>)McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(JsonRpcMessage)), context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, $"Bad request: the body is not one JSON-RPC message ({ex.Message}). Batches are not part of MCP.", -32700).ConfigureAwait(false);
            return;
        }

        if (message is null)
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "Bad request: the body is empty; POST one JSON-RPC message.", -32700).ConfigureAwait(false);
            return;
        }

        var sessionId = request.Headers[SessionHeader].ToString();
        if (sessionId.Length > 0)
        {
            if (!_sessions.TryGetValue(sessionId, out var session))
            {
                await ErrorAsync(context, StatusCodes.Status404NotFound, $"Session not found: {sessionId} ended or never existed; start a new session with initialize.", -32001).ConfigureAwait(false);
                return;
            }

            session.Touch();
            context.Response.Headers[SessionHeader] = session.Id;
            await RespondAsync(context, session.Transport, message).ConfigureAwait(false);
            return;
        }

        if (message is JsonRpcRequest { Method: RequestMethods.Initialize })
        {
            var session = StartSession(context);
            context.Response.Headers[SessionHeader] = session.Id;
            await RespondAsync(context, session.Transport, message).ConfigureAwait(false);
            return;
        }

        // No session and not initialize: a per-request (stateless) exchange.
        await using var transport = new StreamableHttpServerTransport(_loggers) { Stateless = true };
        var server = _server.CreateSession(transport, $"stateless request from {EndpointAuth.Remote(context)}");
        var run = server.RunAsync(context.RequestAborted);
        try
        {
            await RespondAsync(context, transport, message).ConfigureAwait(false);
        }
        finally
        {
            await transport.DisposeAsync().ConfigureAwait(false);
            await IgnoreEndAsync(run).ConfigureAwait(false);
            _server.EndSession(server);
            await server.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task GetAsync(HttpContext context)
    {
        if (!context.Request.Headers.Accept.ToString().Contains("text/event-stream", StringComparison.OrdinalIgnoreCase))
        {
            await ErrorAsync(context, StatusCodes.Status406NotAcceptable, "Not acceptable: the GET stream is text/event-stream.").ConfigureAwait(false);
            return;
        }

        var sessionId = context.Request.Headers[SessionHeader].ToString();
        if (sessionId.Length == 0 || !_sessions.TryGetValue(sessionId, out var session))
        {
            await ErrorAsync(context, sessionId.Length == 0 ? StatusCodes.Status400BadRequest : StatusCodes.Status404NotFound, sessionId.Length == 0 ? "Bad request: GET needs the Mcp-Session-Id of an initialized session." : $"Session not found: {sessionId}.", -32001).ConfigureAwait(false);
            return;
        }

        session.Touch();
        StartEventStream(context);
        context.Response.Headers[SessionHeader] = session.Id;
        await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        using var aborted = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        try
        {
            await session.Transport.HandleGetRequestAsync(context.Response.Body, aborted.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The client closed its stream, or the runtime stops.
        }
        catch (InvalidOperationException ex)
        {
            McpCliLog.StreamRefused(_logger, session.Id, ex.Message);
        }
    }

    private async Task DeleteAsync(HttpContext context)
    {
        var sessionId = context.Request.Headers[SessionHeader].ToString();
        if (sessionId.Length == 0 || !_sessions.ContainsKey(sessionId))
        {
            await ErrorAsync(context, sessionId.Length == 0 ? StatusCodes.Status400BadRequest : StatusCodes.Status404NotFound, sessionId.Length == 0 ? "Bad request: DELETE needs the Mcp-Session-Id to end." : $"Session not found: {sessionId}.", -32001).ConfigureAwait(false);
            return;
        }

        await CloseAsync(sessionId, "the client ended it").ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    private Session StartSession(HttpContext context)
    {
        var id = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(16));
        var transport = new StreamableHttpServerTransport(_loggers) { SessionId = id };
        var description = $"{id} ({EndpointAuth.Remote(context)})";
        var server = _server.CreateSession(transport, description);
        var session = new Session(id, transport, server);
        _sessions[id] = session;
        session.Run = Task.Run(() => server.RunAsync(_stopping.Token));
        McpCliLog.SessionOpened(_logger, description);
        return session;
    }

    private async Task CloseAsync(string id, string reason)
    {
        if (!_sessions.TryRemove(id, out var session))
        {
            return;
        }

        await session.Transport.DisposeAsync().ConfigureAwait(false);
        if (session.Run is { } run)
        {
            await IgnoreEndAsync(run).ConfigureAwait(false);
        }

        _server.EndSession(session.Server, reason);
        await session.Server.DisposeAsync().ConfigureAwait(false);
    }

    private async Task SweepAsync()
    {
        foreach (var session in _sessions.Values.Where(s => DateTimeOffset.UtcNow - s.LastActivity > IdleTimeout).ToList())
        {
            await CloseAsync(session.Id, $"idle for {IdleTimeout.TotalMinutes:0} min").ConfigureAwait(false);
        }
    }

    private static async Task RespondAsync(HttpContext context, StreamableHttpServerTransport transport, JsonRpcMessage message)
    {
        StartEventStream(context);
        bool wrote;
        try
        {
            wrote = await transport.HandlePostRequestAsync(message, context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        if (!wrote && !context.Response.HasStarted)
        {
            // A notification or a response from the client: nothing to send back.
            context.Response.Headers.ContentType = default;
            context.Response.Headers.CacheControl = default;
            context.Response.StatusCode = StatusCodes.Status202Accepted;
        }
    }

    private static void StartEventStream(HttpContext context)
    {
        context.Response.Headers.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache,no-store";
        context.Response.Headers.ContentEncoding = "identity";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
    }

    private bool HostAllowed(HttpRequest request)
    {
        if (!_loopbackOnly)
        {
            return true;
        }

        if (!IsLoopbackName(request.Host.Host))
        {
            return false;
        }

        var origin = request.Headers.Origin.ToString();
        return origin.Length == 0 || (Uri.TryCreate(origin, UriKind.Absolute, out var uri) && IsLoopbackName(uri.Host));
    }

    private static bool IsLoopbackName(string host)
    {
        var name = host.Trim('[', ']');
        return name.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(name, out var address) && IPAddress.IsLoopback(address));
    }

    private static async Task ErrorAsync(HttpContext context, int status, string message, int code = -32000)
    {
        context.Response.StatusCode = status;
        context.Response.Headers[EndpointAuth.ErrorHeader] = new string([.. message.Select(c => c is >= ' ' and <= '~' ? c : '?')]);
        context.Response.ContentType = "application/json";
        var error = new JsonRpcError { Id = default, Error = new JsonRpcErrorDetail { Code = code, Message = message } };
        await JsonSerializer.SerializeAsync(context.Response.Body, error, (System.Text.Json.Serialization.Metadata.JsonTypeInfo<JsonRpcError>)McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(JsonRpcError)), context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task IgnoreEndAsync(Task run)
    {
        try
        {
            await run.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException or IOException or ObjectDisposedException or InvalidOperationException or McpException)
        {
            // The session's loop ends with its transport.
        }
    }

    /// <summary>One stateful session.</summary>
    private sealed class Session(string id, StreamableHttpServerTransport transport, McpServer server)
    {
        private long _lastActivity = DateTimeOffset.UtcNow.UtcTicks;

        public string Id { get; } = id;

        public StreamableHttpServerTransport Transport { get; } = transport;

        public McpServer Server { get; } = server;

        public Task? Run { get; set; }

        public DateTimeOffset LastActivity => new(Interlocked.Read(ref _lastActivity), TimeSpan.Zero);

        public void Touch() => Interlocked.Exchange(ref _lastActivity, DateTimeOffset.UtcNow.UtcTicks);
    }
}
