using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Protocol.Transports;
using Plugboard.Runtime;
using Plugboard.Runtime.Bots;
using Plugboard.Runtime.Hosting;
using Plugboard.Runtime.Storage;

using static Plugboard.Benchmarks.BenchmarkSupport;

namespace Plugboard.Benchmarks;

/// <summary>
/// <c>e2e</c>: a chat message's way through the bundled plugins — WebSocket client → WebChat → <c>event/emit</c> →
/// runtime → <c>event/dispatch</c> → Echo → <c>bot/call reply</c> → runtime → <c>adapter/reply</c> → WebChat → client —
/// against a raw JSON-RPC round trip to a second process over stdio, measured in the same run: latency p50/p99 of
/// sequential messages, and throughput with 100 concurrent chat connections against 100 concurrent raw calls.
/// Baseline and subject alternate over rounds; medians over rounds are reported with their ratios.
/// </summary>
internal static class E2eBenchmark
{
    private const int Concurrency = 100;
    private const string BotId = "bench";
    private static readonly byte[] ResponseMarker = "\"type\":\"response\""u8.ToArray();
    private static readonly byte[] FinalMarker = "\"isFinal\":true"u8.ToArray();

    public static async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var rounds = ReadInt(args, "--rounds") ?? (quick ? 3 : 5);
        var messages = ReadInt(args, "--messages") ?? (quick ? 100 : 300);
        var seconds = quick ? 1.0 : 2.0;
        var json = ReadString(args, "--json");
        var total = Stopwatch.StartNew();
        var root = Path.Combine(Path.GetTempPath(), "plugboard-e2e-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var plugins = await LocatePluginsAsync(ReadString(args, "--plugins"), root);
            if (plugins is null)
            {
                return 1;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"e2e benchmark: {rounds} rounds, {messages} sequential messages and {seconds:0.0} s at {Concurrency} concurrent per measurement; medians over rounds"));
            Console.WriteLine($"  plugins: {plugins}");
            await using var host = await ChatHost.StartAsync(plugins, Path.Combine(root, "data"));
            await using var raw = await RawRpcPeer.StartAsync();
            Console.WriteLine($"  chat: {host.ChatUrl}");

            // Warm-up until the three processes run optimised code (tiered JIT needs many calls per method).
            Console.WriteLine("  warming up ...");
            await using var chatClients = await ChatPool.ConnectAsync(host.ChatUrl, Concurrency);
            await using (var warm = await ChatSocket.ConnectAsync(host.ChatUrl))
            {
                await LatencyAsync(messages, () => warm.RoundTripAsync("warm-up"));
            }

            await LatencyAsync(messages, raw.RoundTripAsync);
            await LatencyAsync(messages, host.ToolRoundTripAsync);
            await ThroughputAsync(seconds, Concurrency, i => chatClients[i].RoundTripAsync("warm-up"));
            await ThroughputAsync(seconds, Concurrency, _ => raw.RoundTripAsync());

            var rawLatency = new List<(double P50, double P99)>();
            var toolLatency = new List<(double P50, double P99)>();
            var chatLatency = new List<(double P50, double P99)>();
            var rawRate = new List<double>();
            var chatRate = new List<double>();
            for (var round = 0; round < rounds; round++)
            {
                Console.Write(string.Create(CultureInfo.InvariantCulture, $"  round {round + 1}/{rounds} ..."));
                await using (var chat = await ChatSocket.ConnectAsync(host.ChatUrl))
                {
                    // Alternate which goes first, so drift over time does not favour one side.
                    if (round % 2 == 0)
                    {
                        rawLatency.Add(await LatencyAsync(messages, raw.RoundTripAsync));
                        chatLatency.Add(await LatencyAsync(messages, () => chat.RoundTripAsync("bench message")));
                    }
                    else
                    {
                        chatLatency.Add(await LatencyAsync(messages, () => chat.RoundTripAsync("bench message")));
                        rawLatency.Add(await LatencyAsync(messages, raw.RoundTripAsync));
                    }

                    toolLatency.Add(await LatencyAsync(Math.Max(50, messages / 3), host.ToolRoundTripAsync));
                }

                if (round % 2 == 0)
                {
                    rawRate.Add(await ThroughputAsync(seconds, Concurrency, _ => raw.RoundTripAsync()));
                    chatRate.Add(await ThroughputAsync(seconds, Concurrency, i => chatClients[i].RoundTripAsync("concurrent message")));
                }
                else
                {
                    chatRate.Add(await ThroughputAsync(seconds, Concurrency, i => chatClients[i].RoundTripAsync("concurrent message")));
                    rawRate.Add(await ThroughputAsync(seconds, Concurrency, _ => raw.RoundTripAsync()));
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $" chat p50 {chatLatency[^1].P50:0} µs, {chatRate[^1]:0} msg/s"));
            }

            var figures = new Dictionary<string, double>(StringComparer.Ordinal)
            {
                ["latency.raw_rpc.p50_us"] = Median(rawLatency.Select(l => l.P50)),
                ["latency.raw_rpc.p99_us"] = Median(rawLatency.Select(l => l.P99)),
                ["latency.tool_via_runtime.p50_us"] = Median(toolLatency.Select(l => l.P50)),
                ["latency.tool_via_runtime.p99_us"] = Median(toolLatency.Select(l => l.P99)),
                ["latency.chat.p50_us"] = Median(chatLatency.Select(l => l.P50)),
                ["latency.chat.p99_us"] = Median(chatLatency.Select(l => l.P99)),
                ["throughput.raw_rpc.ops_per_s"] = Median(rawRate),
                ["throughput.chat.messages_per_s"] = Median(chatRate),
            };

            // Ratios per round, then their median (as the other benchmarks do).
            figures["ratio.latency.p50"] = Median(chatLatency.Zip(rawLatency, (c, r) => c.P50 / r.P50));
            figures["ratio.latency.p99"] = Median(chatLatency.Zip(rawLatency, (c, r) => c.P99 / r.P99));
            figures["ratio.throughput"] = Median(chatRate.Zip(rawRate, (c, r) => c / r));
            Print(figures, messages, seconds);
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

    private static void Print(Dictionary<string, double> f, int messages, double seconds)
    {
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine();
        Console.WriteLine(string.Create(c, $"  latency, one connection, {messages} sequential messages per round      p50 µs      p99 µs"));
        Console.WriteLine(string.Create(c, $"    raw JSON-RPC round trip (stdio, 2nd process)               {f["latency.raw_rpc.p50_us"],10:0.0}  {f["latency.raw_rpc.p99_us"],10:0.0}"));
        Console.WriteLine(string.Create(c, $"    tool/invoke through the runtime (Echo's echo tool)         {f["latency.tool_via_runtime.p50_us"],10:0.0}  {f["latency.tool_via_runtime.p99_us"],10:0.0}"));
        Console.WriteLine(string.Create(c, $"    chat message → final reply (WebChat + runtime + Echo)      {f["latency.chat.p50_us"],10:0.0}  {f["latency.chat.p99_us"],10:0.0}"));
        Console.WriteLine(string.Create(c, $"    ratio chat / raw round trip                                {f["ratio.latency.p50"],9:0.0}x  {f["ratio.latency.p99"],9:0.0}x"));
        Console.WriteLine(string.Create(c, $"  throughput, {Concurrency} concurrent, {seconds:0.0} s per round                           per s"));
        Console.WriteLine(string.Create(c, $"    raw JSON-RPC round trips ({Concurrency} in flight)                     {f["throughput.raw_rpc.ops_per_s"],10:0}"));
        Console.WriteLine(string.Create(c, $"    chat messages answered ({Concurrency} connections, 1 in flight each)   {f["throughput.chat.messages_per_s"],10:0}"));
        Console.WriteLine(string.Create(c, $"    ratio chat / raw                                                {f["ratio.throughput"],9:0.000}x"));
        Console.WriteLine("    (a chat message costs 4 JSON-RPC round trips between 3 processes, plus 2 WebSocket hops)");
    }

    private static async Task<(double P50, double P99)> LatencyAsync(int count, Func<Task> roundTrip)
    {
        var samples = new double[count];
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await roundTrip();
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        Array.Sort(samples);
        return (Percentile(samples, 0.50), Percentile(samples, 0.99));
    }

    private static async Task<double> ThroughputAsync(double seconds, int workers, Func<int, Task> roundTrip)
    {
        long completed = 0;
        var deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var start = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, workers).Select(async worker =>
        {
            while (Stopwatch.GetTimestamp() < deadline)
            {
                await roundTrip(worker);
                Interlocked.Increment(ref completed);
            }
        }));
        return completed / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>
    /// Finds built bundled plugins (a folder with <c>plugboard.webchat/</c> and <c>plugboard.echo/</c>): <c>--plugins</c>,
    /// then the CLI's or the plugin tests' build output, else publishes both plugin projects into a temp folder.
    /// </summary>
    private static async Task<string?> LocatePluginsAsync(string? explicitFolder, string root)
    {
        static bool Complete(string folder) =>
            File.Exists(Path.Combine(folder, "plugboard.webchat", "plugin.json")) && File.Exists(Path.Combine(folder, "plugboard.echo", "plugin.json"));

        if (explicitFolder is not null)
        {
            if (Complete(explicitFolder))
            {
                return Path.GetFullPath(explicitFolder);
            }

            Console.Error.WriteLine($"--plugins {explicitFolder} does not hold plugboard.webchat/ and plugboard.echo/ (build src/Plugboard.Cli: its build output has them under plugins/).");
            return null;
        }

        var self = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var configuration = Path.GetFileName(self);
        var candidates = new List<string> { Path.Combine(self, "plugins") };
        if (Path.GetDirectoryName(Path.GetDirectoryName(self)) is { } artifactsBin)
        {
            // Artifacts layout (PLUGBOARD_ARTIFACTS): <artifacts>/bin/<project>/<configuration>/.
            candidates.Add(Path.Combine(artifactsBin, "Plugboard.Cli", configuration, "plugins"));
            candidates.Add(Path.Combine(artifactsBin, "Plugboard.Plugins.Tests", configuration, "plugins"));
        }

        var repository = RepositoryRoot.Find();
        if (repository is not null)
        {
            foreach (var build in new[] { "Release", "Debug" })
            {
                candidates.Add(Path.Combine(repository, "src", "Plugboard.Cli", "bin", build, "net10.0", "plugins"));
                candidates.Add(Path.Combine(repository, "tests", "Plugboard.Plugins.Tests", "bin", build, "net10.0", "plugins"));
            }
        }

        if (candidates.FirstOrDefault(Complete) is { } found)
        {
            return found;
        }

        if (repository is null)
        {
            Console.Error.WriteLine("The bundled plugins are not built and the repository is not found; pass --plugins <folder with plugboard.webchat/ and plugboard.echo/>.");
            return null;
        }

        var target = Path.Combine(root, "plugins");
        foreach (var (project, id) in new[] { ("Plugboard.Plugins.WebChat", "plugboard.webchat"), ("Plugboard.Plugins.Echo", "plugboard.echo") })
        {
            Console.WriteLine($"  publishing {project} (not built yet; takes a minute) ...");
            var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { "publish", Path.Combine(repository, "plugins", project, project + ".csproj"), "-c", "Release", "-o", Path.Combine(target, id), "--nologo", "-v", "quiet" })
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

    /// <summary>A runtime in this process with WebChat and Echo, and a web chat bot.</summary>
    private sealed class ChatHost : IAsyncDisposable
    {
        private static readonly JsonElement ToolArguments = JsonDocument.Parse("""{"text":"bench"}""").RootElement.Clone();
        private readonly PlugboardRuntime _runtime;
        private readonly SqliteStorage _storage;

        private ChatHost(PlugboardRuntime runtime, SqliteStorage storage, Uri chatUrl)
        {
            _runtime = runtime;
            _storage = storage;
            ChatUrl = chatUrl;
        }

        public Uri ChatUrl { get; }

        public static async Task<ChatHost> StartAsync(string plugins, string data)
        {
            var options = new PlugboardOptions { DataDirectory = data };
            options.PluginDirectories.Add(plugins);
            var storage = new SqliteStorage(Options.Create(new SqliteStorageOptions { DataDirectory = data }));
            var runtime = new PlugboardRuntime(Options.Create(options), storage, NullLoggerFactory.Instance);
            await runtime.StartAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await runtime.WaitUntilRunningAsync(DefaultBots.WebChatPluginId, timeout.Token);
            await runtime.WaitUntilRunningAsync("plugboard.echo", timeout.Token);
            await runtime.AddBotAsync(new BotDefinition(BotId, "Benchmark chat", DefaultBots.WebChatPluginId, DefaultBots.WebChatPlatform, JsonDocument.Parse("{}").RootElement.Clone()));
            while (runtime.GetBot(BotId).State != "Running")
            {
                timeout.Token.ThrowIfCancellationRequested();
                await Task.Delay(50, timeout.Token);
            }

            var urls = await runtime.InvokeToolAsync(DefaultBots.WebChatPluginId + "/webchat_url", JsonDocument.Parse($$"""{"botId":"{{BotId}}"}""").RootElement);
            var url = new Uri(urls.GetProperty("bots")[0].GetProperty("url").GetString()!);
            return new ChatHost(runtime, storage, url);
        }

        public Task ToolRoundTripAsync() => _runtime.InvokeToolAsync("plugboard.echo/echo", ToolArguments);

        public async ValueTask DisposeAsync()
        {
            await _runtime.DisposeAsync();
            await _storage.DisposeAsync();
        }
    }

    /// <summary>The baseline: JSON-RPC <c>echo</c> to this program's <c>peer-rpc</c> mode over stdio.</summary>
    private sealed class RawRpcPeer : IAsyncDisposable
    {
        private static readonly JsonObject Payload = new() { ["value"] = "bench message" };
        private readonly Process _process;
        private readonly JsonRpcConnection _connection;

        private RawRpcPeer(Process process, JsonRpcConnection connection)
        {
            _process = process;
            _connection = connection;
        }

        public static Task<RawRpcPeer> StartAsync()
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
            start.ArgumentList.Add(typeof(E2eBenchmark).Assembly.Location);
            start.ArgumentList.Add(EchoPeers.RpcMode);
            var process = Process.Start(start)!;
            var connection = new JsonRpcConnection(new HeaderDelimitedTransport(process.StandardOutput.BaseStream, process.StandardInput.BaseStream), BenchJsonContext.CreateConnectionOptions());
            connection.Start();
            return Task.FromResult(new RawRpcPeer(process, connection));
        }

        public Task RoundTripAsync() => _connection.InvokeAsync<JsonElement>("echo", Payload);

        public async ValueTask DisposeAsync()
        {
            await _connection.DisposeAsync();
            _process.Kill();
            await _process.WaitForExitAsync();
            _process.Dispose();
        }
    }

    /// <summary>A minimal chat client: sends a text message and waits for the next final response frame.</summary>
    private sealed class ChatSocket : IAsyncDisposable
    {
        private readonly ClientWebSocket _socket;
        private readonly byte[] _buffer = new byte[64 * 1024];
        private readonly MemoryStream _frame = new();

        private ChatSocket(ClientWebSocket socket)
        {
            _socket = socket;
        }

        public static async Task<ChatSocket> ConnectAsync(Uri chatUrl)
        {
            var socket = new ClientWebSocket();
            var uri = new UriBuilder(chatUrl) { Scheme = "ws", Path = "/ws", Query = "session=person&user=bench-" + Guid.NewGuid().ToString("N")[..8] }.Uri;
            await socket.ConnectAsync(uri, CancellationToken.None);
            return new ChatSocket(socket);
        }

        public async Task RoundTripAsync(string text)
        {
            var message = Encoding.UTF8.GetBytes($$"""{"type":"message","text":"{{text}}"}""");
            await _socket.SendAsync(message, WebSocketMessageType.Text, true, CancellationToken.None);
            while (true)
            {
                _frame.SetLength(0);
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(_buffer.AsMemory(), CancellationToken.None);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        throw new InvalidOperationException($"The chat closed the connection: {_socket.CloseStatus} {_socket.CloseStatusDescription}.");
                    }

                    _frame.Write(_buffer, 0, result.Count);
                }
                while (!result.EndOfMessage);

                var span = _frame.GetBuffer().AsSpan(0, (int)_frame.Length);
                if (span.IndexOf(ResponseMarker) >= 0 && span.IndexOf(FinalMarker) >= 0)
                {
                    return;
                }

                if (span.IndexOf("\"type\":\"error\""u8) >= 0)
                {
                    throw new InvalidOperationException("The chat answered with an error: " + Encoding.UTF8.GetString(span));
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
            }
            catch (WebSocketException)
            {
            }

            _socket.Dispose();
        }
    }

    /// <summary>Many chat connections, each its own person session.</summary>
    private sealed class ChatPool(ChatSocket[] sockets) : IAsyncDisposable
    {
        public ChatSocket this[int index] => sockets[index];

        public static async Task<ChatPool> ConnectAsync(Uri chatUrl, int count)
            => new(await Task.WhenAll(Enumerable.Range(0, count).Select(_ => ChatSocket.ConnectAsync(chatUrl))));

        public async ValueTask DisposeAsync()
        {
            foreach (var socket in sockets)
            {
                await socket.DisposeAsync();
            }
        }
    }
}
