using System.Text;
using System.Text.Json;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Protocol.Tests.Infrastructure;
using Plugboard.Protocol.TestServer;

namespace Plugboard.Protocol.Tests.Connection;

/// <summary>
/// The connection suite, run against every transport: each subclass supplies a client connection to a peer serving
/// the test method contract (<see cref="TestMethods"/>) — in-process over pipes, a child process over its stdio, a
/// child process over a loopback WebSocket. Everything here is a client-side observation, so it holds for all three.
/// </summary>
public abstract class ConnectionTests : IAsyncLifetime
{
    /// <summary>The peer's <see cref="JsonRpcConnectionOptions.MaxConcurrentRequests"/> (the default; the test server does not change it).</summary>
    private const int PeerMaxConcurrentRequests = 1024;

    private readonly List<PeerSession> _sessions = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var session in Enumerable.Reverse(_sessions))
        {
            await session.DisposeAsync();
        }
    }

    [Fact]
    public async Task InvokeAsync_PositionalParams_ReturnsResult()
    {
        var client = await ConnectAsync();

        Assert.Equal(19, await client.InvokeAsync<int>("subtract", new[] { 42, 23 }).Within());
        Assert.Equal(-19, await client.InvokeAsync<int>("subtract", new[] { 23, 42 }).Within());
        Assert.Equal(7, await client.InvokeAsync<int>("sum", new[] { 1, 2, 4 }).Within());
    }

    [Fact]
    public async Task InvokeAsync_NamedParams_ReturnsResult()
    {
        var client = await ConnectAsync();

        Assert.Equal(19, await client.InvokeAsync<int>("subtract", new { minuend = 42, subtrahend = 23 }).Within());
        Assert.Equal(19, await client.InvokeAsync<int>("subtract", new Dictionary<string, int> { ["subtrahend"] = 23, ["minuend"] = 42 }).Within());
        var data = await client.InvokeAsync<JsonElement>("get_data").Within();
        Assert.Equal("""["hello",5]""", data.GetRawText());
    }

    [Fact]
    public async Task NotifyAsync_ThenGetNotifications_PeerRecordedThem()
    {
        var client = await ConnectAsync();

        await client.NotifyAsync("update", new[] { 1, 2, 3, 4, 5 }).Within();
        await client.NotifyAsync("notify_hello", new[] { 7 }).Within();
        await client.NotifyAsync("no_such_notification", new { ignored = true }).Within();

        // Notifications run concurrently with later requests, so poll until both were handled.
        var recorded = await TestTimeouts.EventuallyAsync(
            () => client.InvokeAsync<ReceivedNotification[]>("get_notifications"),
            r => r.Length >= 2,
            "two notifications to be recorded");
        Assert.Equal(2, recorded.Length);
        var update = Assert.Single(recorded, n => n.Method == "update");
        Assert.Equal("[1,2,3,4,5]", update.Params.GetRawText());
        var hello = Assert.Single(recorded, n => n.Method == "notify_hello");
        Assert.Equal("[7]", hello.Params.GetRawText());
    }

    [Fact]
    public async Task InvokeAsync_MethodFails_ThrowsWithCodeMessageAndData()
    {
        var client = await ConnectAsync();

        var error = await Assert.ThrowsAsync<JsonRpcException>(
            () => client.InvokeAsync<JsonElement>("fail", new { code = 4242, message = "the widget is broken" }).Within());

        Assert.Equal(4242, error.Code);
        Assert.Equal("the widget is broken", error.Message);
        Assert.NotNull(error.Data);
        Assert.Equal("requested failure", error.Data.Value.GetProperty("detail").GetString());

        // The connection is unaffected.
        Assert.Equal(1, await client.InvokeAsync<int>("subtract", new[] { 2, 1 }).Within());
    }

    [Fact]
    public async Task InvokeAsync_UnknownMethod_ThrowsMethodNotFound()
    {
        var client = await ConnectAsync();

        var error = await Assert.ThrowsAsync<JsonRpcException>(() => client.InvokeAsync<int>("no_such_method", new[] { 1 }).Within());

        Assert.Equal(JsonRpcErrorCodes.MethodNotFound, error.Code);
        Assert.Equal("no_such_method", error.Data?.GetProperty("method").GetString());
    }

    [Fact]
    public async Task InvokeAsync_InvalidParams_ThrowsInvalidParamsWithPath()
    {
        var client = await ConnectAsync();

        var byName = await Assert.ThrowsAsync<JsonRpcException>(
            () => client.InvokeAsync<int>("subtract", new { minuend = "forty-two", subtrahend = 23 }).Within());
        Assert.Equal(JsonRpcErrorCodes.InvalidParams, byName.Code);
        Assert.Equal("$.minuend", byName.Data?.GetProperty("path").GetString());

        var byPosition = await Assert.ThrowsAsync<JsonRpcException>(
            () => client.InvokeAsync<int>("subtract", new object[] { 42, "twenty-three" }).Within());
        Assert.Equal(JsonRpcErrorCodes.InvalidParams, byPosition.Code);
        Assert.Equal("$.subtrahend", byPosition.Data?.GetProperty("path").GetString());

        var tooMany = await Assert.ThrowsAsync<JsonRpcException>(() => client.InvokeAsync<int>("subtract", new[] { 1, 2, 3 }).Within());
        Assert.Equal(JsonRpcErrorCodes.InvalidParams, tooMany.Code);

        var namedToPositional = await Assert.ThrowsAsync<JsonRpcException>(() => client.InvokeAsync<int>("sum", new { a = 1 }).Within());
        Assert.Equal(JsonRpcErrorCodes.InvalidParams, namedToPositional.Code);
    }

    [Fact]
    public async Task InvokeAsync_Cancelled_SendsCancelRequestAndPeerAnswersRequestCancelled()
    {
        var logger = new RecordingLogger();
        var client = await ConnectAsync(new ClientSettings { Logger = logger });
        using var cancellation = new CancellationTokenSource();

        var slow = client.InvokeAsync<string>("slow", new { milliseconds = 600_000 }, cancellation.Token);
        await EnsurePeerHasReadEarlierRequestsAsync(client);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => slow.Within());
        Assert.True(logger.Sent("\"$/cancelRequest\""), "A $/cancelRequest notification must be sent.");
        await TestTimeouts.EventuallyAsync(() => client.InvokeAsync<int>("get_cancelled"), n => n == 1, "the peer to observe one cancellation");
        await TestTimeouts.EventuallyAsync(
            () => Task.FromResult(logger.Received($"\"code\":{JsonRpcErrorCodes.RequestCancelled}")),
            seen => seen,
            "the peer to answer the cancelled request with error -32800");
    }

    [Fact]
    public async Task InvokeAsync_CallTimeoutElapses_ThrowsTimeoutAndCancelsOnPeer()
    {
        var logger = new RecordingLogger();
        var client = await ConnectAsync(new ClientSettings { Logger = logger });

        await Assert.ThrowsAsync<TimeoutException>(
            () => client.InvokeAsync<string>("slow", new { milliseconds = 600_000 }, TimeSpan.FromSeconds(1)).Within());

        Assert.True(logger.Sent("\"$/cancelRequest\""), "A timed-out call must be cancelled with $/cancelRequest.");
        await TestTimeouts.EventuallyAsync(() => client.InvokeAsync<int>("get_cancelled"), n => n == 1, "the peer to observe the cancellation");
    }

    [Fact]
    public async Task InvokeAsync_DefaultCallTimeout_AppliesToCallsWithoutTheirOwn()
    {
        var client = await ConnectAsync(new ClientSettings { Options = new JsonRpcConnectionOptions { DefaultCallTimeout = TimeSpan.FromSeconds(1) } });

        await Assert.ThrowsAsync<TimeoutException>(() => client.InvokeAsync<string>("slow", new { milliseconds = 600_000 }).Within());
        await TestTimeouts.EventuallyAsync(() => client.InvokeAsync<int>("get_cancelled"), n => n == 1, "the peer to observe the cancellation");
    }

    [Fact]
    public async Task InvokeAsync_WithProgress_ReportsArriveInOrderBeforeResult()
    {
        var client = await ConnectAsync();
        var reports = new List<int>();
        using var registration = client.RegisterProgress(new SynchronousProgress<int>(reports.Add));

        var result = await client.InvokeAsync<int>("progress", new { count = 25, progressToken = registration.Token }).Within();

        // Taken the moment the result is delivered: every report must already be in, in order.
        int[] snapshot = [.. reports];
        Assert.Equal(25, result);
        Assert.Equal(Enumerable.Range(1, 25), snapshot);
    }

    [Fact]
    public async Task InvokeStreamAsync_ManyPages_YieldsAllItemsInOrder()
    {
        var client = await ConnectAsync();

        var immediate = await CollectAsync(client.InvokeStreamAsync<int>("count", new { count = 300 })).Within();
        var trickled = await CollectAsync(client.InvokeStreamAsync<int>("count", new { count = 12, delayMilliseconds = 2 })).Within();
        var empty = await CollectAsync(client.InvokeStreamAsync<int>("count", new { count = 0 })).Within();

        Assert.Equal(Enumerable.Range(1, 300), immediate);
        Assert.Equal(Enumerable.Range(1, 12), trickled);
        Assert.Empty(empty);
    }

    [Fact]
    public async Task InvokeStreamAsync_BreakEarly_AbortsStreamOnPeer()
    {
        var client = await ConnectAsync();

        // A stream left open on purpose, read with the raw enumerator protocol: it tells us the peer's next token.
        var open = await client.InvokeAsync<JsonElement>("count", new { count = 1_000_000 }).Within();
        var openToken = open.GetProperty("token").GetInt64();

        var seen = new List<int>();
        await Task.Run(async () =>
        {
            await foreach (var item in client.InvokeStreamAsync<int>("count", new { count = 1_000_000 }))
            {
                seen.Add(item);

                // Past the first page (the default page size is 64), where only the stream's first answer carried its token.
                if (seen.Count == 100)
                {
                    break;
                }
            }
        }).Within();
        Assert.Equal(Enumerable.Range(1, 100), seen);

        // Breaking out sent $/enumerator/abort (a notification, handled asynchronously): the peer eventually forgets the token.
        var abortedToken = openToken + 1;
        await TestTimeouts.EventuallyAsync(
            async () =>
            {
                try
                {
                    await client.InvokeAsync<JsonElement>("$/enumerator/next", new { token = abortedToken });
                    return false;
                }
                catch (JsonRpcException ex) when (ex.Code == JsonRpcErrorCodes.InvalidParams)
                {
                    return true;
                }
            },
            gone => gone,
            $"the peer to drop the aborted stream {abortedToken}");

        // The other stream is untouched: its next page continues where the first one ended.
        var next = await client.InvokeAsync<JsonElement>("$/enumerator/next", new { token = openToken }).Within();
        Assert.Equal(open.GetProperty("values").EnumerateArray().Last().GetInt32() + 1, next.GetProperty("values")[0].GetInt32());
        await client.NotifyAsync("$/enumerator/abort", new { token = openToken }).Within();
    }

    [Fact]
    public async Task InvokeAsync_64Concurrent_AllCompleteWithTheirOwnResults()
    {
        var client = await ConnectAsync();

        var echoes = Enumerable.Range(0, 32).Select(i => client.InvokeAsync<int>("echo", new { value = i })).ToArray();
        var slow = Enumerable.Range(0, 32).Select(i => client.InvokeAsync<string>("slow", new { milliseconds = 5 + i })).ToArray();
        var results = await Task.WhenAll(echoes).Within();
        var slowResults = await Task.WhenAll(slow).Within();

        Assert.Equal(Enumerable.Range(0, 32), results);
        Assert.All(slowResults, r => Assert.Equal("done", r));
    }

    [Fact]
    public async Task InvokeAsync_OneMebibyteEcho_RoundTripsUnchanged()
    {
        var client = await ConnectAsync();
        var payload = LargeText(1024 * 1024);

        var echoed = await client.InvokeAsync<string>("echo", new { value = payload }).Within();

        Assert.Equal(payload.Length, echoed.Length);
        Assert.True(payload == echoed, "The echoed 1 MiB string differs from the one sent.");
    }

    [Fact]
    public async Task InvokeAsync_ConcurrentPeer_LaterRequestOvertakesSlowOne()
    {
        var client = await ConnectAsync();

        var slow = client.InvokeAsync<string>("slow", new { milliseconds = 600_000 });
        Assert.Equal(5, await client.InvokeAsync<int>("echo", new { value = 5 }).Within());

        Assert.False(slow.IsCompleted);
    }

    [Fact]
    public async Task InvokeAsync_OrderedPeer_RunsRequestsInArrivalOrder()
    {
        var logger = new RecordingLogger();
        var client = await ConnectAsync(new ClientSettings { OrderedPeer = true, Logger = logger });

        var slow = client.InvokeAsync<string>("slow", new { milliseconds = 200 });
        Assert.Equal("after", await client.InvokeAsync<string>("echo", new { value = "after" }).Within());
        Assert.Equal("done", await slow.Within());

        // The ordered peer ran and answered the slow call before it started the echo: the answers arrived in that order.
        var received = logger.Entries.Where(e => e.StartsWith("Trace: <-- ", StringComparison.Ordinal)).ToList();
        var slowAnswer = received.FindIndex(e => e.Contains("\"result\":\"done\"", StringComparison.Ordinal));
        var echoAnswer = received.FindIndex(e => e.Contains("\"result\":\"after\"", StringComparison.Ordinal));
        Assert.True(slowAnswer >= 0 && echoAnswer >= 0, string.Join(Environment.NewLine, received));
        Assert.True(slowAnswer < echoAnswer, "The ordered peer answered a later request before an earlier one.");
    }

    [Fact]
    public async Task NotifyAsync_OrderedPeer_HandlesNotificationsInArrivalOrder()
    {
        var client = await ConnectAsync(new ClientSettings { OrderedPeer = true });

        for (var i = 1; i <= 100; i++)
        {
            await client.NotifyAsync("update", new[] { i }).Within();
        }

        // Ordered dispatch runs this request after all 100 notifications, so no polling is needed.
        var recorded = await client.InvokeAsync<ReceivedNotification[]>("get_notifications").Within();
        Assert.Equal(Enumerable.Range(1, 100), recorded.Select(n => n.Params[0].GetInt32()));
    }

    [Fact]
    public async Task InvokeAsync_PeerCloses_PendingCallsFailWithRemoteClosed()
    {
        var session = await StartAsync();
        var client = session.Client;
        var pending = Enumerable.Range(0, 3).Select(_ => client.InvokeAsync<string>("slow", new { milliseconds = 600_000 })).ToArray();
        await EnsurePeerHasReadEarlierRequestsAsync(client);

        await session.ClosePeerAsync().Within();

        foreach (var call in pending)
        {
            var lost = await Assert.ThrowsAsync<JsonRpcConnectionLostException>(() => call.Within());
            Assert.Equal(DisconnectReason.RemoteClosed, lost.Reason);
        }

        var end = await client.Completion.Within();
        Assert.Equal(DisconnectReason.RemoteClosed, end.Reason);
        Assert.True(client.IsDisconnected);
        var late = await Assert.ThrowsAsync<JsonRpcConnectionLostException>(() => client.InvokeAsync<int>("sum", new[] { 1 }).Within());
        Assert.Equal(DisconnectReason.RemoteClosed, late.Reason);
    }

    [Fact]
    public async Task DisposeAsync_WithPendingCalls_FailWithLocalDispose()
    {
        var client = await ConnectAsync();
        var disconnected = new TaskCompletionSource<DisconnectReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Disconnected += (_, e) => disconnected.TrySetResult(e.Reason);
        var pending = client.InvokeAsync<string>("slow", new { milliseconds = 600_000 });
        await EnsurePeerHasReadEarlierRequestsAsync(client);

        await client.DisposeAsync().Within();

        var lost = await Assert.ThrowsAsync<JsonRpcConnectionLostException>(() => pending.Within());
        Assert.Equal(DisconnectReason.LocalDispose, lost.Reason);
        Assert.Equal(DisconnectReason.LocalDispose, (await client.Completion.Within()).Reason);
        Assert.Equal(DisconnectReason.LocalDispose, await disconnected.Task.Within());
        var late = await Assert.ThrowsAsync<JsonRpcConnectionLostException>(() => client.InvokeAsync<int>("sum", new[] { 1 }).Within());
        Assert.Equal(DisconnectReason.LocalDispose, late.Reason);
    }

    [Fact]
    public async Task CloseAsync_NothingPending_EndsWithLocalDispose()
    {
        var client = await ConnectAsync();
        Assert.Equal(3, await client.InvokeAsync<int>("sum", new[] { 1, 2 }).Within());

        await client.CloseAsync().Within();

        var end = await client.Completion.Within();
        Assert.True(end.Reason == DisconnectReason.LocalDispose, $"Expected LocalDispose, got {end.Reason}: {end.Description} {end.Exception}");
    }

    [Fact]
    public async Task InvokeAsync_OverLocalMaxConcurrentRequests_ThrowsTooManyRequestsLocally()
    {
        var client = await ConnectAsync(new ClientSettings { Options = new JsonRpcConnectionOptions { MaxConcurrentRequests = 2 } });
        var first = client.InvokeAsync<string>("slow", new { milliseconds = 600_000 });
        var second = client.InvokeAsync<string>("slow", new { milliseconds = 600_000 });

        var error = await Assert.ThrowsAsync<JsonRpcException>(() => client.InvokeAsync<int>("sum", new[] { 1 }).Within());

        Assert.Equal(JsonRpcErrorCodes.TooManyRequests, error.Code);
        Assert.False(first.IsCompleted);
        Assert.False(second.IsCompleted);
    }

    [Fact]
    public async Task InvokeAsync_OverPeerMaxConcurrentRequests_PeerAnswersTooManyRequests()
    {
        var client = await ConnectAsync(new ClientSettings { Options = new JsonRpcConnectionOptions { MaxConcurrentRequests = 4 * PeerMaxConcurrentRequests } });
        using var cancellation = new CancellationTokenSource();

        var calls = Enumerable.Range(0, PeerMaxConcurrentRequests + 1)
            .Select(_ => client.InvokeAsync<string>("slow", new { milliseconds = 600_000 }, cancellation.Token))
            .ToArray();

        // The peer reads in order and answers rejections from its reader, so once this later call is rejected every
        // earlier call has been either accepted or rejected (and a rejected call's outcome is already settled).
        var probe = await Assert.ThrowsAsync<JsonRpcException>(() => client.InvokeAsync<int>("sum", new[] { 1 }).Within());
        Assert.Equal(JsonRpcErrorCodes.TooManyRequests, probe.Code);
        await cancellation.CancelAsync();
        await Task.WhenAll(calls.Select(c => c.ContinueWith(_ => { }, TaskScheduler.Default))).Within();

        var rejected = Assert.Single(calls, c => c.IsFaulted);
        var error = Assert.IsType<JsonRpcException>(rejected.Exception!.InnerException);
        Assert.Equal(JsonRpcErrorCodes.TooManyRequests, error.Code);
        Assert.All(calls.Where(c => c != rejected), c => Assert.True(c.IsCanceled));
        await TestTimeouts.EventuallyAsync(
            async () =>
            {
                try
                {
                    return await client.InvokeAsync<int>("get_cancelled");
                }
                catch (JsonRpcException ex) when (ex.Code == JsonRpcErrorCodes.TooManyRequests)
                {
                    return -1;
                }
            },
            n => n == PeerMaxConcurrentRequests,
            "the peer to cancel every accepted call and serve requests again");
    }

    [Fact]
    public async Task InvokeAsync_OutgoingMessageOverMaxMessageSize_ThrowsMessageTooLargeLocally()
    {
        var logger = new RecordingLogger();
        var client = await ConnectAsync(new ClientSettings { Options = new JsonRpcConnectionOptions { MaxMessageSize = 4096 }, Logger = logger });

        var call = await Assert.ThrowsAsync<JsonRpcException>(() => client.InvokeAsync<string>("echo", new { value = new string('x', 8192) }).Within());
        var notification = await Assert.ThrowsAsync<JsonRpcException>(() => client.NotifyAsync("update", new { value = new string('x', 8192) }).Within());

        Assert.Equal(JsonRpcErrorCodes.MessageTooLarge, call.Code);
        Assert.Equal(JsonRpcErrorCodes.MessageTooLarge, notification.Code);
        Assert.False(logger.Sent("xxxxxxxx"), "An oversized message must not be sent.");
        Assert.Equal("small", await client.InvokeAsync<string>("echo", new { value = "small" }).Within());
    }

    /// <summary>Starts a client connection to a fresh peer session over this class's transport.</summary>
    protected abstract Task<PeerSession> StartSessionAsync(ClientSettings settings);

    protected async Task<PeerSession> StartAsync(ClientSettings? settings = null)
    {
        var session = await StartSessionAsync(settings ?? new ClientSettings()).Within();
        _sessions.Add(session);
        return session;
    }

    protected async Task<JsonRpcConnection> ConnectAsync(ClientSettings? settings = null) => (await StartAsync(settings)).Client;

    /// <summary>
    /// A round trip after earlier calls: the peer reads requests in order and registers each before reading the next,
    /// so when this answer arrives the peer knows every earlier request (and can cancel it).
    /// </summary>
    protected static async Task EnsurePeerHasReadEarlierRequestsAsync(JsonRpcConnection client)
        => Assert.Equal("sync", await client.InvokeAsync<string>("echo", new { value = "sync" }).Within());

    protected static async Task<List<T>> CollectAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }

    /// <summary>A deterministic text of <paramref name="length"/> chars mixing ASCII, escapes and multi-byte characters.</summary>
    protected static string LargeText(int length)
    {
        const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 \"\\/\n\té漢字ü€";
        var builder = new StringBuilder(length);
        var random = new Random(1234);
        while (builder.Length < length)
        {
            builder.Append(Alphabet[random.Next(Alphabet.Length)]);
        }

        return builder.ToString();
    }
}
