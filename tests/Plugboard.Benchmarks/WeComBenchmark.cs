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
/// <c>wecom</c>: a WeCom AI-bot message's way through Plugboard — a minimal WeCom long-connection server in this process
/// pushes <c>aibot_msg_callback</c> → WeComBot plugin → <c>event/emit</c> → runtime → Echo → <c>bot/call replyStream</c>
/// × 6 → WeComBot → <c>aibot_respond_msg</c> stream frames (one in flight, each acked) — against a baseline measured in
/// the same run: a bare WebSocket client in this process that answers the same callback with the same six stream
/// frames. Figures: message → first stream frame and → final frame (p50/p99), and messages fully answered per second
/// with several in flight. Baseline and subject alternate over rounds; medians over rounds are reported with ratios.
/// </summary>
internal static class WeComBenchmark
{
    private const string Text = "stream one two three four";
    private const string Plugin = "plugboard.wecombot";
    private const string Echo = "plugboard.echo";
    private static readonly string[] Chunks = ["echo: ", "stream ", "one ", "two ", "three ", "four"];

    public static async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var rounds = ReadInt(args, "--rounds") ?? (quick ? 3 : 5);
        var messages = ReadInt(args, "--messages") ?? (quick ? 60 : 200);
        var concurrency = ReadInt(args, "--concurrency") ?? 10;
        var seconds = quick ? 1.0 : 2.0;
        var json = ReadString(args, "--json");
        var root = Path.Combine(Path.GetTempPath(), "plugboard-wecom-bench-" + Guid.NewGuid().ToString("N")[..8]);
        var total = Stopwatch.StartNew();
        try
        {
            var plugins = await LocatePluginsAsync(ReadString(args, "--plugins"), Path.Combine(root, "plugins"));
            if (plugins is null)
            {
                return 1;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wecom benchmark: {rounds} rounds, {messages} sequential messages and {seconds:0.0} s at {concurrency} in flight per measurement; medians over rounds"));
            await using var server = await MiniWeCom.StartAsync();
            await using var host = await Host.StartAsync(plugins, Path.Combine(root, "data"), server);
            await using var raw = await RawClient.ConnectAsync(server.Url, "aibRAW");
            await server.WaitSubscribedAsync("aibBENCH");

            // Warm-up: JIT, pools, the plugins' first calls.
            await LatencyAsync(30, () => server.RoundTripAsync("aibBENCH"));
            await LatencyAsync(30, () => server.RoundTripAsync("aibRAW"));

            var subjectFirst = new List<(double P50, double P99)>();
            var subjectFinal = new List<(double P50, double P99)>();
            var baseFirst = new List<(double P50, double P99)>();
            var baseFinal = new List<(double P50, double P99)>();
            var subjectRate = new List<double>();
            var baseRate = new List<double>();
            for (var round = 0; round < rounds; round++)
            {
                Console.Write(string.Create(CultureInfo.InvariantCulture, $"  round {round + 1}/{rounds} ..."));
                foreach (var subjectFirstInRound in round % 2 == 0 ? new[] { false, true } : [true, false])
                {
                    var bot = subjectFirstInRound ? "aibBENCH" : "aibRAW";
                    var (first, final) = await LatencyAsync(messages, () => server.RoundTripAsync(bot));
                    var rate = await ThroughputAsync(seconds, concurrency, () => server.RoundTripAsync(bot));
                    (subjectFirstInRound ? subjectFirst : baseFirst).Add(first);
                    (subjectFirstInRound ? subjectFinal : baseFinal).Add(final);
                    (subjectFirstInRound ? subjectRate : baseRate).Add(rate);
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $" first frame p50 {subjectFirst[^1].P50:0} µs, {subjectRate[^1]:0} msg/s"));
            }

            var figures = new Dictionary<string, double>(StringComparer.Ordinal)
            {
                ["latency.first_frame.baseline.p50_us"] = Median(baseFirst.Select(l => l.P50)),
                ["latency.first_frame.baseline.p99_us"] = Median(baseFirst.Select(l => l.P99)),
                ["latency.first_frame.plugboard.p50_us"] = Median(subjectFirst.Select(l => l.P50)),
                ["latency.first_frame.plugboard.p99_us"] = Median(subjectFirst.Select(l => l.P99)),
                ["latency.final_frame.baseline.p50_us"] = Median(baseFinal.Select(l => l.P50)),
                ["latency.final_frame.plugboard.p50_us"] = Median(subjectFinal.Select(l => l.P50)),
                ["throughput.baseline.messages_per_s"] = Median(baseRate),
                ["throughput.plugboard.messages_per_s"] = Median(subjectRate),
                ["ratio.first_frame.p50"] = Median(subjectFirst.Zip(baseFirst, (s, b) => s.P50 / b.P50)),
                ["ratio.first_frame.p99"] = Median(subjectFirst.Zip(baseFirst, (s, b) => s.P99 / b.P99)),
                ["ratio.final_frame.p50"] = Median(subjectFinal.Zip(baseFinal, (s, b) => s.P50 / b.P50)),
                ["ratio.throughput"] = Median(subjectRate.Zip(baseRate, (s, b) => s / b)),
            };
            Print(figures, messages, seconds, concurrency);
            if (json is not null)
            {
                var document = new JsonObject();
                foreach (var (key, value) in figures)
                {
                    document[key] = Math.Round(value, 3);
                }

                await File.WriteAllTextAsync(json, document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                Console.WriteLine($"  figures written to {json}");
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

    private static void Print(Dictionary<string, double> f, int messages, double seconds, int concurrency)
    {
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine();
        Console.WriteLine(string.Create(c, $"  latency, {messages} sequential messages per round                         p50 µs      p99 µs"));
        Console.WriteLine(string.Create(c, $"    message → first stream frame, bare WebSocket client         {f["latency.first_frame.baseline.p50_us"],10:0.0}  {f["latency.first_frame.baseline.p99_us"],10:0.0}"));
        Console.WriteLine(string.Create(c, $"    message → first stream frame, WeComBot + runtime + Echo     {f["latency.first_frame.plugboard.p50_us"],10:0.0}  {f["latency.first_frame.plugboard.p99_us"],10:0.0}"));
        Console.WriteLine(string.Create(c, $"    ratio                                                       {f["ratio.first_frame.p50"],9:0.0}x  {f["ratio.first_frame.p99"],9:0.0}x"));
        Console.WriteLine(string.Create(c, $"    message → final (6th) frame, bare / Plugboard               {f["latency.final_frame.baseline.p50_us"],10:0.0}  {f["latency.final_frame.plugboard.p50_us"],10:0.0}  ({f["ratio.final_frame.p50"]:0.0}x)"));
        Console.WriteLine(string.Create(c, $"  throughput, {concurrency} messages in flight, {seconds:0.0} s per round                    msg/s"));
        Console.WriteLine(string.Create(c, $"    bare WebSocket client                                       {f["throughput.baseline.messages_per_s"],10:0}"));
        Console.WriteLine(string.Create(c, $"    WeComBot + runtime + Echo                                   {f["throughput.plugboard.messages_per_s"],10:0}"));
        Console.WriteLine(string.Create(c, $"    ratio                                                       {f["ratio.throughput"],9:0.000}x"));
        Console.WriteLine("    (each message: 1 callback, 6 stream frames each waiting for its ack; Plugboard adds event/emit,");
        Console.WriteLine("     event/dispatch and 6 bot/call → adapter/replyStream JSON-RPC round trips between 3 processes)");
    }

    private static async Task<((double P50, double P99) First, (double P50, double P99) Final)> LatencyAsync(int count, Func<Task<(double First, double Final)>> roundTrip)
    {
        var first = new double[count];
        var final = new double[count];
        for (var i = 0; i < count; i++)
        {
            (first[i], final[i]) = await roundTrip();
        }

        Array.Sort(first);
        Array.Sort(final);
        return ((Percentile(first, 0.5), Percentile(first, 0.99)), (Percentile(final, 0.5), Percentile(final, 0.99)));
    }

    private static async Task<double> ThroughputAsync(double seconds, int workers, Func<Task<(double, double)>> roundTrip)
    {
        long completed = 0;
        var deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var start = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, workers).Select(async _ =>
        {
            while (Stopwatch.GetTimestamp() < deadline)
            {
                await roundTrip();
                Interlocked.Increment(ref completed);
            }
        }));
        return completed / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>The built WeComBot and Echo plugins, copied into <paramref name="target"/>: <c>--plugins</c>, build outputs, else published.</summary>
    private static async Task<string?> LocatePluginsAsync(string? explicitFolder, string target)
    {
        var repository = RepositoryRoot.Find();
        foreach (var (project, id) in new[] { ("Plugboard.Plugins.WeComBot", Plugin), ("Plugboard.Plugins.Echo", Echo) })
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
                CopyDirectory(found, destination);
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

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination, overwrite: true);
        }
    }

    /// <summary>A runtime in this process with WeComBot and Echo, and a long-connection bot on the mini server.</summary>
    private sealed class Host : IAsyncDisposable
    {
        private readonly PlugboardRuntime _runtime;
        private readonly SqliteStorage _storage;

        private Host(PlugboardRuntime runtime, SqliteStorage storage)
        {
            _runtime = runtime;
            _storage = storage;
        }

        public static async Task<Host> StartAsync(string plugins, string data, MiniWeCom server)
        {
            var options = new PlugboardOptions { DataDirectory = data };
            options.PluginDirectories.Add(plugins);
            options.Supervisor.ReadyTimeout = TimeSpan.FromSeconds(60);
            options.PluginConfig[Echo] = Element(new JsonObject { ["streamChunkDelayMs"] = 0 });
            var storage = new SqliteStorage(Options.Create(new SqliteStorageOptions { DataDirectory = data }));
            var runtime = new PlugboardRuntime(Options.Create(options), storage, NullLoggerFactory.Instance);
            await runtime.StartAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            await runtime.WaitUntilRunningAsync(Plugin, timeout.Token);
            await runtime.WaitUntilRunningAsync(Echo, timeout.Token);
            var config = new JsonObject { ["botId"] = "aibBENCH", ["secret"] = "bench", ["webSocketUrl"] = server.Url.ToString(), ["feedback"] = false };
            await runtime.AddBotAsync(new BotDefinition("wecom-bench", "WeCom benchmark", Plugin, "wecombot", Element(config)));
            return new Host(runtime, storage);
        }

        private static JsonElement Element(JsonObject value) => JsonDocument.Parse(value.ToJsonString()).RootElement.Clone();

        public async ValueTask DisposeAsync()
        {
            await _runtime.DisposeAsync();
            await _storage.DisposeAsync();
        }
    }

    /// <summary>
    /// WeCom's long-connection server reduced to what the benchmark needs: subscribe and ping acks, an immediate ack
    /// for every reply frame, callbacks pushed on request, and the time to each message's first and final frame.
    /// </summary>
    private sealed class MiniWeCom : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentDictionary<string, Connection> _bots = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, Pending> _pending = new(StringComparer.Ordinal);
        private long _counter;

        private MiniWeCom(WebApplication app) => _app = app;

        public Uri Url { get; private set; } = null!;

        public static async Task<MiniWeCom> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var server = new MiniWeCom(app);
            app.UseWebSockets();
            app.Map("/", server.AcceptAsync);
            await app.StartAsync();
            server.Url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().Replace("http://", "ws://", StringComparison.Ordinal));
            return server;
        }

        public async Task WaitSubscribedAsync(string botId)
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!_bots.ContainsKey(botId))
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"{botId} did not subscribe within 60 s.");
                }

                await Task.Delay(20);
            }
        }

        /// <summary>Pushes a text message to the bot; returns microseconds to its first and its final stream frame.</summary>
        public async Task<(double First, double Final)> RoundTripAsync(string botId)
        {
            var reqId = "R" + Interlocked.Increment(ref _counter);
            var pending = new Pending(Stopwatch.GetTimestamp());
            _pending[reqId] = pending;
            var body = new JsonObject
            {
                ["msgid"] = "m" + reqId, ["aibotid"] = botId, ["chattype"] = "single", ["from"] = new JsonObject { ["userid"] = "bench" },
                ["msgtype"] = "text", ["text"] = new JsonObject { ["content"] = Text },
            };
            await _bots[botId].SendAsync(new JsonObject { ["cmd"] = "aibot_msg_callback", ["headers"] = new JsonObject { ["req_id"] = reqId }, ["body"] = body });
            var final = await pending.Final.Task.WaitAsync(TimeSpan.FromSeconds(30));
            return (Stopwatch.GetElapsedTime(pending.Start, await pending.First.Task).TotalMicroseconds, Stopwatch.GetElapsedTime(pending.Start, final).TotalMicroseconds);
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        private async Task AcceptAsync(HttpContext context)
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = 400;
                return;
            }

            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var connection = new Connection(socket);
            var buffer = new byte[1 << 16];
            try
            {
                while (socket.State == WebSocketState.Open)
                {
                    using var message = new MemoryStream();
                    WebSocketReceiveResult result;
                    do
                    {
                        result = await socket.ReceiveAsync(buffer, context.RequestAborted);
                        message.Write(buffer, 0, result.Count);
                    }
                    while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }

                    var frame = JsonNode.Parse(message.ToArray())!.AsObject();
                    var reqId = frame["headers"]!["req_id"]!.GetValue<string>();
                    if (frame["cmd"]?.GetValue<string>() == "aibot_subscribe")
                    {
                        _bots[frame["body"]!["bot_id"]!.GetValue<string>()] = connection;
                    }
                    else if (frame["cmd"]?.GetValue<string>() == "aibot_respond_msg" && _pending.TryGetValue(reqId, out var pending))
                    {
                        var now = Stopwatch.GetTimestamp();
                        pending.First.TrySetResult(now);
                        if (frame["body"]?["stream"]?["finish"]?.GetValue<bool>() == true)
                        {
                            _pending.TryRemove(reqId, out _);
                            pending.Final.TrySetResult(now);
                        }
                    }

                    await connection.SendAsync(new JsonObject { ["headers"] = new JsonObject { ["req_id"] = reqId }, ["errcode"] = 0, ["errmsg"] = "ok" });
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
            }
        }

        private sealed record Pending(long Start)
        {
            public TaskCompletionSource<long> First { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

            public TaskCompletionSource<long> Final { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>One WebSocket with serialized sends.</summary>
    private sealed class Connection(WebSocket socket)
    {
        private readonly SemaphoreSlim _send = new(1, 1);

        public WebSocket Socket { get; } = socket;

        public async Task SendAsync(JsonObject frame)
        {
            var bytes = Encoding.UTF8.GetBytes(frame.ToJsonString());
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

    /// <summary>
    /// The baseline: a bare long-connection client in this process that answers each callback with the same six
    /// cumulative stream frames as the Plugboard path, one in flight, each after the previous ack.
    /// </summary>
    private sealed class RawClient : IAsyncDisposable
    {
        private readonly ClientWebSocket _socket = new();
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _acks = new(StringComparer.Ordinal);
        private readonly CancellationTokenSource _stop = new();
        private Connection _connection = null!;
        private Task _loop = Task.CompletedTask;

        public static async Task<RawClient> ConnectAsync(Uri url, string botId)
        {
            var client = new RawClient();
            await client._socket.ConnectAsync(url, CancellationToken.None);
            client._connection = new Connection(client._socket);
            client._loop = Task.Run(client.ReceiveLoopAsync);
            await client._connection.SendAsync(new JsonObject { ["cmd"] = "aibot_subscribe", ["headers"] = new JsonObject { ["req_id"] = "aibot_subscribe_raw" }, ["body"] = new JsonObject { ["bot_id"] = botId, ["secret"] = "raw" } });
            return client;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _socket.Abort();
            try
            {
                await _loop;
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
            }

            _socket.Dispose();
            _stop.Dispose();
        }

        private async Task ReceiveLoopAsync()
        {
            var buffer = new byte[1 << 16];
            while (_socket.State == WebSocketState.Open)
            {
                using var message = new MemoryStream();
                WebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer, _stop.Token);
                    message.Write(buffer, 0, result.Count);
                }
                while (!result.EndOfMessage);

                var frame = JsonNode.Parse(message.ToArray())!.AsObject();
                var reqId = frame["headers"]!["req_id"]!.GetValue<string>();
                if (frame["cmd"]?.GetValue<string>() == "aibot_msg_callback")
                {
                    _ = AnswerAsync(reqId);
                }
                else if (_acks.TryRemove(reqId, out var ack))
                {
                    ack.TrySetResult();
                }
            }
        }

        private async Task AnswerAsync(string reqId)
        {
            var content = new StringBuilder();
            for (var i = 0; i < Chunks.Length; i++)
            {
                content.Append(Chunks[i]);
                var ack = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _acks[reqId] = ack;
                var stream = new JsonObject { ["id"] = "s" + reqId, ["finish"] = i == Chunks.Length - 1, ["content"] = content.ToString() };
                await _connection.SendAsync(new JsonObject { ["cmd"] = "aibot_respond_msg", ["headers"] = new JsonObject { ["req_id"] = reqId }, ["body"] = new JsonObject { ["msgtype"] = "stream", ["stream"] = stream } });
                await ack.Task;
            }
        }
    }
}
