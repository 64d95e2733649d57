using System.Text.Json;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Protocol.InteropTests;

/// <summary>A C# <see cref="JsonRpcConnection"/> client calling the vscode-jsonrpc server (tests/interop/node/server.js) over stdio.</summary>
public sealed class CSharpClientToNodeServerTests
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Subtract_ByPosition_ReturnsDifference()
    {
        await using var session = NodeServerSession.Start();

        Assert.Equal(19, await session.Connection.InvokeAsync<int>("subtract", new[] { 42, 23 }, CallTimeout));
        Assert.Equal(-19, await session.Connection.InvokeAsync<int>("subtract", new[] { 23, 42 }, CallTimeout));
    }

    [Fact]
    public async Task Subtract_ByName_ReturnsDifference()
    {
        await using var session = NodeServerSession.Start();

        Assert.Equal(19, await session.Connection.InvokeAsync<int>("subtract", new SubtractArgs(42, 23), CallTimeout));
        Assert.Equal(-19, await session.Connection.InvokeAsync<int>("subtract", new SubtractArgs(23, 42), CallTimeout));
    }

    [Fact]
    public async Task Sum_ByPosition_ReturnsTotal()
    {
        await using var session = NodeServerSession.Start();

        Assert.Equal(7, await session.Connection.InvokeAsync<int>("sum", new[] { 1, 2, 4 }, CallTimeout));
    }

    [Fact]
    public async Task GetData_WithoutParams_ReturnsArray()
    {
        await using var session = NodeServerSession.Start();

        var result = await session.Connection.InvokeAsync<JsonElement>("get_data", null, CallTimeout);

        Assert.Equal("""["hello",5]""", result.GetRawText());
    }

    [Fact]
    public async Task Echo_NestedUnicodeValue_RoundTripsUnchanged()
    {
        await using var session = NodeServerSession.Start();
        var value = JsonDocument.Parse("""
            {"text":"h\u00e9llo \u4e16\u754c \ud83d\ude80 \"quoted\" \\ back\nslash","integer":-9007199254740991,"real":3.25,
             "flags":[true,false,null],"nested":{"empty":{},"list":[[],[1,[2,[3]]]]}}
            """).RootElement;

        var result = await session.Connection.InvokeAsync<JsonElement>("echo", new EchoArgs(value), CallTimeout);

        Assert.True(JsonElement.DeepEquals(value, result), $"sent {value.GetRawText()}, got back {result.GetRawText()}");
    }

    [Fact]
    public async Task Echo_OneMebibyteString_RoundTripsUnchanged()
    {
        await using var session = NodeServerSession.Start();
        var value = string.Concat(Enumerable.Repeat("plugboard-\u00e9-\u4e16-0123456789-", 50_000))[..(1024 * 1024)];

        var result = await session.Connection.InvokeAsync<string>("echo", new EchoTextArgs(value), CallTimeout);

        Assert.Equal(value.Length, result.Length);
        Assert.True(value == result, "the echoed string differs from the one sent");
    }

    [Fact]
    public async Task Echo_ManyConcurrentCalls_EachGetsItsOwnResult()
    {
        await using var session = NodeServerSession.Start();

        var calls = Enumerable.Range(0, 200)
            .Select(i => session.Connection.InvokeAsync<string>("echo", new EchoTextArgs($"call-{i}"), CallTimeout))
            .ToArray();
        var results = await Task.WhenAll(calls);

        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"call-{i}"), results);
    }

    [Fact]
    public async Task Notifications_ByPositionAndByName_RecordedInOrder()
    {
        await using var session = NodeServerSession.Start();

        await session.Connection.NotifyAsync("update", new[] { 1, 2, 3, 4, 5 });
        await session.Connection.NotifyAsync("notify_hello", new HelloArgs("plugboard"));
        var recorded = await session.Connection.InvokeAsync<RecordedNotification[]>("get_notifications", null, CallTimeout);

        // vscode-jsonrpc handles messages in arrival order, so both are recorded before get_notifications runs.
        Assert.Collection(
            recorded,
            n =>
            {
                Assert.Equal("update", n.Method);
                Assert.Equal("[1,2,3,4,5]", n.Params.GetRawText());
            },
            n =>
            {
                Assert.Equal("notify_hello", n.Method);
                Assert.Equal("""{"name":"plugboard"}""", n.Params.GetRawText());
            });
    }

    [Fact]
    public async Task Fail_ApplicationError_ThrowsWithCodeMessageAndData()
    {
        await using var session = NodeServerSession.Start();

        var error = await Assert.ThrowsAsync<JsonRpcException>(
            () => session.Connection.InvokeAsync<JsonElement>("fail", new FailArgs(4242, "boom on request"), CallTimeout));

        Assert.Equal(4242, error.Code);
        Assert.Equal("boom on request", error.Message);
        Assert.NotNull(error.Data);
        Assert.Equal("""{"detail":"requested failure"}""", error.Data.Value.GetRawText());
    }

    [Fact]
    public async Task Fail_PlugboardErrorCode_ThrowsWithThatCode()
    {
        await using var session = NodeServerSession.Start();

        var error = await Assert.ThrowsAsync<JsonRpcException>(
            () => session.Connection.InvokeAsync<JsonElement>("fail", new FailArgs(JsonRpcErrorCodes.NotSupported, "not supported here"), CallTimeout));

        Assert.Equal(JsonRpcErrorCodes.NotSupported, error.Code);
        Assert.Equal("not supported here", error.Message);
    }

    [Fact]
    public async Task Subtract_WrongParamTypes_ThrowsInvalidParams()
    {
        await using var session = NodeServerSession.Start();

        var error = await Assert.ThrowsAsync<JsonRpcException>(
            () => session.Connection.InvokeAsync<int>("subtract", new BadSubtractArgs("a", "b"), CallTimeout));

        Assert.Equal(JsonRpcErrorCodes.InvalidParams, error.Code);
    }

    [Fact]
    public async Task UnknownMethod_ThrowsMethodNotFound()
    {
        await using var session = NodeServerSession.Start();

        var error = await Assert.ThrowsAsync<JsonRpcException>(
            () => session.Connection.InvokeAsync<JsonElement>("no_such_method", new HelloArgs("x"), CallTimeout));

        Assert.Equal(JsonRpcErrorCodes.MethodNotFound, error.Code);
    }

    [Fact]
    public async Task Slow_CancelledByCaller_NodeAnswersRequestCancelledAndCountsIt()
    {
        await using var session = NodeServerSession.Start();
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var started = DateTime.UtcNow;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => session.Connection.InvokeAsync<string>("slow", new SlowArgs(10_000), cancellation.Token));

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5), "the cancelled call did not end promptly");
        var answer = await WaitForCancelledAnswerAsync(session, "slow");
        Assert.Equal(JsonRpcErrorCodes.RequestCancelled, answer.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal(1, await session.Connection.InvokeAsync<int>("get_cancelled", null, CallTimeout));
    }

    [Fact]
    public async Task Slow_CallTimeout_SendsCancelRequestAndThrowsTimeout()
    {
        await using var session = NodeServerSession.Start();

        await Assert.ThrowsAsync<TimeoutException>(
            () => session.Connection.InvokeAsync<string>("slow", new SlowArgs(10_000), TimeSpan.FromMilliseconds(200)));

        var answer = await WaitForCancelledAnswerAsync(session, "slow");
        Assert.Equal(JsonRpcErrorCodes.RequestCancelled, answer.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal(1, await session.Connection.InvokeAsync<int>("get_cancelled", null, CallTimeout));
    }

    [Fact]
    public async Task Slow_NotCancelled_Completes()
    {
        await using var session = NodeServerSession.Start();

        Assert.Equal("done", await session.Connection.InvokeAsync<string>("slow", new SlowArgs(50), CallTimeout));
        Assert.Equal(0, await session.Connection.InvokeAsync<int>("get_cancelled", null, CallTimeout));
    }

    [Fact]
    public async Task Progress_NodeReports_DeliveredInOrderBeforeResult()
    {
        await using var session = NodeServerSession.Start();
        var progress = new RecordingProgress();
        using var registration = session.Connection.RegisterProgress(progress);

        var result = await session.Connection.InvokeAsync<int>("progress", new ProgressArgs(5, registration.Token), CallTimeout);
        var reportsAtResult = progress.Values;
        await Task.Delay(100);

        Assert.Equal(5, result);
        Assert.Equal([1, 2, 3, 4, 5], reportsAtResult);
        Assert.Equal([1, 2, 3, 4, 5], progress.Values);
    }

    [Fact]
    public async Task Close_NodeServerSeesEndOfInput_ExitsWithZero()
    {
        await using var session = NodeServerSession.Start();
        Assert.Equal(19, await session.Connection.InvokeAsync<int>("subtract", new[] { 42, 23 }, CallTimeout));

        var exitCode = await session.CloseAndWaitForExitAsync();

        Assert.Equal(0, exitCode);
        Assert.Equal(DisconnectReason.LocalDispose, (await session.Connection.Completion).Reason);
    }

    /// <summary>
    /// The caller stops waiting at once when it cancels; the server's -32800 answer still arrives on the wire and is
    /// ignored by the engine. Finds that answer in the Trace log.
    /// </summary>
    private static async Task<JsonElement> WaitForCancelledAnswerAsync(NodeServerSession session, string method)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (true)
        {
            var request = session.Wire.Messages(received: false)
                .LastOrDefault(m => m.TryGetProperty("method", out var name) && name.GetString() == method && m.TryGetProperty("id", out _));
            if (request.ValueKind == JsonValueKind.Object)
            {
                var id = request.GetProperty("id").GetInt64();
                var cancel = session.Wire.Messages(received: false).Any(m =>
                    m.TryGetProperty("method", out var name) && name.GetString() == "$/cancelRequest"
                    && m.GetProperty("params").GetProperty("id").GetInt64() == id);
                var answer = session.Wire.Messages(received: true)
                    .FirstOrDefault(m => m.TryGetProperty("id", out var answerId) && answerId.ValueKind == JsonValueKind.Number && answerId.GetInt64() == id);
                if (cancel && answer.ValueKind == JsonValueKind.Object)
                {
                    Assert.True(answer.TryGetProperty("error", out _), $"expected an error answer to the cancelled '{method}', got {answer.GetRawText()}");
                    return answer;
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"No $/cancelRequest and answer for the cancelled '{method}' within 5 s.{Environment.NewLine}Wire:{Environment.NewLine}{session.Wire}{Environment.NewLine}Node stderr:{Environment.NewLine}{session.Stderr}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Records progress values synchronously, in delivery order.</summary>
    private sealed class RecordingProgress : IProgress<int>
    {
        private readonly Lock _lock = new();
        private readonly List<int> _values = [];

        public int[] Values
        {
            get
            {
                lock (_lock)
                {
                    return [.. _values];
                }
            }
        }

        public void Report(int value)
        {
            lock (_lock)
            {
                _values.Add(value);
            }
        }
    }
}
