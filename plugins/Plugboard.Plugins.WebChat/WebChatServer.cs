using System.Net;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Plugins.WebChat;

/// <summary>
/// The HTTP side of one web chat bot: a Kestrel server on the bot's own address serving the chat page, the WebSocket
/// endpoint <c>/ws</c>, and a small JSON API (history, reset, connections). Without a token it accepts only requests
/// addressed to a loopback host name from same-origin pages (no DNS rebinding, no cross-site sockets); with a token,
/// every API call and socket must present it.
/// </summary>
internal sealed class WebChatServer : IAsyncDisposable
{
    private static readonly Assembly Resources = typeof(WebChatServer).Assembly;

    private readonly WebApplication _app;
    private readonly WebChatBot _bot;
    private readonly byte[]? _token;
    private readonly int _maxMessageBytes;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _connections = [];
    private readonly Lock _connectionsLock = new();

    private WebChatServer(WebApplication app, WebChatBot bot, WebChatOptions options)
    {
        _app = app;
        _bot = bot;
        _token = string.IsNullOrEmpty(options.Token) ? null : Encoding.UTF8.GetBytes(options.Token);
        _maxMessageBytes = (int)options.MaxMessageBytes;
    }

    /// <summary>The address the server listens on.</summary>
    public IPEndPoint EndPoint { get; private set; } = new(IPAddress.Loopback, 0);

    /// <summary>Starts the server on <paramref name="address"/> and the configured port (0: a free port).</summary>
    public static async Task<WebChatServer> StartAsync(WebChatBot bot, WebChatOptions options, IPAddress address, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ApplicationName = Resources.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });

        // stdout carries the plugin protocol: Kestrel logs go to the plugin's own (stderr) loggers, and the plugin — not
        // a console lifetime — decides when to stop.
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new ForwardingLoggerProvider(loggers));
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Services.AddSingleton<IHostLifetime, PluginHostLifetime>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(address, (int)options.Port);
            kestrel.Limits.MaxRequestBodySize = 64 * 1024;
        });

        var app = builder.Build();
        var server = new WebChatServer(app, bot, options);
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        server.MapEndpoints();
        await app.StartAsync(cancellationToken);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        var port = bound is not null && Uri.TryCreate(bound, UriKind.Absolute, out var uri) ? uri.Port : (int)options.Port;
        server.EndPoint = new IPEndPoint(address, port);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        Task[] connections;
        lock (_connectionsLock)
        {
            connections = [.. _connections];
        }

        await Task.WhenAny(Task.WhenAll(connections), Task.Delay(TimeSpan.FromSeconds(3)));
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3)))
        {
            try
            {
                await _app.StopAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }

        await _app.DisposeAsync();
        _stopping.Dispose();
    }

    private void MapEndpoints()
    {
        _app.MapGet("/", (HttpContext context) => ServeResource(context, "index.html", "text/html; charset=utf-8"));
        _app.MapGet("/app.js", (HttpContext context) => ServeResource(context, "app.js", "text/javascript; charset=utf-8"));
        _app.MapGet("/style.css", (HttpContext context) => ServeResource(context, "style.css", "text/css; charset=utf-8"));
        _app.MapGet("/healthz", () => Results.Text("ok"));
        _app.MapGet("/api/info", (HttpContext context) => Guarded(context, requireToken: false, () => Json(w =>
        {
            w.WriteString("botId", _bot.BotId);
            w.WriteString("title", _bot.Title);
            w.WriteNumber("protocol", Frames.ProtocolVersion);
            w.WriteBoolean("tokenRequired", _bot.TokenRequired);
        })));
        _app.MapGet("/api/sessions/{type}/{id}/messages", (HttpContext context, string type, string id) => Guarded(context, requireToken: true, () =>
        {
            if (ParseChat(type, id) is not { } chat)
            {
                return Problem(StatusCodes.Status400BadRequest, "bad_session", "The session type is person or group.");
            }

            var history = _bot.TryFindSession(chat, out var session) ? session.History() : [];
            return Json(w =>
            {
                w.WriteStartObject("session");
                w.WriteString("type", ChatSession.TypeName(chat.Type));
                w.WriteString("id", chat.Id);
                w.WriteEndObject();
                w.WriteStartArray("messages");
                foreach (var entry in history)
                {
                    Frames.WriteEntry(w, entry);
                }

                w.WriteEndArray();
            });
        }));
        _app.MapPost("/api/sessions/{type}/{id}/reset", (HttpContext context, string type, string id) => Guarded(context, requireToken: true, () =>
        {
            if (ParseChat(type, id) is not { } chat)
            {
                return Problem(StatusCodes.Status400BadRequest, "bad_session", "The session type is person or group.");
            }

            var cleared = _bot.ResetSession(_bot.GetSession(chat));
            return Json(w => w.WriteNumber("cleared", cleared));
        }));
        _app.MapGet("/api/connections", (HttpContext context) => Guarded(context, requireToken: true, () => Json(w => WriteConnections(w, _bot))));
        _app.Map("/ws", AcceptAsync);
    }

    /// <summary>Writes the connection statistics (also the <c>connections</c> platform action's result).</summary>
    public static void WriteConnections(Utf8JsonWriter w, WebChatBot bot)
    {
        var sessions = bot.Sessions.ToList();
        w.WriteNumber("total", bot.ConnectionCount);
        w.WriteNumber("sessions", sessions.Count);
        w.WriteNumber("person", sessions.Where(s => s.Chat.Type == ChatType.Person).Sum(s => s.ConnectionCount));
        w.WriteNumber("group", sessions.Where(s => s.Chat.Type == ChatType.Group).Sum(s => s.ConnectionCount));
        w.WriteStartArray("connections");
        foreach (var session in sessions)
        {
            foreach (var connection in session.Connections)
            {
                w.WriteStartObject();
                w.WriteString("connectionId", connection.Id);
                w.WriteString("sessionType", ChatSession.TypeName(session.Chat.Type));
                w.WriteString("sessionId", session.Chat.Id);
                w.WriteString("userId", connection.User.Id);
                w.WriteString("connectedAt", connection.ConnectedAt);
                w.WriteString("lastActive", connection.LastActive);
                w.WriteEndObject();
            }
        }

        w.WriteEndArray();
    }

    private async Task AcceptAsync(HttpContext context)
    {
        if (Refusal(context, requireToken: true) is { } refusal)
        {
            await refusal.ExecuteAsync(context);
            return;
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            await Problem(StatusCodes.Status400BadRequest, "not_websocket", "/ws is the chat WebSocket endpoint; connect with a WebSocket client (ws://host:port/ws?session=person).").ExecuteAsync(context);
            return;
        }

        var query = context.Request.Query;
        var type = query["session"].FirstOrDefault() ?? "person";
        if (type is not ("person" or "group"))
        {
            await Problem(StatusCodes.Status400BadRequest, "bad_session", $"session={type} is not a session type: use person or group.").ExecuteAsync(context);
            return;
        }

        var userId = Clean(query["user"].FirstOrDefault()) ?? "web-" + Guid.NewGuid().ToString("N")[..8];
        var user = new User(userId, Clean(query["name"].FirstOrDefault()) ?? userId);
        var chat = type == "group"
            ? new ChatTarget(ChatType.Group, Clean(query["id"].FirstOrDefault()) ?? "lobby")
            : new ChatTarget(ChatType.Person, userId);
        if (!_bot.TryAddConnection())
        {
            Log.ConnectionRefused(_bot.Logger, _bot.BotId, _bot.ConnectionCount);
            await Problem(StatusCodes.Status503ServiceUnavailable, "too_many_connections", "The chat has reached its maxConnections; try again later.").ExecuteAsync(context);
            return;
        }

        try
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var session = _bot.GetSession(chat);
            var connection = new ChatConnection(_bot.NewId("c"), socket, session, user, _bot, _maxMessageBytes, _bot.Logger);
            session.Join(connection);
            connection.Enqueue(Frames.Connected(connection.Id, _bot.BotId, chat, user, _bot.Title));
            connection.Enqueue(Frames.History(chat, session.History()));
            Log.Connected(_bot.Logger, _bot.BotId, connection.Id, session.Key);
            var run = connection.RunAsync(_stopping.Token);
            Track(run);
            try
            {
                await run;
            }
            finally
            {
                session.Leave(connection);
                Log.Disconnected(_bot.Logger, _bot.BotId, connection.Id);
            }
        }
        finally
        {
            _bot.RemoveConnection();
        }
    }

    private void Track(Task run)
    {
        lock (_connectionsLock)
        {
            _connections.RemoveAll(t => t.IsCompleted);
            _connections.Add(run);
        }
    }

    private IResult Guarded(HttpContext context, bool requireToken, Func<IResult> handler)
        => Refusal(context, requireToken) ?? handler();

    /// <summary>Why a request is refused (<see langword="null"/>: accepted).</summary>
    private IResult? Refusal(HttpContext context, bool requireToken)
    {
        var request = context.Request;
        if (_token is null)
        {
            // Loopback without a token: only this machine's host names, and only pages served by this chat.
            if (!IsLoopbackHost(request.Host.Host))
            {
                return Problem(StatusCodes.Status403Forbidden, "bad_host", "Without a token the chat answers only to localhost, 127.0.0.1 or [::1].");
            }

            if (request.Headers.Origin.FirstOrDefault() is { Length: > 0 } origin
                && !(Uri.TryCreate(origin, UriKind.Absolute, out var originUri) && string.Equals(originUri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase)))
            {
                return Problem(StatusCodes.Status403Forbidden, "cross_origin", $"Requests from pages of {origin} are refused; open the chat page of this bot instead.");
            }

            return null;
        }

        if (!requireToken)
        {
            return null;
        }

        var presented = request.Query["token"].FirstOrDefault();
        if (presented is null && request.Headers.Authorization.FirstOrDefault() is { } authorization && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            presented = authorization["Bearer ".Length..].Trim();
        }

        return presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _token)
            ? null
            : Problem(StatusCodes.Status401Unauthorized, "unauthorized", presented is null
                ? "This chat needs its token: add ?token=<token> to the address (or send Authorization: Bearer <token>)."
                : "The token is wrong; use the bot's configured token.");
    }

    private static bool IsLoopbackHost(string host)
        => host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));

    private static ChatTarget? ParseChat(string type, string id) => type switch
    {
        "person" => new ChatTarget(ChatType.Person, id),
        "group" => new ChatTarget(ChatType.Group, id),
        _ => null,
    };

    private static string? Clean(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        value = value.Trim();
        return value.Length > 64 ? value[..64] : value;
    }

    private static IResult ServeResource(HttpContext context, string name, string contentType)
    {
        var stream = Resources.GetManifestResourceStream("wwwroot/" + name);
        if (stream is null)
        {
            return Results.NotFound();
        }

        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Content-Type-Options"] = "nosniff";
        return Results.Stream(stream, contentType);
    }

    private static IResult Json(Action<Utf8JsonWriter> body) => Results.Bytes(Frames.Write(body), "application/json; charset=utf-8");

    private static IResult Problem(int status, string code, string message)
        => Results.Content(
            Encoding.UTF8.GetString(Frames.Write(w =>
            {
                w.WriteString("code", code);
                w.WriteString("message", message);
            })),
            "application/json",
            Encoding.UTF8,
            status);

    /// <summary>Lets the plugin, not console signals, decide when the server stops.</summary>
    private sealed class PluginHostLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>Sends ASP.NET Core's log entries to the plugin's loggers (JSON lines on stderr).</summary>
    private sealed class ForwardingLoggerProvider(ILoggerFactory loggers) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => loggers.CreateLogger(categoryName);

        public void Dispose()
        {
        }
    }
}
