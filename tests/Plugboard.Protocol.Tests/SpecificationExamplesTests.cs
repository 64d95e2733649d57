using System.Text.Json;
using Plugboard.Protocol.Tests.Infrastructure;
using Plugboard.Protocol.TestServer;

namespace Plugboard.Protocol.Tests;

/// <summary>
/// Every example of the JSON-RPC 2.0 specification's "Examples" section (https://www.jsonrpc.org/specification#examples),
/// as raw text test vectors: the request text exactly as the specification prints it goes into the engine, and the raw
/// response frames it writes are compared semantically with the specification's (error messages are not compared; batch
/// responses are compared in any order).
/// </summary>
public sealed class SpecificationExamplesTests : IAsyncLifetime
{
    private readonly RawPeer _peer = RawPeer.Start();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _peer.DisposeAsync();

    [Fact]
    public Task Call_PositionalParameters_ReturnsDifference()
        => AssertExchangeAsync(
            """{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}""",
            """{"jsonrpc": "2.0", "result": 19, "id": 1}""");

    [Fact]
    public Task Call_PositionalParametersSwapped_ReturnsNegativeDifference()
        => AssertExchangeAsync(
            """{"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2}""",
            """{"jsonrpc": "2.0", "result": -19, "id": 2}""");

    [Fact]
    public Task Call_NamedParameters_ReturnsDifference()
        => AssertExchangeAsync(
            """{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}""",
            """{"jsonrpc": "2.0", "result": 19, "id": 3}""");

    [Fact]
    public Task Call_NamedParametersReordered_ReturnsDifference()
        => AssertExchangeAsync(
            """{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}""",
            """{"jsonrpc": "2.0", "result": 19, "id": 4}""");

    [Fact]
    public async Task Notification_KnownAndUnknownMethods_NoResponseAndKnownOneHandled()
    {
        await _peer.SendAsync("""{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}""");
        await _peer.SendAsync("""{"jsonrpc": "2.0", "method": "foobar"}""");

        var recorded = await WaitForNotificationsAsync(1);
        Assert.Equal("update", recorded[0].Method);
        Assert.Equal("[1,2,3,4,5]", recorded[0].Params.GetRawText().Replace(" ", string.Empty, StringComparison.Ordinal));
        await AssertNothingElseWrittenAsync();
    }

    [Fact]
    public Task Call_NonExistentMethod_ReturnsMethodNotFound()
        => AssertExchangeAsync(
            """{"jsonrpc": "2.0", "method": "foobar", "id": "1"}""",
            """{"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "1"}""");

    [Fact]
    public Task Call_InvalidJson_ReturnsParseError()
        => AssertExchangeAsync(
            """{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]""",
            """{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}""");

    [Fact]
    public Task Call_InvalidRequestObject_ReturnsInvalidRequest()
        => AssertExchangeAsync(
            """{"jsonrpc": "2.0", "method": 1, "params": "bar"}""",
            """{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}""");

    [Fact]
    public Task Batch_InvalidJson_ReturnsSingleParseError()
        => AssertExchangeAsync(
            """
            [
              {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
              {"jsonrpc": "2.0", "method"
            ]
            """,
            """{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}""");

    [Fact]
    public Task Batch_EmptyArray_ReturnsSingleInvalidRequest()
        => AssertExchangeAsync(
            "[]",
            """{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}""");

    [Fact]
    public Task Batch_OneNonObject_ReturnsArrayWithOneInvalidRequest()
        => AssertExchangeAsync(
            "[1]",
            """
            [
              {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}
            ]
            """);

    [Fact]
    public Task Batch_ThreeNonObjects_ReturnsArrayWithThreeInvalidRequests()
        => AssertExchangeAsync(
            "[1,2,3]",
            """
            [
              {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
              {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
              {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}
            ]
            """);

    [Fact]
    public async Task Batch_Mixed_ReturnsResponsesForRequestsOnly()
    {
        await AssertExchangeAsync(
            """
            [
                    {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
                    {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
                    {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
                    {"foo": "boo"},
                    {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
                    {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
                ]
            """,
            """
            [
                    {"jsonrpc": "2.0", "result": 7, "id": "1"},
                    {"jsonrpc": "2.0", "result": 19, "id": "2"},
                    {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
                    {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "5"},
                    {"jsonrpc": "2.0", "result": ["hello", 5], "id": "9"}
                ]
            """);

        var recorded = await WaitForNotificationsAsync(1);
        Assert.Equal("notify_hello", recorded[0].Method);
    }

    [Fact]
    public async Task Batch_AllNotifications_NoResponse()
    {
        await _peer.SendAsync(
            """
            [
                    {"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},
                    {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}
                ]
            """);

        var recorded = await WaitForNotificationsAsync(2);
        Assert.Equal(["notify_hello", "notify_sum"], recorded.Select(n => n.Method).Order());
        await AssertNothingElseWrittenAsync();
    }

    private async Task AssertExchangeAsync(string request, string expectedResponse)
    {
        var response = await _peer.ExchangeAsync(request);
        JsonRpcAssert.Equivalent(expectedResponse, response);
        await AssertNothingElseWrittenAsync();
    }

    /// <summary>
    /// Polls <c>get_notifications</c> until <paramref name="count"/> notifications were handled. Every frame read meanwhile
    /// must be the answer to one of these polls, so a stray response to a notification fails the test.
    /// </summary>
    private async Task<ReceivedNotification[]> WaitForNotificationsAsync(int count)
    {
        var poll = 0;
        return await TestTimeouts.EventuallyAsync(
            async () =>
            {
                var id = $"poll-{++poll}";
                var response = await _peer.ExchangeAsync($$"""{"jsonrpc":"2.0","id":"{{id}}","method":"get_notifications"}""");
                Assert.Equal(id, response.GetProperty("id").GetString());
                return response.GetProperty("result").Deserialize<ReceivedNotification[]>(JsonSerializerOptions.Web)!;
            },
            recorded => recorded.Length >= count,
            $"{count} notification(s) to be handled");
    }

    /// <summary>
    /// Proves no other response was written: the engine answers in reading order whatever it answers itself, so if the
    /// next frame after a sentinel request is the sentinel's answer, nothing was queued before it.
    /// </summary>
    private async Task AssertNothingElseWrittenAsync()
    {
        var response = await _peer.ExchangeAsync("""{"jsonrpc":"2.0","id":"sentinel","method":"get_data"}""");
        JsonRpcAssert.Result(response, "\"sentinel\"", """["hello",5]""");
    }
}
