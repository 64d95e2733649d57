using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Protocol.Tests.Infrastructure;
using Plugboard.Protocol.TestServer;
using Plugboard.Protocol.Transports;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Plugboard.Protocol.Tests.Fuzz;

/// <summary>
/// Seeded random frame corruption against the engine over in-memory pipes. Asserts no crash (the engine never ends a
/// connection with TransportError, which only our own bugs could cause here, and everything it writes is a valid
/// JSON-RPC response), no hang (every case is bounded) and bounded memory (the managed heap after a full collection
/// stays under a cap). Replay a failure with the seed and case number in its message.
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20_261_121;
    private const int BodyCases = 40_000;
    private const int CasesPerConnection = 100;
    private const int StreamCases = 12_000;
    private const long MemoryCap = 200L * 1024 * 1024;

    /// <summary>
    /// Corrupted bodies inside correct framing: each connection takes 100 cases and must answer all of them without
    /// ending, then a probe request, then end cleanly (RemoteClosed) when its input ends.
    /// </summary>
    [Fact]
    public async Task Read_CorruptedBodiesInValidFrames_ConnectionSurvivesEveryCase()
    {
        var peakMemory = 0L;
        for (var first = 0; first < BodyCases; first += CasesPerConnection)
        {
            await using var peer = FuzzPeer.Start(JsonRpcConnectionOptions.DefaultMaxMessageSize);
            for (var index = first; index < first + CasesPerConnection; index++)
            {
                var corrupter = new FrameCorrupter(new Random(CaseSeed(1, index)));
                var frame = Frames.Of(corrupter.Body());
                foreach (var chunk in corrupter.Chunks(frame))
                {
                    Assert.False(await peer.WriteAsync(chunk), Describe(1, index, "the engine stopped reading", peer));
                }
            }

            var probe = $"probe-{first}";
            await peer.WriteAsync(Frames.Of($$"""{"jsonrpc":"2.0","id":"{{probe}}","method":"sum","params":[1,2]}"""));
            var answered = peer.WaitForResponseAsync(probe);
            await Task.WhenAny(answered, peer.Server.Completion, Task.Delay(TestTimeouts.Step));
            if (!answered.IsCompletedSuccessfully)
            {
                var ended = peer.Server.Completion.IsCompleted ? $"it ended with {(await peer.Server.Completion).Reason}: {(await peer.Server.Completion).Description}" : "it hung";
                Assert.Fail(Describe(1, first, $"no answer to the probe after cases {first}..{first + CasesPerConnection - 1}; {ended}. {await FindCulpritAsync(first)}", peer));
            }

            Assert.Equal(3, (await answered).GetProperty("result").GetInt32());

            await peer.EndInputAsync();
            var end = await peer.EndedAsync();
            Assert.True(end.Reason == DisconnectReason.RemoteClosed, Describe(1, first, $"ended with {end.Reason}: {end.Description} {end.Exception}", peer));
            await peer.OutputDrained.Within();
            Assert.True(peer.Problems.IsEmpty, Describe(1, first, "invalid output", peer));

            peakMemory = Math.Max(peakMemory, CheckMemory(first));
        }

        output.WriteLine($"{BodyCases} body cases; peak managed heap after full collections {peakMemory / (1024 * 1024)} MiB.");
    }

    /// <summary>
    /// Corrupted framing (lengths, header lines, bytes anywhere, truncation) through a small 4 KiB limit, one
    /// connection per case followed by end of stream: each must end with ProtocolViolation or RemoteClosed.
    /// </summary>
    [Fact]
    public async Task Read_CorruptedFraming_EndsOnlyWithProtocolViolationOrRemoteClosed()
    {
        var peakMemory = 0L;
        var reasons = new Dictionary<DisconnectReason, int>();
        for (var index = 0; index < StreamCases; index++)
        {
            var corrupter = new FrameCorrupter(new Random(CaseSeed(2, index)));
            var stream = corrupter.Stream();
            await using var peer = FuzzPeer.Start(4096);
            foreach (var chunk in corrupter.Chunks(stream))
            {
                if (await peer.WriteAsync(chunk))
                {
                    break;
                }
            }

            await peer.EndInputAsync();
            var end = await peer.EndedAsync();
            Assert.True(
                end.Reason is DisconnectReason.ProtocolViolation or DisconnectReason.RemoteClosed,
                Describe(2, index, $"ended with {end.Reason}: {end.Description} {end.Exception}; input {Printable(stream)}", peer));
            await peer.OutputDrained.Within();
            Assert.True(peer.Problems.IsEmpty, Describe(2, index, $"invalid output for input {Printable(stream)}", peer));
            reasons[end.Reason] = reasons.GetValueOrDefault(end.Reason) + 1;

            if (index % 2000 == 0)
            {
                peakMemory = Math.Max(peakMemory, CheckMemory(index));
            }
        }

        peakMemory = Math.Max(peakMemory, CheckMemory(StreamCases));
        output.WriteLine($"{StreamCases} stream cases: {string.Join(", ", reasons.Select(r => $"{r.Key} {r.Value}"))}; peak managed heap {peakMemory / (1024 * 1024)} MiB.");
    }

    /// <summary>Replays the cases of a failed batch one per connection to name the first one that ends or hangs it.</summary>
    private static async Task<string> FindCulpritAsync(int first)
    {
        for (var index = first; index < first + CasesPerConnection; index++)
        {
            var corrupter = new FrameCorrupter(new Random(CaseSeed(1, index)));
            var body = corrupter.Body();
            await using var peer = FuzzPeer.Start(JsonRpcConnectionOptions.DefaultMaxMessageSize);
            await peer.WriteAsync(Frames.Of(body));
            await peer.WriteAsync(Frames.Of("""{"jsonrpc":"2.0","id":"probe-replay","method":"sum","params":[1,2]}"""));
            var answered = peer.WaitForResponseAsync("probe-replay");
            await Task.WhenAny(answered, peer.Server.Completion, Task.Delay(TimeSpan.FromSeconds(10)));
            if (!answered.IsCompletedSuccessfully)
            {
                var end = peer.Server.Completion.IsCompleted ? await peer.Server.Completion : null;
                return $"Culprit: case {index}, body {Printable(body)}; ended: {end?.Reason} {end?.Description} {end?.Exception}";
            }
        }

        return "No single case reproduces it alone.";
    }

    private static int CaseSeed(int suite, int index) => unchecked((Seed * 31) + (suite * 1_000_003) + index);

    private static long CheckMemory(int index)
    {
        var bytes = GC.GetTotalMemory(forceFullCollection: true);
        Assert.True(bytes < MemoryCap, $"The managed heap holds {bytes / (1024 * 1024)} MiB after a full collection at case {index}, over the {MemoryCap / (1024 * 1024)} MiB cap.");
        return bytes;
    }

    private static string Describe(int suite, int index, string problem, FuzzPeer peer)
        => $"Fuzz suite {suite}, seed {Seed}, case {index}: {problem}. Output problems: {string.Join(" | ", peer.Problems.Take(5))}";

    private static string Printable(byte[] bytes)
    {
        var sample = bytes.Length > 400 ? bytes[..400] : bytes;
        var text = new StringBuilder();
        foreach (var b in sample)
        {
            text.Append(b is >= 0x20 and < 0x7F ? ((char)b).ToString() : $"\\x{b:X2}");
        }

        return bytes.Length > 400 ? text.Append("...").ToString() : text.ToString();
    }

    /// <summary>A connection serving <see cref="TestMethods"/> whose output is drained and checked concurrently.</summary>
    private sealed class FuzzPeer : IAsyncDisposable
    {
        private readonly Pipe _input = new();
        private readonly Pipe _output = new();
        private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonElement>> _waiting = new();

        private FuzzPeer(int maxMessageSize)
        {
            var options = TestMethods.CreateOptions();
            options.MaxMessageSize = maxMessageSize;
            Server = new JsonRpcConnection(new HeaderDelimitedTransport(_input.Reader, _output.Writer, maxMessageSize), options);
            new TestMethods().Register(Server);
            Server.Start();
            OutputDrained = Task.Run(DrainAsync);
        }

        public JsonRpcConnection Server { get; }

        /// <summary>Everything wrong with what the engine wrote.</summary>
        public ConcurrentQueue<string> Problems { get; } = new();

        public Task OutputDrained { get; }

        public static FuzzPeer Start(int maxMessageSize) => new(maxMessageSize);

        public async Task<bool> WriteAsync(ReadOnlyMemory<byte> bytes) => (await _input.Writer.WriteAsync(bytes).Within()).IsCompleted;

        public Task EndInputAsync() => _input.Writer.CompleteAsync().AsTask();

        public async Task<JsonRpcDisconnectedEventArgs> EndedAsync() => await Server.Completion.Within();

        public Task<JsonElement> WaitForResponseAsync(string id) => _waiting.GetOrAdd(id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            await _input.Writer.CompleteAsync();
            await OutputDrained.WaitAsync(TestTimeouts.Step).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        private async Task DrainAsync()
        {
            var reader = new FrameReader(_output.Reader);
            try
            {
                while (await reader.ReadFrameAsync() is { } frame)
                {
                    Check(frame);
                }
            }
            catch (XunitException ex)
            {
                Problems.Enqueue("bad framing: " + ex.Message);
            }
            finally
            {
                await _output.Reader.CompleteAsync();
            }
        }

        private void Check(byte[] frame)
        {
            if (!Utf8.IsValid(frame))
            {
                Problems.Enqueue("output is not valid UTF-8");
                return;
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(frame);
            }
            catch (JsonException ex)
            {
                Problems.Enqueue($"output is not JSON ({ex.Message}): {Encoding.UTF8.GetString(frame)}");
                return;
            }

            using (document)
            {
                var root = document.RootElement;
                if (root.ValueKind == JsonValueKind.Array)
                {
                    if (root.GetArrayLength() == 0)
                    {
                        Problems.Enqueue("an empty batch response");
                    }

                    foreach (var item in root.EnumerateArray())
                    {
                        CheckResponse(item);
                    }
                }
                else
                {
                    CheckResponse(root);
                }
            }
        }

        private void CheckResponse(JsonElement response)
        {
            var text = response.GetRawText();
            if (response.ValueKind != JsonValueKind.Object
                || !response.TryGetProperty("jsonrpc", out var version) || version.ValueKind != JsonValueKind.String || version.GetString() != "2.0"
                || !response.TryGetProperty("id", out var id) || id.ValueKind is not (JsonValueKind.Number or JsonValueKind.String or JsonValueKind.Null)
                || response.TryGetProperty("method", out _))
            {
                Problems.Enqueue("not a response: " + text);
                return;
            }

            var hasResult = response.TryGetProperty("result", out _);
            var hasError = response.TryGetProperty("error", out var error);
            if (hasResult == hasError)
            {
                Problems.Enqueue("not exactly one of result and error: " + text);
                return;
            }

            if (hasError && (error.ValueKind != JsonValueKind.Object
                || !error.TryGetProperty("code", out var code) || !code.TryGetInt32(out _)
                || !error.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.String
                || !error.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object))
            {
                Problems.Enqueue("a malformed error: " + text);
                return;
            }

            if (id.ValueKind == JsonValueKind.String && _waiting.TryGetValue(id.GetString()!, out var waiter))
            {
                waiter.TrySetResult(response.Clone());
            }
            else if (id.ValueKind == JsonValueKind.String && id.GetString()!.StartsWith("probe-", StringComparison.Ordinal))
            {
                _waiting.GetOrAdd(id.GetString()!, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(response.Clone());
            }
        }
    }
}
