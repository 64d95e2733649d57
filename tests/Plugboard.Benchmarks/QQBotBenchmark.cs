using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
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
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Plugboard.Runtime;
using Plugboard.Runtime.Bots;
using Plugboard.Runtime.Hosting;
using Plugboard.Runtime.Storage;

using static Plugboard.Benchmarks.BenchmarkSupport;

namespace Plugboard.Benchmarks;

/// <summary>
/// <c>qqbot</c>: a QQ message's way through Plugboard — a minimal QQ platform in this process (token endpoint,
/// <c>/gateway/bot</c>, gateway WebSocket with Resume and replay, the C2C send endpoint) pushes
/// <c>C2C_MESSAGE_CREATE</c> → QQBot plugin → <c>event/emit</c> → runtime → Echo → <c>bot/call reply</c> → QQBot →
/// <c>POST /v2/users/{openid}/messages</c> — against a baseline measured in the same run: a bare gateway client in this
/// process that identifies on the same server and answers each dispatch with the same POST. Figures: message → reply
/// latency (p50/p99), replies per second with several conversations each with a message in flight (the adapter
/// delivers conversations in parallel, each in order), and the time from a dropped gateway
/// connection to the reply to a message pushed at the drop (reconnect, Resume, replay, delivery), both with the
/// adapter's default backoff and with a 10 ms backoff base. Baseline and subject alternate over rounds; medians over
/// rounds are reported with ratios.
/// </summary>
internal static class QQBotBenchmark
{
    private const string Plugin = "plugboard.qqbot";
    private const string Echo = "plugboard.echo";
    private const string DefaultApp = "100000001";
    private const string FastApp = "100000002";
    private const string RawApp = "100000003";
    private const string Secret = "bench-secret";

    public static async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var rounds = ReadInt(args, "--rounds") ?? (quick ? 3 : 5);
        var messages = ReadInt(args, "--messages") ?? (quick ? 60 : 200);
        var drops = ReadInt(args, "--drops") ?? (quick ? 5 : 10);
        var concurrency = ReadInt(args, "--concurrency") ?? 10;
        var seconds = quick ? 1.0 : 2.0;
        var json = ReadString(args, "--json");
        var root = Path.Combine(Path.GetTempPath(), "plugboard-qq-bench-" + Guid.NewGuid().ToString("N")[..8]);
        var total = Stopwatch.StartNew();
        try
        {
            var plugins = await LocatePluginsAsync(ReadString(args, "--plugins"), Path.Combine(root, "plugins"));
            if (plugins is null)
            {
                return 1;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"qqbot benchmark: {rounds} rounds, {messages} sequential messages, {seconds:0.0} s at {concurrency} in flight and {drops} gateway drops per measurement; medians over rounds"));
            await using var platform = await MiniQQ.StartAsync();
            await using var host = await Host.StartAsync(plugins, Path.Combine(root, "data"), platform);
            await using var raw = await RawGatewayClient.ConnectAsync(platform, RawApp);

            // Warm-up: JIT, pools, the plugins' first calls.
            await LatencyAsync(40, () => platform.RoundTripAsync(DefaultApp));
            await LatencyAsync(40, () => platform.RoundTripAsync(FastApp));
            await LatencyAsync(40, () => platform.RoundTripAsync(RawApp));

            var subjectLatency = new List<(double P50, double P99)>();
            var baseLatency = new List<(double P50, double P99)>();
            var subjectRate = new List<double>();
            var baseRate = new List<double>();
            var resumeDefault = new List<double>();
            var resumeFast = new List<double>();
            for (var round = 0; round < rounds; round++)
            {
                Console.Write(string.Create(CultureInfo.InvariantCulture, $"  round {round + 1}/{rounds} ..."));
                foreach (var subject in round % 2 == 0 ? new[] { false, true } : [true, false])
                {
                    var app = subject ? DefaultApp : RawApp;
                    (subject ? subjectLatency : baseLatency).Add(await LatencyAsync(messages, () => platform.RoundTripAsync(app)));
                    (subject ? subjectRate : baseRate).Add(await ThroughputAsync(seconds, concurrency, worker => platform.RoundTripAsync(app, "U" + worker.ToString(CultureInfo.InvariantCulture))));
                }

                resumeFast.Add(await ResumeAsync(platform, FastApp, drops));
                resumeDefault.Add(await ResumeAsync(platform, DefaultApp, drops));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $" p50 {subjectLatency[^1].P50:0} µs, {subjectRate[^1]:0} msg/s, drop→delivery {resumeFast[^1]:0} ms (fast) / {resumeDefault[^1]:0} ms (default)"));
            }

            var figures = new Dictionary<string, double>(StringComparer.Ordinal)
            {
                ["latency.baseline.p50_us"] = Median(baseLatency.Select(l => l.P50)),
                ["latency.baseline.p99_us"] = Median(baseLatency.Select(l => l.P99)),
                ["latency.plugboard.p50_us"] = Median(subjectLatency.Select(l => l.P50)),
                ["latency.plugboard.p99_us"] = Median(subjectLatency.Select(l => l.P99)),
                ["throughput.baseline.messages_per_s"] = Median(baseRate),
                ["throughput.plugboard.messages_per_s"] = Median(subjectRate),
                ["ratio.latency.p50"] = Median(subjectLatency.Zip(baseLatency, (s, b) => s.P50 / b.P50)),
                ["ratio.latency.p99"] = Median(subjectLatency.Zip(baseLatency, (s, b) => s.P99 / b.P99)),
                ["ratio.throughput"] = Median(subjectRate.Zip(baseRate, (s, b) => s / b)),
                ["resume.drop_to_delivery.fast_backoff.median_ms"] = Median(resumeFast),
                ["resume.drop_to_delivery.default_backoff.median_ms"] = Median(resumeDefault),
                ["ratio.resume.fast_backoff_vs_message_p50"] = Median(resumeFast) * 1000 / Median(subjectLatency.Select(l => l.P50)),
            };
            Print(figures, messages, seconds, concurrency, drops);
            if (json is not null)
            {
                var document = new JsonObject();
                foreach (var (key, value) in figures)
                {
                    document[key] = Math.Round(value, 3);
                }

                await File.WriteAllTextAsync(json, document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  total {total.Elapsed.TotalSeconds:0} s"));
            return 0;
        }
        finally
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Drops the bot's connection, pushes a message at once, and times until its reply arrives; median of <paramref name="drops"/>.</summary>
    private static async Task<double> ResumeAsync(MiniQQ platform, string app, int drops)
    {
        var times = new List<double>();
        for (var i = 0; i < drops; i++)
        {
            await platform.WaitReadyAsync(app);
            var clock = Stopwatch.StartNew();
            platform.Drop(app);
            await platform.RoundTripAsync(app);
            times.Add(clock.Elapsed.TotalMilliseconds);
        }

        return Median(times);
    }

    private static async Task<(double P50, double P99)> LatencyAsync(int count, Func<Task> roundTrip)
    {
        var samples = new double[count];
        for (var i = 0; i < count; i++)
        {
            var clock = Stopwatch.StartNew();
            await roundTrip();
            samples[i] = clock.Elapsed.TotalMicroseconds;
        }

        Array.Sort(samples);
        return (samples[count / 2], samples[Math.Min(count - 1, (int)Math.Ceiling(count * 0.99) - 1)]);
    }

    /// <summary>Replies per second with <paramref name="concurrency"/> conversations, each with one message in flight.</summary>
    private static async Task<double> ThroughputAsync(double seconds, int concurrency, Func<int, Task> roundTrip)
    {
        var done = 0;
        var clock = Stopwatch.StartNew();
        var until = TimeSpan.FromSeconds(seconds);
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async worker =>
        {
            while (clock.Elapsed < until)
            {
                await roundTrip(worker);
                Interlocked.Increment(ref done);
            }
        }));
        return done / clock.Elapsed.TotalSeconds;
    }

    private static void Print(Dictionary<string, double> f, int messages, double seconds, int concurrency, int drops)
    {
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  message → reply, {messages} sequential (µs)        p50 {f["latency.plugboard.p50_us"],9:0}   p99 {f["latency.plugboard.p99_us"],9:0}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    baseline (bare gateway client)              p50 {f["latency.baseline.p50_us"],9:0}   p99 {f["latency.baseline.p99_us"],9:0}   ratio p50 {f["ratio.latency.p50"]:0.0}x  p99 {f["ratio.latency.p99"]:0.0}x"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  replies/s, {concurrency} chats × 1 in flight, {seconds:0.0} s   {f["throughput.plugboard.messages_per_s"],9:0}   baseline {f["throughput.baseline.messages_per_s"],9:0}   ratio {f["ratio.throughput"]:0.00}x"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  gateway drop → reply to a message pushed at the drop, median of {drops} (ms)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    reconnectBaseDelayMs 10                     {f["resume.drop_to_delivery.fast_backoff.median_ms"],9:0.0}   ({f["ratio.resume.fast_backoff_vs_message_p50"]:0.0}x a message round trip)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    reconnectBaseDelayMs 1000 (default)         {f["resume.drop_to_delivery.default_backoff.median_ms"],9:0.0}   (the first reconnect waits 500-1000 ms by design)"));
    }

    private static async Task<string?> LocatePluginsAsync(string? explicitFolder, string target)
    {
        var repository = RepositoryRoot.Find();
        foreach (var (project, id) in new[] { ("Plugboard.Plugins.QQBot", Plugin), ("Plugboard.Plugins.Echo", Echo) })
        {
            var candidates = new List<string>();
            if (explicitFolder is not null)
            {
                candidates.Add(Path.Combine(explicitFolder, id));
            }

            var self = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
            if (Path.GetDirectoryName(Path.GetDirectoryName(self)) is { } artifactsBin)
            {
                // Artifacts layout (PLUGBOARD_ARTIFACTS): <artifacts>/bin/<project>/<configuration>/.
                candidates.AddRange(new[] { "release", "debug" }.Select(c => Path.Combine(artifactsBin, project, c)));
            }

            if (repository is not null)
            {
                candidates.AddRange(new[] { "Release", "Debug" }.Select(c => Path.Combine(repository, "plugins", project, "bin", c, "net10.0")));
            }

            var destination = Path.Combine(target, id);
            if (candidates.FirstOrDefault(c => File.Exists(Path.Combine(c, "plugin.json")) && File.Exists(Path.Combine(c, project + ".dll"))) is { } found)
            {
                foreach (var file in Directory.EnumerateFiles(found, "*", SearchOption.AllDirectories))
                {
                    var to = Path.Combine(destination, Path.GetRelativePath(found, file));
                    Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                    File.Copy(file, to, overwrite: true);
                }

                continue;
            }

            if (explicitFolder is not null || repository is null)
            {
                Console.Error.WriteLine($"{project} is not built; build it or pass --plugins <folder with {Plugin}/ and {Echo}/>.");
                return null;
            }

            Console.WriteLine($"  publishing {project} (not built yet; takes a minute) ...");
            var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { "publish", Path.Combine(repository, "plugins", project, project + ".csproj"), "-c", "Release", "-o", destination, "--nologo", "-v", "quiet" })
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
            {
                Console.Error.WriteLine($"dotnet publish {project} failed ({process.ExitCode}):{Environment.NewLine}{await output}{await errors}");
                return null;
            }
        }

        return target;
    }

    private static JsonElement Element(JsonObject value) => JsonDocument.Parse(value.ToJsonString()).RootElement.Clone();

    /// <summary>A runtime with the QQBot and Echo plugins and two bots on the mini platform (default and 10 ms backoff).</summary>
    private sealed class Host : IAsyncDisposable
    {
        private readonly PlugboardRuntime _runtime;
        private readonly SqliteStorage _storage;

        private Host(PlugboardRuntime runtime, SqliteStorage storage)
        {
            _runtime = runtime;
            _storage = storage;
        }

        public static async Task<Host> StartAsync(string plugins, string data, MiniQQ platform)
        {
            var options = new PlugboardOptions { DataDirectory = data };
            options.PluginDirectories.Add(plugins);
            options.Supervisor.ReadyTimeout = TimeSpan.FromSeconds(60);
            var storage = new SqliteStorage(Options.Create(new SqliteStorageOptions { DataDirectory = data }));
            var runtime = new PlugboardRuntime(Options.Create(options), storage, NullLoggerFactory.Instance);
            await runtime.StartAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            await runtime.WaitUntilRunningAsync(Plugin, timeout.Token);
            await runtime.WaitUntilRunningAsync(Echo, timeout.Token);
            foreach (var (bot, app, baseDelay) in new[] { ("qq-default", DefaultApp, 1000), ("qq-fast", FastApp, 10) })
            {
                var config = new JsonObject
                {
                    ["appId"] = app,
                    ["clientSecret"] = Secret,
                    ["tokenUrl"] = platform.BaseUrl + "/app/getAppAccessToken",
                    ["apiBaseUrl"] = platform.BaseUrl,
                    ["reconnectBaseDelayMs"] = baseDelay,
                };
                var status = await runtime.AddBotAsync(new BotDefinition(bot, "QQ benchmark", Plugin, "qqbot", Element(config)));
                if (status.State != "Running")
                {
                    throw new InvalidOperationException($"Bot {bot} did not start: {status.State} {status.LastError}");
                }
            }

            return new Host(runtime, storage);
        }

        public async ValueTask DisposeAsync()
        {
            await _runtime.DisposeAsync();
            await _storage.DisposeAsync();
        }
    }

    /// <summary>
    /// The QQ platform reduced to what the benchmark needs: tokens, <c>/gateway/bot</c>, the gateway (Hello,
    /// Identify → READY, Resume → replay + RESUMED, heartbeat ACKs, pushes logged for replay), and the C2C send
    /// endpoint, which completes the waiter of the message replied to.
    /// </summary>
    private sealed class MiniQQ : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _pending = new(StringComparer.Ordinal);
        private long _counter;

        private MiniQQ(WebApplication app) => _app = app;

        public string BaseUrl { get; private set; } = string.Empty;

        public static async Task<MiniQQ> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var platform = new MiniQQ(app);
            app.UseWebSockets();
            app.MapPost("/app/getAppAccessToken", async (HttpContext context) =>
            {
                var body = await JsonNode.ParseAsync(context.Request.Body);
                await context.Response.WriteAsJsonAsync(new JsonObject { ["access_token"] = "T-" + body?["appId"], ["expires_in"] = "7200" });
            });
            app.MapGet("/gateway/bot", (HttpContext context) => context.Response.WriteAsJsonAsync(new JsonObject
            {
                ["url"] = platform.BaseUrl.Replace("http://", "ws://", StringComparison.Ordinal) + "/websocket/",
                ["shards"] = 1,
                ["session_start_limit"] = new JsonObject { ["total"] = 1000, ["remaining"] = 999, ["reset_after"] = 14400000, ["max_concurrency"] = 100 },
            }));
            app.Map("/websocket", platform.GatewayAsync);
            app.MapPost("/v2/users/{openid}/messages", async (HttpContext context) =>
            {
                var body = await JsonNode.ParseAsync(context.Request.Body);
                if (body?["msg_id"]?.ToString() is { } id && platform._pending.TryRemove(id, out var waiter))
                {
                    waiter.TrySetResult();
                }

                await context.Response.WriteAsJsonAsync(new JsonObject { ["id"] = "ROBOT1.0_" + Interlocked.Increment(ref platform._counter), ["timestamp"] = 1700000000 });
            });
            await app.StartAsync();
            platform.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
            return platform;
        }

        /// <summary>Pushes a C2C message from <paramref name="user"/> to an app and waits for the reply to it.</summary>
        public async Task RoundTripAsync(string appId, string user = "U1")
        {
            var id = "ROBOT1.0_b" + Interlocked.Increment(ref _counter).ToString(CultureInfo.InvariantCulture);
            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _pending[id] = waiter;
            var d = new JsonObject { ["author"] = new JsonObject { ["user_openid"] = user }, ["content"] = "hello", ["id"] = id, ["timestamp"] = "2023-11-06T13:37:18+08:00" };
            await SessionOf(appId).PushAsync("C2C_MESSAGE_CREATE", d, "C2C_MESSAGE_CREATE:" + id);
            await waiter.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }

        /// <summary>Drops an app's connection without a close frame.</summary>
        public void Drop(string appId) => SessionOf(appId).Drop();

        /// <summary>Waits until an app has a ready connection.</summary>
        public async Task WaitReadyAsync(string appId)
        {
            var deadline = Stopwatch.StartNew();
            while (!SessionOf(appId).Ready)
            {
                if (deadline.Elapsed > TimeSpan.FromSeconds(60))
                {
                    throw new TimeoutException($"app {appId} did not reconnect");
                }

                await Task.Delay(5);
            }
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var session in _sessions.Values)
            {
                session.Drop();
            }

            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        private Session SessionOf(string appId) => _sessions.GetOrAdd(appId, _ => new Session());

        private async Task GatewayAsync(HttpContext context)
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = 400;
                return;
            }

            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var connection = new Connection(socket);
            await connection.SendAsync(new JsonObject { ["op"] = 10, ["d"] = new JsonObject { ["heartbeat_interval"] = 45000 } });
            var buffer = new byte[64 * 1024];
            Session? session = null;
            try
            {
                while (true)
                {
                    var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }

                    var frame = JsonNode.Parse(buffer.AsSpan(0, result.Count))!;
                    var d = frame["d"];
                    switch (frame["op"]!.GetValue<int>())
                    {
                        case 1:
                            await connection.SendAsync(new JsonObject { ["op"] = 11 });
                            break;
                        case 2:
                            session = SessionOf(d!["token"]!.ToString()["QQBot T-".Length..]);
                            await session.IdentifyAsync(connection);
                            break;
                        case 6:
                            session = SessionOf(d!["token"]!.ToString()["QQBot T-".Length..]);
                            await session.ResumeAsync(connection, d["session_id"]!.ToString(), d["seq"]!.GetValue<long>());
                            break;
                    }
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
            finally
            {
                session?.Disconnected(connection);
            }
        }

        private sealed class Connection(WebSocket socket)
        {
            private readonly SemaphoreSlim _send = new(1, 1);

            public WebSocket Socket { get; } = socket;

            public async Task SendAsync(JsonNode frame)
            {
                var bytes = Encoding.UTF8.GetBytes(frame.ToJsonString());
                await _send.WaitAsync();
                try
                {
                    if (Socket.State == WebSocketState.Open)
                    {
                        await Socket.SendAsync(bytes, WebSocketMessageType.Text, true, CancellationToken.None);
                    }
                }
                catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException)
                {
                }
                finally
                {
                    _send.Release();
                }
            }
        }

        /// <summary>One app's gateway session: its event log (for replay) and current connection.</summary>
        private sealed class Session
        {
            private readonly SemaphoreSlim _gate = new(1, 1);
            private readonly List<JsonObject> _log = [];
            private string _id = string.Empty;
            private long _seq;
            private Connection? _connection;

            public bool Ready => _connection is { Socket.State: WebSocketState.Open };

            public async Task IdentifyAsync(Connection connection)
            {
                await _gate.WaitAsync();
                try
                {
                    _id = Guid.NewGuid().ToString();
                    _seq = 0;
                    _log.Clear();
                    _connection = connection;
                    await connection.SendAsync(new JsonObject
                    {
                        ["op"] = 0,
                        ["s"] = ++_seq,
                        ["t"] = "READY",
                        ["d"] = new JsonObject { ["version"] = 1, ["session_id"] = _id, ["user"] = new JsonObject { ["id"] = "1", ["username"] = "bench", ["bot"] = true }, ["shard"] = new JsonArray(0, 1) },
                    });
                }
                finally
                {
                    _gate.Release();
                }
            }

            public async Task ResumeAsync(Connection connection, string sessionId, long seq)
            {
                await _gate.WaitAsync();
                try
                {
                    if (sessionId != _id)
                    {
                        await connection.SendAsync(new JsonObject { ["op"] = 9, ["d"] = false });
                        return;
                    }

                    _connection = connection;
                    foreach (var missed in _log.Where(e => e["s"]!.GetValue<long>() > seq))
                    {
                        await connection.SendAsync(missed);
                    }

                    await connection.SendAsync(new JsonObject { ["op"] = 0, ["s"] = ++_seq, ["t"] = "RESUMED", ["d"] = string.Empty });
                }
                finally
                {
                    _gate.Release();
                }
            }

            public async Task PushAsync(string type, JsonObject d, string eventId)
            {
                await _gate.WaitAsync();
                try
                {
                    var frame = new JsonObject { ["op"] = 0, ["s"] = ++_seq, ["t"] = type, ["id"] = eventId, ["d"] = d };
                    _log.Add(frame);
                    if (_log.Count > 10_000)
                    {
                        _log.RemoveRange(0, 5_000);
                    }

                    if (_connection is { } connection)
                    {
                        await connection.SendAsync(frame);
                    }
                }
                finally
                {
                    _gate.Release();
                }
            }

            public void Drop()
            {
                if (Interlocked.Exchange(ref _connection, null) is { } connection)
                {
                    connection.Socket.Abort();
                }
            }

            public void Disconnected(Connection connection) => Interlocked.CompareExchange(ref _connection, null, connection);
        }
    }

    /// <summary>The baseline: a bare gateway client that identifies and answers each dispatch with the same POST.</summary>
    private sealed class RawGatewayClient : IAsyncDisposable
    {
        private readonly ClientWebSocket _socket = new();
        private readonly HttpClient _http = new();
        private readonly CancellationTokenSource _stop = new();
        private Task? _loop;

        public static async Task<RawGatewayClient> ConnectAsync(MiniQQ platform, string appId)
        {
            var client = new RawGatewayClient();
            client._http.BaseAddress = new Uri(platform.BaseUrl);
            client._http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("QQBot", "T-" + appId);
            await client._socket.ConnectAsync(new Uri(platform.BaseUrl.Replace("http://", "ws://", StringComparison.Ordinal) + "/websocket/"), CancellationToken.None);
            var identify = Encoding.UTF8.GetBytes(new JsonObject { ["op"] = 2, ["d"] = new JsonObject { ["token"] = "QQBot T-" + appId, ["intents"] = 1107300352, ["shard"] = new JsonArray(0, 1) } }.ToJsonString());
            await client._socket.SendAsync(identify, WebSocketMessageType.Text, true, CancellationToken.None);
            client._loop = client.ReceiveAsync();
            await platform.WaitReadyAsync(appId);
            return client;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _socket.Abort();
            if (_loop is not null)
            {
                await Task.WhenAny(_loop, Task.Delay(1000));
            }

            _socket.Dispose();
            _http.Dispose();
            _stop.Dispose();
        }

        private async Task ReceiveAsync()
        {
            var buffer = new byte[64 * 1024];
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    var result = await _socket.ReceiveAsync(buffer, _stop.Token);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }

                    var frame = JsonNode.Parse(buffer.AsSpan(0, result.Count))!;
                    if (frame["t"]?.ToString() == "C2C_MESSAGE_CREATE")
                    {
                        var d = frame["d"]!;
                        var body = new JsonObject { ["content"] = "echo: " + d["content"], ["msg_type"] = 0, ["msg_id"] = d["id"]!.ToString(), ["msg_seq"] = 1 };
                        _ = _http.PostAsync($"/v2/users/{d["author"]!["user_openid"]}/messages", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), _stop.Token);
                    }
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }
    }
}
