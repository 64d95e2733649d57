using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Plugboard.Plugins.WeComBot.Tests.Simulator;

/// <summary>A frame the simulator received, exactly as sent.</summary>
/// <param name="Connection">The connection number (1-based, in accept order).</param>
/// <param name="Raw">The UTF-8 text of the frame.</param>
/// <param name="Json">The parsed frame.</param>
/// <param name="At">When it arrived.</param>
internal sealed record SimFrame(int Connection, string Raw, JsonObject Json, DateTimeOffset At)
{
    public string? Cmd => Json["cmd"]?.GetValue<string>();

    public string ReqId => Json["headers"]?["req_id"]?.GetValue<string>() ?? string.Empty;

    public JsonObject? Body => Json["body"] as JsonObject;

    public JsonObject? Stream => Body?["stream"] as JsonObject;
}

/// <summary>How the simulator answers one client frame.</summary>
internal abstract record AckPlan
{
    public static AckPlan Ok { get; } = new Answer(0, "ok");

    public static AckPlan Drop { get; } = new Dropped();

    public static AckPlan Error(int code, string message) => new Answer(code, message);

    public static AckPlan Delay(TimeSpan delay, AckPlan then) => new Delayed(delay, then);

    public sealed record Answer(int Code, string Message) : AckPlan;

    public sealed record Dropped : AckPlan;

    public sealed record Delayed(TimeSpan Wait, AckPlan Then) : AckPlan;
}

/// <summary>
/// A protocol-faithful simulator of WeCom's AI-bot servers (platform-protocols-qq-wecom.md part B), since the real
/// ones cannot be reached from the test machines: the long-connection WebSocket (subscribe first and acked before
/// anything else, 853000 for bad credentials, ping acks, an ack per reply frame echoing the req_id, 846605 for
/// unknown req_ids, 846608 for streams past their lifetime, one-frame-in-flight checks per req_id, takeover with
/// <c>disconnected_event</c>, chunked media upload) and an HTTP host serving encrypted media. Scriptable faults:
/// rejected subscribes, dropped or delayed acks, conflicts (6000), refused connections, abrupt disconnects.
/// </summary>
internal sealed class WeComSimulator : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Wire = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, string> _bots = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SimConnection> _subscribed = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ServerRequest> _serverRequests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (byte[] Content, string? FileName)> _media = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Upload> _uploads = new(StringComparer.Ordinal);
    private readonly List<SimFrame> _frames = [];
    private readonly List<string> _violations = [];
    private readonly List<SimConnection> _connections = [];
    private readonly Lock _lock = new();
    private int _serverReqCounter;
    private int _conflictsLeft;
    private int _subscribeRejectionsLeft;

    private WeComSimulator(WebApplication app)
    {
        _app = app;
    }

    public string BaseUrl { get; private set; } = string.Empty;

    public Uri WebSocketUrl => new(BaseUrl.Replace("http://", "ws://", StringComparison.Ordinal));

    /// <summary>Answers ping frames (default true).</summary>
    public bool AckPings { get; set; } = true;

    /// <summary>Waits this long before acking a good subscribe.</summary>
    public TimeSpan SubscribeAckDelay { get; set; }

    /// <summary>Refuses WebSocket upgrades with 503 (a server that is down).</summary>
    public bool RefuseConnections { get; set; }

    /// <summary>Stream updates this long after the callback fail with 846608 (WeCom: about 6 minutes).</summary>
    public TimeSpan StreamLifetime { get; set; } = TimeSpan.FromMinutes(6);

    /// <summary>Welcome and card-update frames must come this soon after their event (WeCom: 5 s).</summary>
    public TimeSpan AnswerWindow { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Overrides the answer to client frames (default: the protocol checks and an ok ack).</summary>
    public Func<SimFrame, AckPlan?>? AckPolicy { get; set; }

    /// <summary>Makes server req_ids (default: opaque ids with non-ASCII characters, to check byte-exact echo).</summary>
    public Func<int, string> ServerReqId { get; set; } = n => $"R{n}_回调/+=é";

    /// <summary>Client frames as received, in order.</summary>
    public IReadOnlyList<SimFrame> Frames
    {
        get
        {
            lock (_lock)
            {
                return [.. _frames];
            }
        }
    }

    /// <summary>Protocol violations seen (frames before subscribe, a second frame of a req_id before its ack, ...).</summary>
    public IReadOnlyList<string> Violations
    {
        get
        {
            lock (_lock)
            {
                return [.. _violations];
            }
        }
    }

    /// <summary>WebSocket connections accepted so far.</summary>
    public int ConnectionCount
    {
        get
        {
            lock (_lock)
            {
                return _connections.Count;
            }
        }
    }

    /// <summary>Finished uploads by media id.</summary>
    public IReadOnlyDictionary<string, (string Type, string FileName, byte[] Content)> Uploads
        => _uploads.Values.Where(u => u.MediaId is not null).ToDictionary(u => u.MediaId!, u => (u.Type, u.FileName, u.Assemble()));

    public static async Task<WeComSimulator> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var simulator = new WeComSimulator(app);
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
        app.Map("/media/{id}", simulator.ServeMediaAsync);
        app.Map("/", simulator.AcceptAsync);
        await app.StartAsync();
        simulator.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return simulator;
    }

    public void AddBot(string botId, string secret) => _bots[botId] = secret;

    /// <summary>Rejects the next <paramref name="count"/> subscribes with 853000 even with the right secret.</summary>
    public void RejectNextSubscribes(int count) => Interlocked.Exchange(ref _subscribeRejectionsLeft, count);

    /// <summary>Answers the next <paramref name="count"/> reply frames with errcode 6000 (command conflict).</summary>
    public void ConflictNext(int count) => Interlocked.Exchange(ref _conflictsLeft, count);

    /// <summary>Drops every connection without a close frame (a network failure).</summary>
    public void DropConnections()
    {
        foreach (var connection in Snapshot())
        {
            connection.Socket.Abort();
        }
    }

    /// <summary>When connection <paramref name="number"/> got its subscribe ack (null: never).</summary>
    public DateTimeOffset? SubscribedAt(int number) => Snapshot().FirstOrDefault(c => c.Number == number)?.SubscribedAt;

    /// <summary>Whether a bot has a live subscribed connection.</summary>
    public bool IsSubscribed(string botId) => _subscribed.TryGetValue(botId, out var c) && c.Socket.State == WebSocketState.Open;

    /// <summary>Sends <c>aibot_msg_callback</c> to the bot's connection; returns the server req_id.</summary>
    public Task<string> PushMessageAsync(string botId, JsonObject body) => PushAsync(botId, "aibot_msg_callback", body, "message");

    /// <summary>Sends <c>aibot_event_callback</c> to the bot's connection; returns the server req_id.</summary>
    public Task<string> PushEventAsync(string botId, JsonObject body)
        => PushAsync(botId, "aibot_event_callback", body, body["event"]?["eventtype"]?.GetValue<string>() ?? "event");

    /// <summary>Serves <paramref name="plain"/> encrypted with a fresh per-item aeskey (or the one given); returns its URL and key.</summary>
    public (string Url, string AesKey) AddMedia(byte[] plain, string? fileName = null, string? aesKey = null)
    {
        aesKey ??= SimCrypto.NewMediaKey();
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        _media[id] = (SimCrypto.EncryptMedia(plain, aesKey), fileName);
        return ($"{BaseUrl}/media/{id}", aesKey);
    }

    /// <summary>Waits for a client frame matching <paramref name="match"/> (already received or future).</summary>
    public async Task<SimFrame> WaitForFrameAsync(Func<SimFrame, bool> match, string what, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            if (Frames.FirstOrDefault(match) is { } frame)
            {
                return frame;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The simulator saw no {what} within {seconds} s. Frames: {string.Join(" | ", Frames.Select(f => f.Raw))}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>The reply frames for one server req_id, in order.</summary>
    public IReadOnlyList<SimFrame> RepliesTo(string reqId) => [.. Frames.Where(f => f.ReqId == reqId && f.Cmd is not ("ping" or "aibot_subscribe"))];

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in Snapshot())
        {
            connection.Socket.Abort();
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private List<SimConnection> Snapshot()
    {
        lock (_lock)
        {
            return [.. _connections];
        }
    }

    private async Task<string> PushAsync(string botId, string cmd, JsonObject body, string kind)
    {
        if (!_subscribed.TryGetValue(botId, out var connection))
        {
            throw new InvalidOperationException($"Bot {botId} has no subscribed connection.");
        }

        var reqId = ServerReqId(Interlocked.Increment(ref _serverReqCounter));
        _serverRequests[reqId] = new ServerRequest(kind, DateTimeOffset.UtcNow);
        var frame = new JsonObject { ["cmd"] = cmd, ["headers"] = new JsonObject { ["req_id"] = reqId }, ["body"] = body.DeepClone() };
        await connection.SendAsync(frame);
        return reqId;
    }

    private async Task ServeMediaAsync(HttpContext context)
    {
        var id = (string)context.Request.RouteValues["id"]!;
        if (!_media.TryGetValue(id, out var media))
        {
            context.Response.StatusCode = 404;
            return;
        }

        context.Response.ContentType = "application/octet-stream";
        if (media.FileName is { } name)
        {
            context.Response.Headers.ContentDisposition = $"attachment; filename*=UTF-8''{Uri.EscapeDataString(name)}";
        }

        await context.Response.Body.WriteAsync(media.Content);
    }

    private async Task AcceptAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = 400;
            return;
        }

        if (RefuseConnections)
        {
            context.Response.StatusCode = 503;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        SimConnection connection;
        lock (_lock)
        {
            connection = new SimConnection(_connections.Count + 1, socket);
            _connections.Add(connection);
        }

        try
        {
            await ServeAsync(connection, context.RequestAborted);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            if (connection.BotId is { } botId)
            {
                _subscribed.TryRemove(new KeyValuePair<string, SimConnection>(botId, connection));
            }
        }
    }

    private async Task ServeAsync(SimConnection connection, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 20];
        while (connection.Socket.State == WebSocketState.Open)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult result;
            do
            {
                result = await connection.Socket.ReceiveAsync(buffer, cancellationToken);
                message.Write(buffer, 0, result.Count);
            }
            while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

            if (result.MessageType == WebSocketMessageType.Close)
            {
                await connection.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", cancellationToken);
                return;
            }

            var raw = Encoding.UTF8.GetString(message.ToArray());
            if (JsonNode.Parse(raw) is not JsonObject json)
            {
                Violation($"connection {connection.Number}: a frame that is not a JSON object: {raw}");
                continue;
            }

            var frame = new SimFrame(connection.Number, raw, json, DateTimeOffset.UtcNow);
            lock (_lock)
            {
                _frames.Add(frame);
            }

            await HandleAsync(connection, frame);
        }
    }

    private async Task HandleAsync(SimConnection connection, SimFrame frame)
    {
        var reqId = frame.ReqId;
        if (connection.BotId is null)
        {
            if (frame.Cmd != "aibot_subscribe")
            {
                // WeCom expects the subscribe first; the simulator closes the connection like a strict server would.
                Violation($"connection {connection.Number}: first frame was {frame.Cmd}, not aibot_subscribe");
                await connection.Socket.CloseOutputAsync(WebSocketCloseStatus.PolicyViolation, "subscribe first", CancellationToken.None);
                return;
            }

            await SubscribeAsync(connection, frame);
            return;
        }

        if (frame.Cmd == "ping")
        {
            if (AckPings)
            {
                await connection.AckAsync(reqId, 0, "ok");
            }

            return;
        }

        if (frame.Cmd == "aibot_subscribe")
        {
            Violation($"connection {connection.Number}: a second aibot_subscribe on one connection");
            return;
        }

        if (!connection.BeginInFlight(reqId))
        {
            Violation($"connection {connection.Number}: {frame.Cmd} for req_id {reqId} sent while the previous frame of that req_id waited for its ack");
        }

        var plan = AckPolicy?.Invoke(frame) ?? Check(frame);
        JsonObject? ackBody = null;
        if (plan is AckPlan.Answer { Code: 0 })
        {
            ackBody = HandleUpload(frame, out var uploadError);
            if (uploadError is not null)
            {
                plan = uploadError;
                ackBody = null;
            }
        }

        _ = AnswerAsync(connection, reqId, plan, ackBody);
    }

    private async Task AnswerAsync(SimConnection connection, string reqId, AckPlan plan, JsonObject? body)
    {
        while (plan is AckPlan.Delayed delayed)
        {
            await Task.Delay(delayed.Wait);
            plan = delayed.Then;
        }

        connection.EndInFlight(reqId);
        if (plan is AckPlan.Answer answer)
        {
            try
            {
                await connection.AckAsync(reqId, answer.Code, answer.Message, body);
            }
            catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or InvalidOperationException)
            {
            }
        }
    }

    /// <summary>The protocol checks WeCom's server makes (as far as they are known).</summary>
    private AckPlan Check(SimFrame frame)
    {
        switch (frame.Cmd)
        {
            case "aibot_respond_msg" or "aibot_respond_welcome_msg" or "aibot_respond_update_msg":
                if (!_serverRequests.TryGetValue(frame.ReqId, out var request))
                {
                    return AckPlan.Error(846605, "invalid req_id");
                }

                if (Interlocked.Decrement(ref _conflictsLeft) >= 0)
                {
                    return AckPlan.Error(6000, "conflict, please retry");
                }

                var age = DateTimeOffset.UtcNow - request.At;
                if (frame.Cmd == "aibot_respond_msg" && frame.Body?["msgtype"]?.GetValue<string>() is "stream" or "stream_with_template_card" && age > StreamLifetime)
                {
                    return AckPlan.Error(846608, "stream message update expired");
                }

                if (frame.Cmd == "aibot_respond_welcome_msg" && (request.Kind != "enter_chat" || age > AnswerWindow))
                {
                    return AckPlan.Error(846605, "invalid req_id");
                }

                if (frame.Cmd == "aibot_respond_update_msg" && (request.Kind != "template_card_event" || age > AnswerWindow))
                {
                    return AckPlan.Error(846605, "invalid req_id");
                }

                if (frame.Stream?["content"]?.GetValue<string>() is { } content && Encoding.UTF8.GetByteCount(content) > 20480)
                {
                    return AckPlan.Error(40058, "content exceeds 20480 bytes");
                }

                return AckPlan.Ok;
            case "aibot_send_msg":
                return frame.Body?["chatid"] is null ? AckPlan.Error(40058, "chatid missing") : AckPlan.Ok;
            case "aibot_upload_media_init" or "aibot_upload_media_chunk" or "aibot_upload_media_finish":
                return AckPlan.Ok;
            default:
                return AckPlan.Error(40008, "unknown cmd");
        }
    }

    private JsonObject? HandleUpload(SimFrame frame, out AckPlan? error)
    {
        error = null;
        var body = frame.Body;
        switch (frame.Cmd)
        {
            case "aibot_upload_media_init":
                var upload = new Upload(body!["type"]!.GetValue<string>(), body["filename"]!.GetValue<string>(), body["total_size"]!.GetValue<int>(), body["total_chunks"]!.GetValue<int>(), body["md5"]!.GetValue<string>());
                var uploadId = "upload_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
                _uploads[uploadId] = upload;
                return new JsonObject { ["upload_id"] = uploadId };
            case "aibot_upload_media_chunk":
                if (!_uploads.TryGetValue(body!["upload_id"]!.GetValue<string>(), out var target))
                {
                    error = AckPlan.Error(40058, "invalid upload_id");
                    return null;
                }

                target.Chunks[body["chunk_index"]!.GetValue<int>()] = Convert.FromBase64String(body["base64_data"]!.GetValue<string>());
                return null;
            case "aibot_upload_media_finish":
                if (!_uploads.TryGetValue(body!["upload_id"]!.GetValue<string>(), out var done))
                {
                    error = AckPlan.Error(40058, "invalid upload_id");
                    return null;
                }

                var content = done.Assemble();
                if (content.Length != done.TotalSize || Convert.ToHexStringLower(MD5.HashData(content)) != done.Md5 || done.Chunks.Count != done.TotalChunks)
                {
                    error = AckPlan.Error(40058, "upload incomplete or md5 mismatch");
                    return null;
                }

                done.MediaId = "media_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
                return new JsonObject { ["type"] = done.Type, ["media_id"] = done.MediaId, ["created_at"] = "1712000000" };
            default:
                return null;
        }
    }

    private async Task SubscribeAsync(SimConnection connection, SimFrame frame)
    {
        var botId = frame.Body?["bot_id"]?.GetValue<string>() ?? string.Empty;
        var secret = frame.Body?["secret"]?.GetValue<string>() ?? string.Empty;
        var reject = Interlocked.Decrement(ref _subscribeRejectionsLeft) >= 0;
        if (reject || !_bots.TryGetValue(botId, out var expected) || expected != secret)
        {
            await connection.AckAsync(frame.ReqId, 853000, "invalid bot_id or secret");
            return;
        }

        connection.BotId = botId;
        if (_subscribed.TryGetValue(botId, out var previous) && previous != connection)
        {
            // Another connection took over: WeCom tells the old one, then closes it.
            var evt = new JsonObject
            {
                ["cmd"] = "aibot_event_callback",
                ["headers"] = new JsonObject { ["req_id"] = ServerReqId(Interlocked.Increment(ref _serverReqCounter)) },
                ["body"] = new JsonObject
                {
                    ["msgid"] = "disc_" + connection.Number, ["create_time"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(), ["aibotid"] = botId,
                    ["from"] = new JsonObject { ["userid"] = string.Empty }, ["msgtype"] = "event", ["event"] = new JsonObject { ["eventtype"] = "disconnected_event" },
                },
            };
            try
            {
                await previous.SendAsync(evt);
                await previous.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "another connection subscribed", CancellationToken.None);
            }
            catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or InvalidOperationException)
            {
            }
        }

        _subscribed[botId] = connection;
        if (SubscribeAckDelay > TimeSpan.Zero)
        {
            await Task.Delay(SubscribeAckDelay);
        }

        connection.SubscribedAt = DateTimeOffset.UtcNow;
        await connection.AckAsync(frame.ReqId, 0, "ok");
    }

    private void Violation(string text)
    {
        lock (_lock)
        {
            _violations.Add(text);
        }
    }

    private sealed record ServerRequest(string Kind, DateTimeOffset At);

    private sealed class Upload(string type, string fileName, int totalSize, int totalChunks, string md5)
    {
        public string Type { get; } = type;

        public string FileName { get; } = fileName;

        public int TotalSize { get; } = totalSize;

        public int TotalChunks { get; } = totalChunks;

        public string Md5 { get; } = md5;

        public ConcurrentDictionary<int, byte[]> Chunks { get; } = new();

        public string? MediaId { get; set; }

        // chunk_index is 0-based in WeCom's SDK code, 1-based in its type comment: accept either.
        public byte[] Assemble() => [.. Chunks.OrderBy(c => c.Key).SelectMany(c => c.Value)];
    }

    private sealed class SimConnection(int number, WebSocket socket)
    {
        private readonly SemaphoreSlim _send = new(1, 1);
        private readonly HashSet<string> _inFlight = new(StringComparer.Ordinal);

        public int Number { get; } = number;

        public WebSocket Socket { get; } = socket;

        public string? BotId { get; set; }

        public DateTimeOffset? SubscribedAt { get; set; }

        public bool BeginInFlight(string reqId)
        {
            lock (_inFlight)
            {
                return _inFlight.Add(reqId);
            }
        }

        public void EndInFlight(string reqId)
        {
            lock (_inFlight)
            {
                _inFlight.Remove(reqId);
            }
        }

        public Task AckAsync(string reqId, int code, string message, JsonObject? body = null)
        {
            var ack = new JsonObject { ["headers"] = new JsonObject { ["req_id"] = reqId }, ["errcode"] = code, ["errmsg"] = message };
            if (body is not null)
            {
                ack["body"] = body;
            }

            return SendAsync(ack);
        }

        public async Task SendAsync(JsonObject frame)
        {
            var bytes = JsonSerializer.SerializeToUtf8Bytes(frame, Wire);
            await _send.WaitAsync();
            try
            {
                await Socket.SendAsync(bytes, WebSocketMessageType.Text, true, CancellationToken.None);
            }
            finally
            {
                _send.Release();
            }
        }
    }
}
