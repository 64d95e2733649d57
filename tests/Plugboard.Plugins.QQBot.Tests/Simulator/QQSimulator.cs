using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Plugboard.Plugins.QQBot.Tests.Simulator;

/// <summary>
/// A protocol-faithful simulator of the QQ Bot Open Platform (API v2) on loopback, built from
/// ../shared/reference/platform-protocols-qq-wecom.md part A: the token endpoint (<c>expires_in</c> as a string,
/// a new token only in the last 60 s), <c>/gateway</c> and <c>/gateway/bot</c> with the session-start limit, the
/// gateway WebSocket state machine (Hello → Identify|Resume → READY|RESUMED + replay, heartbeat ACKs, op 7, op 9,
/// close codes), and the OpenAPI v2 send, rich-media (inline and chunked), recall and interaction endpoints with the
/// platform's rules (Authorization, passive-reply window, msg_id + msg_seq dedupe, 5 replies per message, file_info
/// scope) and its error bodies <c>{message, code, err_code, trace_id}</c> with the <c>X-Tps-trace-Id</c> header.
/// The real platform cannot be reached from these machines, so every adapter test runs against this.
/// Everything is scriptable from tests: server Reconnect, closes with any code, Invalid Session, missed ACKs,
/// dropped connections, replay on resume, duplicate deliveries, REST failures, rate limits and token expiry.
/// </summary>
public sealed partial class QQSimulator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, SimApp> _apps = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly ConcurrentQueue<(SimApp? App, RecordedFrame Frame, SimConnection Connection)> _frames = new();
    private readonly ConcurrentQueue<Fault> _faults = new();
    private readonly ConcurrentDictionary<string, ChunkedUpload> _chunked = new();
    private int _connections;
    private int _partFinishes;

    private QQSimulator(QQSimulatorOptions options)
    {
        Options = options;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(o => o.Limits.MaxRequestBodySize = 256L * 1024 * 1024);
        _app = builder.Build();
        _app.UseWebSockets();
        _app.Use(async (context, next) =>
        {
            context.Response.Headers["X-Tps-trace-Id"] = NewTraceId();
            await next(context);
        });
        MapRoutes(_app);
    }

    /// <summary>The settings.</summary>
    public QQSimulatorOptions Options { get; }

    /// <summary>The OpenAPI base URL, e.g. <c>http://127.0.0.1:port</c>.</summary>
    public string BaseUrl { get; private set; } = string.Empty;

    /// <summary>The token endpoint.</summary>
    public string TokenUrl => BaseUrl + "/app/getAppAccessToken";

    /// <summary>The gateway URL returned by <c>/gateway</c>.</summary>
    public string GatewayUrl => BaseUrl.Replace("http://", "ws://", StringComparison.Ordinal) + "/websocket/";

    /// <summary>Answer gateway upgrade requests with 503 (the gateway is down).</summary>
    public bool RefuseGatewayConnections { get; set; }

    /// <summary>Every HTTP request so far.</summary>
    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    /// <summary>How many gateway connections were accepted.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Starts a simulator on a free loopback port.</summary>
    public static async Task<QQSimulator> StartAsync(QQSimulatorOptions? options = null)
    {
        var simulator = new QQSimulator(options ?? new QQSimulatorOptions());
        await simulator._app.StartAsync();
        var address = simulator._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        simulator.BaseUrl = address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/');
        return simulator;
    }

    /// <summary>Registers a bot application.</summary>
    public SimApp AddApp(string appId, string secret, int allowedIntents = 1107300352 | (1 << 26), string? botName = null)
    {
        var app = new SimApp(this, appId, secret, allowedIntents, "1" + appId.PadLeft(18, '0'), botName ?? "bot-" + appId)
        {
            SessionStartRemaining = Options.SessionStartRemaining,
            SessionStartResetAt = DateTimeOffset.UtcNow.AddMilliseconds(Options.SessionStartResetAfterMs),
        };
        _apps[appId] = app;
        return app;
    }

    /// <summary>A registered app.</summary>
    public SimApp App(string appId) => _apps[appId];

    /// <summary>Makes the next <paramref name="times"/> requests matching <paramref name="match"/> fail with a platform error body.</summary>
    public void FailNext(Func<RecordedRequest, bool> match, int status, long code, string message, int times = 1, TimeSpan? retryAfter = null)
        => _faults.Enqueue(new Fault(match, status, code, message, times, retryAfter));

    /// <summary>Waits until a condition holds (a guard against hanging, not a timing assertion).</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {seconds} s waiting for {what}.");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Waits for a request and returns it.</summary>
    public async Task<RecordedRequest> WaitForRequestAsync(Func<RecordedRequest, bool> match, string what, int count = 1)
    {
        await WaitUntilAsync(() => Requests.Count(match) >= count, what);
        return Requests.Where(match).ElementAt(count - 1);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (_, _, connection) in _frames)
        {
            connection.Socket.Abort();
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    internal void Record(SimConnection connection, bool fromClient, JsonObject frame)
        => _frames.Enqueue((connection.App, new RecordedFrame(connection.Number, fromClient, (JsonObject)frame.DeepClone()), connection));

    internal IReadOnlyList<RecordedFrame> FramesOf(SimApp app) => [.. _frames.Where(f => f.App == app || f.Connection.App == app).Select(f => f.Frame)];

    /// <summary>Resets the session-start counter when its period is over; returns the ms until the next reset.</summary>
    internal long SessionLimit(SimApp app)
    {
        lock (app)
        {
            var now = DateTimeOffset.UtcNow;
            if (now >= app.SessionStartResetAt)
            {
                app.SessionStartRemaining = Options.SessionStartTotal;
                app.SessionStartResetAt = now.AddMilliseconds(Options.SessionStartResetAfterMs);
            }

            return (long)(app.SessionStartResetAt - now).TotalMilliseconds;
        }
    }

    private static string NewTraceId() => Guid.NewGuid().ToString("N");

    private void MapRoutes(WebApplication app)
    {
        app.MapPost("/app/getAppAccessToken", GetTokenAsync);
        MapRest(app, "GET", "/gateway", (context, a) => Ok(context, new JsonObject { ["url"] = GatewayUrl }));
        MapRest(app, "GET", "/gateway/bot", (context, a) =>
        {
            var resetAfter = SessionLimit(a);
            return Ok(context, new JsonObject
            {
                ["url"] = GatewayUrl,
                ["shards"] = 1,
                ["session_start_limit"] = new JsonObject
                {
                    ["total"] = Options.SessionStartTotal,
                    ["remaining"] = a.SessionStartRemaining,
                    ["reset_after"] = resetAfter,
                    ["max_concurrency"] = Options.SessionStartMaxConcurrency,
                },
            });
        });
        app.Map("/websocket", GatewayAsync);
        MapRest(app, "POST", "/v2/users/{openid}/messages", (context, a) => SendQQAsync(context, a, "c2c", Route(context, "openid")));
        MapRest(app, "POST", "/v2/groups/{groupid}/messages", (context, a) => SendQQAsync(context, a, "group", Route(context, "groupid")));
        MapRest(app, "POST", "/channels/{channel}/messages", (context, a) => SendGuildAsync(context, a, "channel", Route(context, "channel")));
        MapRest(app, "POST", "/dms/{guild}/messages", (context, a) => SendGuildAsync(context, a, "dm", Route(context, "guild")));
        MapRest(app, "POST", "/v2/users/{openid}/files", (context, a) => FilesAsync(context, a, "c2c"));
        MapRest(app, "POST", "/v2/groups/{groupid}/files", (context, a) => FilesAsync(context, a, "group"));
        MapRest(app, "POST", "/v2/users/{openid}/upload_prepare", (context, a) => UploadPrepareAsync(context, a, "c2c"));
        MapRest(app, "POST", "/v2/groups/{groupid}/upload_prepare", (context, a) => UploadPrepareAsync(context, a, "group"));
        MapRest(app, "POST", "/v2/users/{openid}/upload_part_finish", PartFinishAsync);
        MapRest(app, "POST", "/v2/groups/{groupid}/upload_part_finish", PartFinishAsync);
        app.MapPut("/cos/{upload}/{index}", PutPartAsync);
        MapRest(app, "DELETE", "/v2/users/{openid}/messages/{id}", RecallAsync);
        MapRest(app, "DELETE", "/v2/groups/{groupid}/messages/{id}", RecallAsync);
        MapRest(app, "DELETE", "/channels/{channel}/messages/{id}", RecallAsync);
        MapRest(app, "DELETE", "/dms/{guild}/messages/{id}", RecallAsync);
        MapRest(app, "PUT", "/interactions/{id}", InteractionAsync);
    }

    private void MapRest(WebApplication app, string method, string pattern, Func<HttpContext, SimApp, Task<(int, JsonNode?, JsonNode?)>> handler)
        => app.MapMethods(pattern, [method], (RequestDelegate)(context => Rest(context, handler)));

    private static string Route(HttpContext context, string name) => (string)context.Request.RouteValues[name]!;

    private async Task GetTokenAsync(HttpContext context)
    {
        var body = await ReadJsonAsync(context);
        var appId = body?["appId"]?.ToString();
        var secret = body?["clientSecret"]?.ToString();
        JsonObject answer;
        if (appId is null || !_apps.TryGetValue(appId, out var app) || app.Secret != secret)
        {
            // [UNVERIFIED] the real error body; clients treat any body without access_token/expires_in as failure.
            answer = new JsonObject { ["code"] = 100016, ["message"] = "invalid appid or secret" };
            Record(context, null, body, 200);
            await WriteAsync(context, 200, answer);
            return;
        }

        Interlocked.Increment(ref app._tokenRequests);
        var now = DateTimeOffset.UtcNow;
        lock (app)
        {
            if (app.CurrentToken is { } current && app.Tokens.TryGetValue(current, out var expires) && expires - now > TimeSpan.FromSeconds(Options.TokenOverlapSeconds))
            {
                // Within a token's life the same token comes back with its remaining lifetime.
                answer = new JsonObject { ["access_token"] = current, ["expires_in"] = ((long)(expires - now).TotalSeconds).ToString(CultureInfo.InvariantCulture) };
            }
            else
            {
                // In the final overlap (or with none) a new token is issued; the old one stays valid until it expires.
                var token = "tok-" + appId + "-" + Guid.NewGuid().ToString("N")[..12];
                app.Tokens[token] = now.AddSeconds(Options.TokenLifetimeSeconds);
                app.CurrentToken = token;
                answer = new JsonObject { ["access_token"] = token, ["expires_in"] = Options.TokenLifetimeSeconds.ToString(CultureInfo.InvariantCulture) };
            }
        }

        Record(context, appId, new JsonObject { ["appId"] = appId, ["clientSecret"] = secret }, 200);
        await WriteAsync(context, 200, answer);
    }

    /// <summary>Authenticates a REST call, applies scripted faults, records it and runs the handler.</summary>
    private async Task Rest(HttpContext context, Func<HttpContext, SimApp, Task<(int Status, JsonNode? Body, JsonNode? Answer)>> handler)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        var app = AppOfToken(authorization);
        JsonNode? body = context.Request.HasFormContentType ? null : await ReadJsonAsync(context);
        if (context.Request.HasFormContentType)
        {
            var form = await context.Request.ReadFormAsync();
            var fields = new JsonObject();
            foreach (var (key, value) in form)
            {
                fields[key] = value.ToString();
            }

            foreach (var file in form.Files)
            {
                fields[file.Name] = $"<{file.Length} bytes: {file.FileName}>";
            }

            body = fields;
        }

        context.Items["body"] = body;
        var path = context.Request.Path + context.Request.QueryString;
        if (app is null)
        {
            Record(context, null, body, 401);
            await ErrorAsync(context, 401, 11244, "token not exist or expire");
            return;
        }

        var probe = new RecordedRequest(context.Request.Method, path, authorization, app.AppId, body, 0, context.Request.ContentType);
        foreach (var fault in _faults)
        {
            if (fault.Remaining > 0 && fault.Match(probe) && Interlocked.Decrement(ref fault.Remaining) >= 0)
            {
                Record(context, app.AppId, body, fault.Status);
                if (fault.RetryAfter is { } after)
                {
                    context.Response.Headers.RetryAfter = ((int)Math.Ceiling(after.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                }

                await ErrorAsync(context, fault.Status, fault.Code, fault.Message);
                return;
            }
        }

        var (status, _, answer) = await handler(context, app);
        Record(context, app.AppId, body, status);
        if (status >= 400)
        {
            var error = (JsonObject)answer!;
            await ErrorAsync(context, status, error["code"]!.GetValue<long>(), error["message"]!.GetValue<string>());
        }
        else
        {
            await WriteAsync(context, status, answer);
        }
    }

    private SimApp? AppOfToken(string authorization)
    {
        if (!authorization.StartsWith("QQBot ", StringComparison.Ordinal))
        {
            return null;
        }

        var token = authorization["QQBot ".Length..];
        return _apps.Values.FirstOrDefault(a => a.Tokens.TryGetValue(token, out var expires) && expires > DateTimeOffset.UtcNow);
    }

    private static Task<(int, JsonNode?, JsonNode?)> Ok(HttpContext context, JsonNode? answer)
        => Task.FromResult<(int, JsonNode?, JsonNode?)>((200, null, answer));

    private static (int, JsonNode?, JsonNode?) Error(int status, long code, string message)
        => (status, null, new JsonObject { ["code"] = code, ["message"] = message });

    private void Record(HttpContext context, string? appId, JsonNode? body, int status)
        => _requests.Enqueue(new RecordedRequest(context.Request.Method, context.Request.Path + context.Request.QueryString, context.Request.Headers.Authorization.ToString() is { Length: > 0 } a ? a : null, appId, body?.DeepClone(), status, context.Request.ContentType));

    private static async Task<JsonNode?> ReadJsonAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync();
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return JsonValue.Create("<invalid json: " + text + ">");
        }
    }

    private static async Task WriteAsync(HttpContext context, int status, JsonNode? answer)
    {
        context.Response.StatusCode = status;
        if (answer is not null)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(answer.ToJsonString());
        }
    }

    /// <summary>The platform's error body, verbatim in shape: <c>{message, code, err_code, trace_id}</c>.</summary>
    private static async Task ErrorAsync(HttpContext context, int status, long code, string message)
    {
        var trace = context.Response.Headers["X-Tps-trace-Id"].ToString();
        await WriteAsync(context, status, new JsonObject { ["message"] = message, ["code"] = code, ["err_code"] = code, ["trace_id"] = trace });
    }

    private sealed class Fault(Func<RecordedRequest, bool> match, int status, long code, string message, int times, TimeSpan? retryAfter)
    {
        public Func<RecordedRequest, bool> Match { get; } = match;

        public int Status { get; } = status;

        public long Code { get; } = code;

        public string Message { get; } = message;

        public TimeSpan? RetryAfter { get; } = retryAfter;

        public int Remaining = times;
    }

    private sealed class ChunkedUpload(string appId, string scope, int fileType, string fileName, long size, string md5, int blockSize, int parts)
    {
        public string AppId { get; } = appId;

        public string Scope { get; } = scope;

        public int FileType { get; } = fileType;

        public string FileName { get; } = fileName;

        public long Size { get; } = size;

        public string Md5 { get; } = md5;

        public int BlockSize { get; } = blockSize;

        public int Parts { get; } = parts;

        public ConcurrentDictionary<int, byte[]> Stored { get; } = new();

        public ConcurrentDictionary<int, bool> Finished { get; } = new();
    }
}
