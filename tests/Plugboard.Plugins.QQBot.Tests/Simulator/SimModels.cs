using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Plugboard.Plugins.QQBot.Tests.Simulator;

/// <summary>An HTTP request the simulator received.</summary>
/// <param name="Method">GET, POST, PUT, DELETE.</param>
/// <param name="Path">The path with its query string.</param>
/// <param name="Authorization">The Authorization header.</param>
/// <param name="AppId">The app the token belongs to, if valid.</param>
/// <param name="Body">The JSON body (or the multipart fields as an object), if any.</param>
/// <param name="Status">The status the simulator answered.</param>
/// <param name="ContentType">The request content type.</param>
public sealed record RecordedRequest(string Method, string Path, string? Authorization, string? AppId, JsonNode? Body, int Status, string? ContentType)
{
    /// <summary>A body property as a string (numbers as text).</summary>
    public string? Field(string name) => Body?[name] is JsonValue value
        ? value.TryGetValue<string>(out var text) ? text : value.ToJsonString()
        : null;
}

/// <summary>A gateway frame, in either direction.</summary>
/// <param name="Connection">The connection number (1, 2, ...).</param>
/// <param name="FromClient">True for frames the adapter sent.</param>
/// <param name="Frame">The frame.</param>
public sealed record RecordedFrame(int Connection, bool FromClient, JsonObject Frame)
{
    /// <summary>The opcode.</summary>
    public int Op => Frame["op"]!.GetValue<int>();
}

/// <summary>A reply-keyed id the simulator pushed (a message id or an event id) and its replies.</summary>
internal sealed class ReplyKey(string scope, DateTimeOffset pushedAt, bool isPerson)
{
    public string Scope { get; } = scope;

    public DateTimeOffset PushedAt { get; } = pushedAt;

    public bool IsPerson { get; } = isPerson;

    public int Replies { get; set; }

    public HashSet<long> Seqs { get; } = [];
}

/// <summary>A gateway session: its id, its event log (for replay) and its sequence.</summary>
internal sealed class SimSession(string id, int[] shard)
{
    public string Id { get; } = id;

    public int[] Shard { get; } = shard;

    public long Seq { get; set; }

    public List<JsonObject> Log { get; } = [];

    public SimConnection? Connection { get; set; }

    public DateTimeOffset? DisconnectedAt { get; set; }

    public SemaphoreSlim Gate { get; } = new(1, 1);
}

/// <summary>One gateway WebSocket connection.</summary>
internal sealed class SimConnection(int number, WebSocket socket)
{
    private readonly SemaphoreSlim _send = new(1, 1);

    public int Number { get; } = number;

    public WebSocket Socket { get; } = socket;

    public SimApp? App { get; set; }

    public SimSession? Session { get; set; }

    public bool Ready { get; set; }

    public DateTimeOffset LastHeartbeat { get; set; } = DateTimeOffset.UtcNow;

    public CancellationTokenSource Abort { get; } = new();

    public async Task SendAsync(JsonObject frame, QQSimulator simulator)
    {
        simulator.Record(this, fromClient: false, frame);
        await _send.WaitAsync().ConfigureAwait(false);
        try
        {
            if (Socket.State == WebSocketState.Open)
            {
                await Socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(frame, SimJson.Options), WebSocketMessageType.Text, true, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
        finally
        {
            _send.Release();
        }
    }

    public async Task CloseAsync(int code, string reason)
    {
        await _send.WaitAsync().ConfigureAwait(false);
        try
        {
            if (Socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await Socket.CloseOutputAsync((WebSocketCloseStatus)code, reason, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
        finally
        {
            _send.Release();
        }

        // Let the close frame reach the client and its answer come back (the receive loop then ends by itself);
        // tearing the connection down at once could drop the close frame, and the client would see a bare drop.
        _ = Task.Delay(TimeSpan.FromSeconds(2)).ContinueWith(_ => Abort.Cancel(), TaskScheduler.Default);
    }
}

/// <summary>The simulator's JSON settings (the platform writes snake_case fields by hand, so no naming policy).</summary>
internal static class SimJson
{
    public static readonly JsonSerializerOptions Options = new() { TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver() };
}

/// <summary>A bot application known to the simulator.</summary>
public sealed class SimApp
{
    private readonly QQSimulator _simulator;

    internal SimApp(QQSimulator simulator, string appId, string secret, int allowedIntents, string botUserId, string botName)
    {
        _simulator = simulator;
        AppId = appId;
        Secret = secret;
        AllowedIntents = allowedIntents;
        BotUserId = botUserId;
        BotName = botName;
    }

    /// <summary>The AppID.</summary>
    public string AppId { get; }

    /// <summary>The AppSecret.</summary>
    public string Secret { get; }

    /// <summary>The intents this app may subscribe to.</summary>
    public int AllowedIntents { get; set; }

    /// <summary>The bot's user id (READY and guild mentions).</summary>
    public string BotUserId { get; }

    /// <summary>The bot's name.</summary>
    public string BotName { get; }

    /// <summary>Close Identify with 4915 (banned).</summary>
    public bool Banned { get; set; }

    /// <summary>Close Identify with 4914 (offline / sandbox only).</summary>
    public bool SandboxOnly { get; set; }

    /// <summary>Stop answering heartbeats (the adapter must notice the missing ACKs).</summary>
    public bool StopAcking { get; set; }

    /// <summary>Answer upload requests with 40093002 (daily limit).</summary>
    public bool UploadDailyLimitReached { get; set; }

    /// <summary>Sessions that may still start before the limit resets.</summary>
    public int SessionStartRemaining { get; set; }

    /// <summary>When <see cref="SessionStartRemaining"/> resets to the total.</summary>
    internal DateTimeOffset SessionStartResetAt { get; set; }

    /// <summary>The ids of messages the bot sent that have not been recalled.</summary>
    public IReadOnlyList<string> SentMessagesForTests() => [.. SentMessages.Keys];

    /// <summary>The token the simulator issued last (to compare with what the adapter sends).</summary>
    public string? CurrentTokenForTests() => CurrentToken;

    internal ConcurrentDictionary<string, DateTimeOffset> Tokens { get; } = new();

    internal string? CurrentToken { get; set; }

    internal ConcurrentDictionary<string, SimSession> Sessions { get; } = new();

    internal SimSession? ActiveSession { get; set; }

    internal ConcurrentDictionary<string, ReplyKey> ReplyKeys { get; } = new();

    internal ConcurrentDictionary<string, string> SentMessages { get; } = new();

    internal ConcurrentDictionary<string, string> FileInfos { get; } = new();

    internal ConcurrentDictionary<string, byte[]> UploadedFiles { get; } = new();

    internal ConcurrentDictionary<string, string> Interactions { get; } = new();

    /// <summary>How many tokens were requested.</summary>
    public int TokenRequests => _tokenRequests;

    internal int _tokenRequests;

    /// <summary>How many Identify frames were accepted.</summary>
    public int Identifies => _identifies;

    internal int _identifies;

    /// <summary>How many Resume frames were accepted.</summary>
    public int Resumes => _resumes;

    internal int _resumes;

    /// <summary>Every gateway frame of this app, in order.</summary>
    public IReadOnlyList<RecordedFrame> Frames => _simulator.FramesOf(this);

    /// <summary>Frames the adapter sent with one opcode.</summary>
    public IReadOnlyList<RecordedFrame> ClientFrames(int op) => [.. Frames.Where(f => f.FromClient && f.Op == op)];

    /// <summary>The id of the session last created by READY.</summary>
    public string? SessionId => ActiveSession?.Id;

    /// <summary>Whether a connection of this app is READY (or RESUMED).</summary>
    public bool IsConnected => ActiveSession?.Connection is { Ready: true, Socket.State: WebSocketState.Open };

    /// <summary>The files uploaded for this app by file_info.</summary>
    public IReadOnlyDictionary<string, byte[]> Uploads => UploadedFiles;

    /// <summary>Pushes an event: logged in the session (for replay) and sent at once if connected. Returns its sequence.</summary>
    public Task<long> PushAsync(string type, JsonObject d, string? eventId = null, bool duplicate = false)
        => _simulator.PushAsync(this, type, d, eventId ?? $"{type}:{Guid.NewGuid():N}", duplicate);

    /// <summary>Sends op 7 Reconnect.</summary>
    public Task SendReconnectAsync() => Connection().SendAsync(new JsonObject { ["op"] = 7 }, _simulator);

    /// <summary>Closes the gateway connection with a code.</summary>
    public Task CloseAsync(int code, string reason) => Connection().CloseAsync(code, reason);

    /// <summary>Sends op 9 (d false, or {can_resume:false}), then closes with <paramref name="closeCode"/> if given.</summary>
    public Task InvalidSessionAsync(int? closeCode = 4903) => _simulator.InvalidSessionAsync(Connection(), closeCode);

    /// <summary>Drops the TCP connection without a close frame.</summary>
    public void DropConnection()
    {
        var connection = Connection();
        connection.Socket.Abort();
        connection.Abort.Cancel();
    }

    /// <summary>Invalidates every token of the app (the next REST call gets 401 with code 11244).</summary>
    public void ExpireTokens()
    {
        Tokens.Clear();
        CurrentToken = null;
    }

    /// <summary>Makes a pushed message or event too old to reply to.</summary>
    public void ExpireReplyKey(string id)
    {
        if (ReplyKeys.TryGetValue(id, out var key))
        {
            ReplyKeys[id] = new ReplyKey(key.Scope, DateTimeOffset.UtcNow - TimeSpan.FromDays(1), key.IsPerson);
        }
    }

    private SimConnection Connection()
        => ActiveSession?.Connection ?? throw new InvalidOperationException($"App {AppId} has no gateway connection.");
}
