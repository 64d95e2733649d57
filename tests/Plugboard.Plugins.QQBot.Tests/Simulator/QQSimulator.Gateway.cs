using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Plugboard.Plugins.QQBot.Tests.Simulator;

/// <summary>The gateway WebSocket: Hello, Identify/Resume, READY/RESUMED with replay, heartbeats, pushes and faults.</summary>
public sealed partial class QQSimulator
{
    private async Task GatewayAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = 400;
            return;
        }

        if (RefuseGatewayConnections)
        {
            context.Response.StatusCode = 503;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var connection = new SimConnection(Interlocked.Increment(ref _connections), socket);
        await connection.SendAsync(new JsonObject { ["op"] = 10, ["d"] = new JsonObject { ["heartbeat_interval"] = (long)Options.HeartbeatInterval.TotalMilliseconds } }, this);
        _ = WatchHeartbeatsAsync(connection);
        var buffer = new ArrayBufferWriter<byte>();
        try
        {
            while (!connection.Abort.IsCancellationRequested)
            {
                buffer.ResetWrittenCount();
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.GetMemory(4096), connection.Abort.Token);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }

                    buffer.Advance(result.Count);
                }
                while (!result.EndOfMessage);

                JsonObject? frame;
                try
                {
                    frame = JsonNode.Parse(buffer.WrittenSpan) as JsonObject;
                }
                catch (JsonException)
                {
                    frame = null;
                }

                if (frame?["op"] is not JsonValue opValue || !opValue.TryGetValue<int>(out var op))
                {
                    await connection.CloseAsync(4002, "invalid payload");
                    continue;
                }

                Record(connection, fromClient: true, frame);
                switch (op)
                {
                    case 1:
                        connection.LastHeartbeat = DateTimeOffset.UtcNow;
                        if (connection.App is not { StopAcking: true })
                        {
                            await connection.SendAsync(new JsonObject { ["op"] = 11 }, this);
                        }

                        break;
                    case 2:
                        await IdentifyAsync(connection, frame["d"] as JsonObject ?? []);
                        break;
                    case 6:
                        await ResumeAsync(connection, frame["d"] as JsonObject ?? []);
                        break;
                    default:
                        await connection.CloseAsync(4001, "invalid opcode");
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            if (connection.Session is { } session && session.Connection == connection)
            {
                session.Connection = null;
                session.DisconnectedAt = DateTimeOffset.UtcNow;
            }

            await connection.Abort.CancelAsync();
        }
    }

    private async Task WatchHeartbeatsAsync(SimConnection connection)
    {
        if (Options.HeartbeatTimeoutIntervals <= 0)
        {
            return;
        }

        var limit = Options.HeartbeatInterval * Options.HeartbeatTimeoutIntervals;
        try
        {
            while (!connection.Abort.IsCancellationRequested)
            {
                await Task.Delay(Options.HeartbeatInterval / 2, connection.Abort.Token);
                if (DateTimeOffset.UtcNow - connection.LastHeartbeat > limit)
                {
                    await connection.CloseAsync(4009, "Session timed out");
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task IdentifyAsync(SimConnection connection, JsonObject d)
    {
        var app = AppOfToken(d["token"]?.ToString() ?? string.Empty);
        if (app is null)
        {
            await connection.CloseAsync(4004, "authentication fail");
            return;
        }

        connection.App = app;
        if (connection.Ready)
        {
            await connection.CloseAsync(4005, "already authenticated");
            return;
        }

        if (app.Banned)
        {
            await connection.CloseAsync(4915, "bot is banned");
            return;
        }

        if (app.SandboxOnly)
        {
            await connection.CloseAsync(4914, "bot is offline, sandbox only");
            return;
        }

        var intents = d["intents"] is JsonValue value && value.TryGetValue<long>(out var i) ? i : 0;
        if ((intents & ~(long)app.AllowedIntents) != 0)
        {
            // Observed on the real gateway: op 9, then close 4903 "create session error" (the docs say 4014).
            await InvalidSessionAsync(connection, Options.UnauthorizedIntentsCloseCode, Options.UnauthorizedIntentsCloseCode == 4014 ? "intent not authorized" : "create session error");
            return;
        }

        var shard = d["shard"] is JsonArray { Count: 2 } s ? new[] { s[0]!.GetValue<int>(), s[1]!.GetValue<int>() } : [0, 1];
        if (shard[0] >= shard[1])
        {
            await connection.CloseAsync(4010, "invalid shard");
            return;
        }

        SessionLimit(app);
        if (app.SessionStartRemaining <= 0)
        {
            // [UNVERIFIED] what the real gateway does; clients must not get here.
            await InvalidSessionAsync(connection, 4903, "session start limit exceeded");
            return;
        }

        app.SessionStartRemaining--;
        Interlocked.Increment(ref app._identifies);
        var session = new SimSession(Guid.NewGuid().ToString(), shard);
        app.Sessions[session.Id] = session;
        await session.Gate.WaitAsync();
        try
        {
            app.ActiveSession = session;
            session.Connection = connection;
            connection.Session = session;
            var seq = ++session.Seq;
            connection.Ready = true;
            await connection.SendAsync(new JsonObject
            {
                ["op"] = 0,
                ["s"] = seq,
                ["t"] = "READY",
                ["d"] = new JsonObject
                {
                    ["version"] = 1,
                    ["session_id"] = session.Id,
                    ["user"] = new JsonObject { ["id"] = app.BotUserId, ["username"] = app.BotName, ["bot"] = true },
                    ["shard"] = new JsonArray(shard[0], shard[1]),
                },
            }, this);
        }
        finally
        {
            session.Gate.Release();
        }
    }

    private async Task ResumeAsync(SimConnection connection, JsonObject d)
    {
        var app = AppOfToken(d["token"]?.ToString() ?? string.Empty);
        if (app is null)
        {
            await connection.CloseAsync(4004, "authentication fail");
            return;
        }

        connection.App = app;
        var sessionId = d["session_id"]?.ToString();
        if (sessionId is null || !app.Sessions.TryGetValue(sessionId, out var session)
            || (session.DisconnectedAt is { } at && session.Connection is null && DateTimeOffset.UtcNow - at > Options.ResumeWindow))
        {
            await InvalidSessionAsync(connection, 4006, "invalid session id");
            return;
        }

        var seq = d["seq"] is JsonValue value && value.TryGetValue<long>(out var s) ? s : -1;
        if (seq < 0 || seq > session.Seq)
        {
            await InvalidSessionAsync(connection, 4007, "invalid seq");
            return;
        }

        Interlocked.Increment(ref app._resumes);
        await session.Gate.WaitAsync();
        try
        {
            if (session.Connection is { } previous && previous != connection)
            {
                await previous.CloseAsync(4009, "Session timed out");
            }

            app.ActiveSession = session;
            session.Connection = connection;
            session.DisconnectedAt = null;
            connection.Session = session;
            foreach (var missed in session.Log.Where(e => e["s"]!.GetValue<long>() > seq).ToList())
            {
                await connection.SendAsync(missed, this);
            }

            connection.Ready = true;
            await connection.SendAsync(new JsonObject { ["op"] = 0, ["s"] = ++session.Seq, ["t"] = "RESUMED", ["d"] = string.Empty }, this);
        }
        finally
        {
            session.Gate.Release();
        }
    }

    internal async Task InvalidSessionAsync(SimConnection connection, int? closeCode, string reason = "create session error")
    {
        await connection.SendAsync(new JsonObject { ["op"] = 9, ["d"] = Options.InvalidSessionAsObject ? new JsonObject { ["can_resume"] = false } : JsonValue.Create(false) }, this);
        if (closeCode is { } code)
        {
            await Task.Delay(100);
            await connection.CloseAsync(code, reason);
        }
    }

    internal async Task<long> PushAsync(SimApp app, string type, JsonObject d, string eventId, bool duplicate)
    {
        var session = app.ActiveSession ?? throw new InvalidOperationException($"App {app.AppId} has no session to push {type} to.");
        RegisterReplyKeys(app, type, d, eventId);
        await session.Gate.WaitAsync();
        try
        {
            var seq = ++session.Seq;
            var frame = new JsonObject { ["op"] = 0, ["s"] = seq, ["t"] = type, ["id"] = eventId, ["d"] = d.DeepClone() };
            session.Log.Add(frame);
            if (session.Connection is { Ready: true } connection)
            {
                await connection.SendAsync(frame, this);
                if (duplicate)
                {
                    await connection.SendAsync(frame, this);
                }
            }

            return seq;
        }
        finally
        {
            session.Gate.Release();
        }
    }

    private static void RegisterReplyKeys(SimApp app, string type, JsonObject d, string eventId)
    {
        var now = DateTimeOffset.UtcNow;
        string? Field(params string[] path)
        {
            JsonNode? node = d;
            foreach (var name in path)
            {
                node = node?[name];
            }

            return node?.ToString();
        }

        switch (type)
        {
            case "C2C_MESSAGE_CREATE":
                app.ReplyKeys[Field("id")!] = new ReplyKey("c2c:" + Field("author", "user_openid"), now, true);
                break;
            case "GROUP_AT_MESSAGE_CREATE" or "GROUP_MESSAGE_CREATE":
                app.ReplyKeys[Field("id")!] = new ReplyKey("group:" + Field("group_openid"), now, false);
                break;
            case "AT_MESSAGE_CREATE" or "MESSAGE_CREATE":
                app.ReplyKeys[Field("id")!] = new ReplyKey("channel:" + Field("channel_id"), now, false);
                break;
            case "DIRECT_MESSAGE_CREATE":
                app.ReplyKeys[Field("id")!] = new ReplyKey("dm:" + Field("guild_id"), now, true);
                break;
            case "INTERACTION_CREATE":
                app.Interactions[Field("id")!] = eventId;
                var scope = Field("chat_type") switch
                {
                    "2" => "c2c:" + Field("user_openid"),
                    "1" => "group:" + Field("group_openid"),
                    _ => "channel:" + Field("channel_id"),
                };
                app.ReplyKeys[eventId] = new ReplyKey(scope, now, scope.StartsWith("c2c:", StringComparison.Ordinal));
                break;
            case "FRIEND_ADD" or "C2C_MSG_RECEIVE":
                app.ReplyKeys[eventId] = new ReplyKey("c2c:" + Field("openid"), now, true);
                break;
            case "GROUP_ADD_ROBOT" or "GROUP_MSG_RECEIVE":
                app.ReplyKeys[eventId] = new ReplyKey("group:" + Field("group_openid"), now, false);
                break;
        }
    }
}
