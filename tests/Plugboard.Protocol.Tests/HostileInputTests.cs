using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Protocol.Tests.Infrastructure;

namespace Plugboard.Protocol.Tests;

/// <summary>
/// Raw hostile bytes written straight into the engine (in-memory pipes with header-delimited framing; a loopback
/// WebSocket for the WebSocket cases). Each case gets either the right JSON-RPC error, after which the connection is
/// proven to still serve requests, or a clean disconnect whose reason is asserted. Every wait is bounded, so a hang fails.
/// </summary>
public sealed class HostileInputTests
{
    public static TheoryData<string> MalformedJson => new()
    {
        """{"jsonrpc":"2.0",""",
        "not json at all",
        """{"jsonrpc":"2.0","id":1,"method":"sum"}}""",
        """{'jsonrpc':'2.0','id':1,'method':'sum'}""",
        "[1,2",
        "",
        "   ",
        """{"jsonrpc":"2.0","id":1,"method":"sum","params":[1,2,]}""",
        """{"jsonrpc":"2.0","id":1,"method":"sum"} {"jsonrpc":"2.0","id":2,"method":"sum"}""",
        new string('[', 100_000) + new string(']', 100_000),
    };

    public static TheoryData<string, byte[]> InvalidUtf8Bodies => new()
    {
        { "in a string value", Bytes("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":{\"value\":\"a", [0xFF, 0xFE], "\"}}") },
        { "in the method name", Bytes("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ec", [0xC3], "ho\"}") },
        { "in a string id", Bytes("{\"jsonrpc\":\"2.0\",\"id\":\"x", [0x80], "\",\"method\":\"get_data\"}") },
        { "in a property name", Bytes("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"get_data\",\"x", [0xF8], "\":1}") },
        { "overlong encoding of '/'", Bytes("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":{\"value\":\"", [0xC0, 0xAF], "\"}}") },
        { "encoded UTF-16 surrogate", Bytes("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":{\"value\":\"", [0xED, 0xA0, 0x80], "\"}}") },
        { "truncated sequence before the quote", Bytes("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":{\"value\":\"ab", [0xE6, 0xBC], "\"}}") },
        { "in a notification", Bytes("{\"jsonrpc\":\"2.0\",\"method\":\"update\",\"params\":[\"", [0xFF], "\"]}") },
        { "in a progress token", Bytes("{\"jsonrpc\":\"2.0\",\"method\":\"$/progress\",\"params\":{\"token\":\"", [0xFF], "\",\"value\":1}}") },
        { "in a response's error message", Bytes("{\"jsonrpc\":\"2.0\",\"id\":77,\"error\":{\"code\":1,\"message\":\"", [0xFF], "\"}}") },
        { "in a long message spanning pipe segments", Bytes("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":{\"value\":\"" + new string('a', 10_000), [0xFF], "\"}}") },
    };

    public static TheoryData<string> InvalidContentLengths => new()
    {
        "-5",
        "-0",
        "abc",
        "99999999999",
        "99999999999999999999999999",
        "",
        "12abc",
        "0x10",
        "1.5",
        "1e3",
        "١٢",
    };

    public static TheoryData<string, string> GarbageBetweenFrames => new()
    {
        { "a text line", "garbage\r\n" },
        { "a stray blank line", "\r\n" },
        { "bytes without a line end", "xyz" },
        { "NUL bytes", "\0\0\0" },
        { "a stray brace and blank line", "}\r\n\r\n" },
    };

    [Theory]
    [MemberData(nameof(MalformedJson))]
    public async Task Read_MalformedJson_AnswersParseErrorAndContinues(string body)
    {
        await using var peer = RawPeer.Start();

        var response = await peer.ExchangeAsync(body);

        JsonRpcAssert.Error(response, "null", JsonRpcErrorCodes.ParseError);
        await peer.AssertAliveAsync();
    }

    [Theory]
    [InlineData("\"1.0\"")]
    [InlineData("2.0")]
    [InlineData("null")]
    [InlineData("\"2.0 \"")]
    [InlineData("[\"2.0\"]")]
    [InlineData(null)]
    public async Task Read_WrongJsonRpcVersion_AnswersInvalidRequestWithId(string? version)
    {
        await using var peer = RawPeer.Start();
        var member = version is null ? string.Empty : $"\"jsonrpc\":{version},";

        var response = await peer.ExchangeAsync($$"""{{{member}}"id":7,"method":"get_data"}""");

        JsonRpcAssert.Error(response, "7", JsonRpcErrorCodes.InvalidRequest);
        await peer.AssertAliveAsync();
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":8,"params":[1]}""", "8")]
    [InlineData("""{"jsonrpc":"2.0","id":"eight"}""", "\"eight\"")]
    [InlineData("""{"jsonrpc":"2.0","id":8,"result":1,"error":{"code":1,"message":"both"}}""", "8")]
    [InlineData("""{"jsonrpc":"2.0","result":1}""", "null")]
    [InlineData("""{"jsonrpc":"2.0","id":8,"method":42}""", "8")]
    [InlineData("""{"jsonrpc":"2.0","id":8,"method":null}""", "8")]
    public async Task Read_MissingOrInvalidMethod_AnswersInvalidRequest(string message, string expectedId)
    {
        await using var peer = RawPeer.Start();

        var response = await peer.ExchangeAsync(message);

        JsonRpcAssert.Error(response, expectedId, JsonRpcErrorCodes.InvalidRequest);
        await peer.AssertAliveAsync();
    }

    [Theory]
    [InlineData("{\"a\":1}")]
    [InlineData("[1]")]
    [InlineData("true")]
    public async Task Read_IdOfWrongType_AnswersInvalidRequestWithNullId(string id)
    {
        await using var peer = RawPeer.Start();

        var response = await peer.ExchangeAsync($$"""{"jsonrpc":"2.0","id":{{id}},"method":"get_data"}""");

        JsonRpcAssert.Error(response, "null", JsonRpcErrorCodes.InvalidRequest);
        await peer.AssertAliveAsync();
    }

    [Theory]
    [InlineData("5")]
    [InlineData("\"text\"")]
    [InlineData("true")]
    [InlineData("null")]
    public async Task Read_ParamsNotStructured_AnswersInvalidRequest(string parameters)
    {
        await using var peer = RawPeer.Start();

        var response = await peer.ExchangeAsync($$"""{"jsonrpc":"2.0","id":"p","method":"sum","params":{{parameters}}}""");

        JsonRpcAssert.Error(response, "\"p\"", JsonRpcErrorCodes.InvalidRequest);
        await peer.AssertAliveAsync();
    }

    [Fact]
    public async Task Read_NotificationWithScalarParams_IgnoredWithoutResponse()
    {
        await using var peer = RawPeer.Start();

        await peer.SendAsync("""{"jsonrpc":"2.0","method":"update","params":5}""");

        // The next frame is the answer to this request: nothing was written for the notification, and it was not run.
        var recorded = await peer.ExchangeAsync("""{"jsonrpc":"2.0","id":"n","method":"get_notifications"}""");
        JsonRpcAssert.Result(recorded, "\"n\"", "[]");
    }

    [Fact]
    public async Task Read_UnknownMethod_AnswersMethodNotFound()
    {
        await using var peer = RawPeer.Start();

        var response = await peer.ExchangeAsync("""{"jsonrpc":"2.0","id":3,"method":"no/such/method","params":[1]}""");

        var error = JsonRpcAssert.Error(response, "3", JsonRpcErrorCodes.MethodNotFound);
        Assert.Equal("no/such/method", error.GetProperty("data").GetProperty("method").GetString());
        await peer.AssertAliveAsync();
    }

    [Theory]
    [InlineData("subtract", """{"minuend":"x","subtrahend":1}""", "$.minuend")]
    [InlineData("subtract", """[1,{"no":"number"}]""", "$.subtrahend")]
    [InlineData("subtract", "[1,2,3]", null)]
    [InlineData("sum", """{"a":1}""", null)]
    [InlineData("sum", """[1,"two"]""", "$[1]")]
    [InlineData("echo", "[1,2]", null)]
    [InlineData("slow", """{"milliseconds":1e400}""", "$.milliseconds")]
    public async Task Read_InvalidParams_AnswersInvalidParams(string method, string parameters, string? path)
    {
        await using var peer = RawPeer.Start();

        var response = await peer.ExchangeAsync($$"""{"jsonrpc":"2.0","id":4,"method":"{{method}}","params":{{parameters}}}""");

        var error = JsonRpcAssert.Error(response, "4", JsonRpcErrorCodes.InvalidParams);
        if (path is not null)
        {
            Assert.Equal(path, error.GetProperty("data").GetProperty("path").GetString());
        }

        await peer.AssertAliveAsync();
    }

    [Theory]
    [MemberData(nameof(InvalidContentLengths))]
    public async Task Read_InvalidContentLength_DisconnectsWithProtocolViolation(string length)
    {
        await using var peer = RawPeer.Start();

        await peer.WriteAsync(Frames.WithHeader($"Content-Length: {length}\r\n\r\n", """{"jsonrpc":"2.0","id":1,"method":"get_data"}"""));

        Assert.Equal(DisconnectReason.ProtocolViolation, await peer.EndedAsync());
        Assert.Empty(await peer.ReadToEndAsync());
    }

    [Theory]
    [InlineData("Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n")]
    [InlineData("Content-Lenght: 2\r\n\r\n")]
    [InlineData("Content-Length 2\r\n\r\n")]
    [InlineData(": 2\r\n\r\n")]
    public async Task Read_HeaderBlockWithoutContentLength_DisconnectsWithProtocolViolation(string headers)
    {
        await using var peer = RawPeer.Start();

        await peer.WriteAsync(Frames.WithHeader(headers, "{}"));

        Assert.Equal(DisconnectReason.ProtocolViolation, await peer.EndedAsync());
        Assert.Empty(await peer.ReadToEndAsync());
    }

    [Fact]
    public async Task Read_UnknownHeadersAndUtf8ContentType_Accepted()
    {
        await using var peer = RawPeer.Start();
        const string Body = """{"jsonrpc":"2.0","id":5,"method":"sum","params":[2,3]}""";

        await peer.WriteAsync(Frames.WithHeader(
            $"X-Trace: abc\r\ncontent-type: application/vscode-jsonrpc; charset=\"UTF-8\"\r\nCONTENT-LENGTH:{Encoding.UTF8.GetByteCount(Body)}  \r\n\r\n", Body));

        JsonRpcAssert.Result(await peer.ReceiveAsync(), "5", "5");
        await peer.AssertAliveAsync();
    }

    [Theory]
    [InlineData("utf-16")]
    [InlineData("latin1")]
    public async Task Read_ContentTypeWithOtherCharset_DisconnectsWithProtocolViolation(string charset)
    {
        await using var peer = RawPeer.Start();

        await peer.WriteAsync(Frames.WithHeader($"Content-Length: 2\r\nContent-Type: application/json; charset={charset}\r\n\r\n", "{}"));

        Assert.Equal(DisconnectReason.ProtocolViolation, await peer.EndedAsync());
    }

    [Fact]
    public async Task Read_DeclaredLengthOverLimit_AnswersMessageTooLargeAndNextMessageWorks()
    {
        await using var peer = RawPeer.Start(maxMessageSize: 1024);
        var body = $$$"""{"jsonrpc":"2.0","id":1,"method":"echo","params":{"value":"{{{new string('x', 5000)}}}"}}""";
        var oversized = Frames.Of(body);
        var next = Frames.Of("""{"jsonrpc":"2.0","id":2,"method":"sum","params":[1,1]}""");

        // The oversized frame and the next one arrive in one write: the skip must stop exactly at the frame's end.
        await peer.WriteAsync((byte[])[.. oversized, .. next]);

        // The id is read from the first bytes of the skipped message, so the caller's call fails instead of waiting.
        var error = JsonRpcAssert.Error(await peer.ReceiveAsync(), "1", JsonRpcErrorCodes.MessageTooLarge);
        Assert.Equal(body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), error.GetProperty("data").GetProperty("size").GetString());
        JsonRpcAssert.Result(await peer.ReceiveAsync(), "2", "2");
        await peer.AssertAliveAsync();
    }

    [Fact]
    public async Task Read_DeclaredLengthOverLimitTrickledIn_AnswersMessageTooLargeAndNextMessageWorks()
    {
        await using var peer = RawPeer.Start(maxMessageSize: 1024);
        var oversized = Frames.Of($$$"""{"jsonrpc":"2.0","id":1,"method":"echo","params":{"value":"{{{new string('y', 50_000)}}}"}}""");

        for (var offset = 0; offset < oversized.Length; offset += 777)
        {
            await peer.WriteAsync(oversized.AsMemory(offset, Math.Min(777, oversized.Length - offset)));
        }

        JsonRpcAssert.Error(await peer.ReceiveAsync(), "1", JsonRpcErrorCodes.MessageTooLarge);
        await peer.AssertAliveAsync();
    }

    [Fact]
    public async Task Read_OverLimitWithIdAfterHugeParams_AnswersMessageTooLargeWithNullId()
    {
        await using var peer = RawPeer.Start(maxMessageSize: 1024);

        await peer.WriteAsync(Frames.Of($$$"""{"jsonrpc":"2.0","method":"echo","params":{"value":"{{{new string('z', 9000)}}}"},"id":7}"""));

        JsonRpcAssert.Error(await peer.ReceiveAsync(), "null", JsonRpcErrorCodes.MessageTooLarge);
        await peer.AssertAliveAsync();
    }

    [Theory]
    [InlineData("""{"id":"abc","jsonrpc":"2.0" """, "abc")]
    [InlineData("""{"jsonrpc":"2.0","method":"m","id":42,"params":[""", "42")]
    [InlineData("""{"jsonrpc":"2.0","params":{"id":5},"id":6,"method":"m""", "6")]
    [InlineData("""[{"id":1}""", "null")]
    [InlineData("""{"jsonrpc":"2.0","params":"xxxxx""", "null")]
    [InlineData("not json", "null")]
    public void ReadIdFromPrefix_PartialMessage_FindsTopLevelIdOnly(string prefix, string expected)
    {
        var id = JsonRpcConnection.ReadIdFromPrefix(Encoding.UTF8.GetBytes(prefix));

        Assert.Equal(expected, id.IsNull ? "null" : id.Number?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? id.String);
    }

    [Fact]
    public async Task Read_EndOfStreamBetweenFrames_DisconnectsWithRemoteClosed()
    {
        await using var peer = RawPeer.Start();
        await peer.AssertAliveAsync();

        await peer.EndInputAsync();

        Assert.Equal(DisconnectReason.RemoteClosed, await peer.EndedAsync());
        Assert.Empty(await peer.ReadToEndAsync());
    }

    [Theory]
    [InlineData("Content-Length: 10\r\n")]
    [InlineData("Content-Len")]
    [InlineData("Content-Length: 10\r\n\r")]
    [InlineData("Content-Length: 100\r\n\r\n{\"jsonrpc\":")]
    [InlineData("Content-Length: 5000\r\n\r\n{\"jsonrpc\":")]
    public async Task Read_TruncatedAtEndOfStream_DisconnectsWithProtocolViolation(string truncated)
    {
        // 5000 is over this peer's limit: the truncation then happens while the oversized body is being skipped.
        await using var peer = RawPeer.Start(maxMessageSize: 1024);
        await peer.AssertAliveAsync();

        await peer.WriteAsync(truncated);
        await peer.EndInputAsync();

        Assert.Equal(DisconnectReason.ProtocolViolation, await peer.EndedAsync());
        Assert.Empty(await peer.ReadToEndAsync());
    }

    [Theory]
    [InlineData("A")]
    [InlineData("X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n")]
    public async Task Read_HeaderBlockWithoutBlankLine_DisconnectsWithoutBufferingIt(string pattern)
    {
        await using var peer = RawPeer.Start();
        var chunk = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(pattern, (4096 / pattern.Length) + 1)));
        long written = 0;
        const long Offered = 64L * 1024 * 1024;

        // Keep writing headers without end; the engine must give up after its 8 KiB header limit and stop reading,
        // long before we run out (the pipe's back-pressure stops us once it does).
        while (written < Offered)
        {
            if (await peer.WriteAsync(chunk))
            {
                break;
            }

            written += chunk.Length;
        }

        Assert.Equal(DisconnectReason.ProtocolViolation, await peer.EndedAsync());
        Assert.True(written < 1024 * 1024, $"The engine accepted {written} bytes of an unterminated header block.");
    }

    [Fact]
    public async Task Read_TerminatedHeaderBlockOverLimit_DisconnectsWithProtocolViolation()
    {
        await using var peer = RawPeer.Start();

        await peer.WriteAsync(Frames.WithHeader($"Content-Length: 2\r\nX-Padding: {new string('a', 9000)}\r\n\r\n", "{}"));

        Assert.Equal(DisconnectReason.ProtocolViolation, await peer.EndedAsync());
    }

    [Theory]
    [MemberData(nameof(InvalidUtf8Bodies))]
    public async Task Read_InvalidUtf8InBody_AnswersParseError(string where, byte[] body)
    {
        await using var peer = RawPeer.Start();

        await peer.SendAsync(body);

        var response = await peer.ReceiveAsync();
        Assert.True(response.TryGetProperty("error", out _), $"Invalid UTF-8 {where} must be answered with an error, got {response.GetRawText()}");
        JsonRpcAssert.Error(response, "null", JsonRpcErrorCodes.ParseError);
        await peer.AssertAliveAsync();
        Assert.False(peer.Server.IsDisconnected);
    }

    /// <summary>
    /// An escaped unpaired surrogate (<c>\ud800</c>) is valid JSON grammar but not valid Unicode: System.Text.Json parses
    /// it and then throws when the string is read or a member name is compared. The engine answers with an error and
    /// keeps the connection.
    /// </summary>
    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"ec\ud800ho"}""", JsonRpcErrorCodes.ParseError)]
    [InlineData("""{"jsonrpc":"2.0","id":"\ud800","method":"get_data"}""", JsonRpcErrorCodes.ParseError)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"subtract","params":{"minuend":"\ud800","subtrahend":1}}""", JsonRpcErrorCodes.InvalidParams)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"echo","params":{"va\ud800lue":1}}""", JsonRpcErrorCodes.InvalidParams)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"fail","params":{"code":1,"message":"\ud800"}}""", JsonRpcErrorCodes.InvalidParams)]
    [InlineData("""{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"\ud800"}}""", JsonRpcErrorCodes.ParseError)]
    [InlineData("""{"jsonrpc":"2.0","method":"update","par\ud800ams":[1]}""", JsonRpcErrorCodes.ParseError)]
    public async Task Read_UnpairedSurrogateEscape_AnswersErrorAndContinues(string message, int code)
    {
        await using var peer = RawPeer.Start();

        var response = await peer.ExchangeAsync(message);

        var id = response.TryGetProperty("id", out var value) ? value.GetRawText() : "(none)";
        JsonRpcAssert.Error(response, id, code);
        await peer.AssertAliveAsync();
    }

    [Fact]
    public async Task Read_UnpairedSurrogateEscapeInsideBatch_OnlyThatItemFails()
    {
        await using var peer = RawPeer.Start();

        var response = await peer.ExchangeAsync("""[{"jsonrpc":"2.0","id":"a","method":"sum","params":[1,2]},{"jsonrpc":"2.0","id":"\ud800","method":"sum"},{"jsonrpc":"2.0","id":"c","method":"sum","params":[3]}]""");

        JsonRpcAssert.Equivalent(
            """[{"jsonrpc":"2.0","id":"a","result":3},{"jsonrpc":"2.0","id":null,"error":{"code":-32700}},{"jsonrpc":"2.0","id":"c","result":3}]""",
            response);
        await peer.AssertAliveAsync();
    }

    /// <summary>The engine as the caller: a response it cannot read fails the call instead of leaving it waiting.</summary>
    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":ID,"result":"\ud800"}""", JsonRpcErrorCodes.InvalidParams)]
    [InlineData("""{"jsonrpc":"2.0","id":ID,"result":{"x\ud800":1}}""", null)]
    [InlineData("""{"jsonrpc":"2.0","id":ID,"error":{"code":7,"message":"\ud800"}}""", JsonRpcErrorCodes.InternalError)]
    [InlineData("""{"jsonrpc":"2.0","id":ID,"error":{"code":7,"mes\ud800sage":"x"}}""", JsonRpcErrorCodes.InternalError)]
    [InlineData("""{"jsonrpc":"2.0","id":ID,"error":"not an object"}""", JsonRpcErrorCodes.InternalError)]
    [InlineData("""{"jsonrpc":"2.0","id":ID,"result":"not a number"}""", JsonRpcErrorCodes.InvalidParams)]
    public async Task InvokeAsync_UnreadableResponse_CallFailsInsteadOfHanging(string response, int? code)
    {
        await using var peer = RawPeer.Start();

        Task call = code is null ? peer.Server.InvokeAsync<JsonElement>("anything") : peer.Server.InvokeAsync<int>("anything");
        var request = await peer.ReceiveAsync();
        await peer.SendAsync(response.Replace("ID", request.GetProperty("id").GetRawText(), StringComparison.Ordinal));

        if (code is null)
        {
            // A JsonElement result is taken as it is.
            Assert.Equal(JsonValueKind.Object, (await ((Task<JsonElement>)call).Within()).ValueKind);
        }
        else
        {
            var error = await Assert.ThrowsAsync<JsonRpcException>(() => call.Within());
            Assert.Equal(code, error.Code);
        }

        await peer.AssertAliveAsync();
    }

    [Fact]
    public async Task Read_ValidMultiByteUtf8AcrossPipeSegments_Accepted()
    {
        await using var peer = RawPeer.Start();
        var value = string.Concat(Enumerable.Repeat("é漢😀x", 5000));

        var response = await peer.ExchangeAsync($$$"""{"jsonrpc":"2.0","id":1,"method":"echo","params":{"value":"{{{value}}}"}}""");

        Assert.Equal(value, response.GetProperty("result").GetString());
    }

    /// <summary>
    /// Garbage between frames breaks the framing: the engine reads it as the start of the next header block, finds no
    /// valid <c>Name: value</c> line or no <c>Content-Length</c>, and ends the connection with ProtocolViolation (it does
    /// not try to resynchronise, which could misread a body as headers). Nothing after the garbage is answered. (A
    /// garbage line shaped like <c>Name: value</c> is just an unknown header, see <see cref="Read_UnknownHeadersAndUtf8ContentType_Accepted"/>.)
    /// </summary>
    [Theory]
    [MemberData(nameof(GarbageBetweenFrames))]
    public async Task Read_GarbageBetweenFrames_DisconnectsWithProtocolViolation(string what, string garbage)
    {
        await using var peer = RawPeer.Start();
        await peer.AssertAliveAsync("before");
        var after = Frames.Of("""{"jsonrpc":"2.0","id":"after","method":"sum","params":[3,4]}""");

        await peer.WriteAsync((byte[])[.. Encoding.UTF8.GetBytes(garbage), .. after]);

        Assert.True(DisconnectReason.ProtocolViolation == await peer.EndedAsync(), $"Garbage ({what}) must end the connection as a protocol violation.");
        Assert.Empty(await peer.ReadToEndAsync());
    }

    [Fact]
    public async Task Read_ResponseForUnknownId_IgnoredWithoutResponse()
    {
        await using var peer = RawPeer.Start();

        await peer.SendAsync("""{"jsonrpc":"2.0","id":999,"result":1}""");
        await peer.SendAsync("""{"jsonrpc":"2.0","id":"x","error":{"code":-1,"message":"nobody asked"}}""");
        await peer.SendAsync("""{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":12345}}""");
        await peer.SendAsync("""{"jsonrpc":"2.0","method":"$/progress","params":{"token":12345,"value":1}}""");
        await peer.SendAsync("""{"jsonrpc":"2.0","method":"$/progress","params":5}""");

        await peer.AssertAliveAsync();
    }

    [Fact]
    public async Task WebSocket_BinaryMessage_DisconnectsWithProtocolViolation()
    {
        await using var pair = await WebSocketPair.StartAsync();
        await pair.AssertAliveAsync();

        await pair.Client.SendAsync("""{"jsonrpc":"2.0","id":1,"method":"get_data"}"""u8.ToArray(), WebSocketMessageType.Binary, true, CancellationToken.None).Within();

        Assert.Equal(DisconnectReason.ProtocolViolation, (await pair.Server.Completion.Within()).Reason);
    }

    [Fact]
    public async Task WebSocket_MessageFragmentedIntoManyFrames_Reassembled()
    {
        await using var pair = await WebSocketPair.StartAsync();
        var value = string.Concat(Enumerable.Repeat("é漢😀-", 2000));

        // 7-byte fragments split multi-byte characters across frames; 40 KB also outgrows the transport's first buffer.
        var response = await pair.ExchangeAsync($$$"""{"jsonrpc":"2.0","id":"frag","method":"echo","params":{"value":"{{{value}}}"}}""", fragmentSize: 7);

        Assert.Equal(value, response.GetProperty("result").GetString());
        await pair.AssertAliveAsync();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    public async Task WebSocket_MessageOverLimit_AnswersMessageTooLargeAndContinues(int fragmentSize)
    {
        await using var pair = await WebSocketPair.StartAsync(maxMessageSize: 1024);

        var response = await pair.ExchangeAsync($$$"""{"jsonrpc":"2.0","id":1,"method":"echo","params":{"value":"{{{new string('x', 5000)}}}"}}""", fragmentSize);

        JsonRpcAssert.Error(response, "1", JsonRpcErrorCodes.MessageTooLarge);
        await pair.AssertAliveAsync();
        Assert.False(pair.Server.IsDisconnected);
    }

    /// <summary>
    /// RFC 6455 requires failing the connection on invalid UTF-8 in a text message, so unlike header-delimited framing
    /// (where it gets a -32700 answer) the WebSocket layer itself ends the connection, as a protocol violation.
    /// </summary>
    [Fact]
    public async Task WebSocket_TextMessageWithInvalidUtf8_DisconnectsWithProtocolViolation()
    {
        await using var pair = await WebSocketPair.StartAsync();
        await pair.AssertAliveAsync();

        await pair.SendTextAsync(Bytes("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":{\"value\":\"", [0xFF], "\"}}"));

        var end = await pair.Server.Completion.Within();
        Assert.True(end.Reason == DisconnectReason.ProtocolViolation, $"{end.Reason}: {end.Description}");
    }

    [Fact]
    public async Task WebSocket_MalformedFrame_DisconnectsWithProtocolViolation()
    {
        await using var pair = await WebSocketPair.StartAsync();
        await pair.AssertAliveAsync();

        // FIN, all three reserved bits and the reserved opcode 0xF, written under the client WebSocket.
        await pair.ClientStream.WriteAsync(new byte[] { 0xFF, 0x80, 1, 2, 3, 4 }).AsTask().Within();

        var end = await pair.Server.Completion.Within();
        Assert.True(end.Reason == DisconnectReason.ProtocolViolation, $"{end.Reason}: {end.Description}");
    }

    [Fact]
    public async Task WebSocket_MalformedJson_AnswersParseErrorAndContinues()
    {
        await using var pair = await WebSocketPair.StartAsync();

        JsonRpcAssert.Error(await pair.ExchangeAsync("{\"jsonrpc\":"), "null", JsonRpcErrorCodes.ParseError);
        await pair.AssertAliveAsync();
    }

    [Fact]
    public async Task WebSocket_PeerSendsClose_DisconnectsWithRemoteClosed()
    {
        await using var pair = await WebSocketPair.StartAsync();
        await pair.AssertAliveAsync();

        await pair.Client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None).Within();

        Assert.Equal(DisconnectReason.RemoteClosed, (await pair.Server.Completion.Within()).Reason);
    }

    private static byte[] Bytes(string head, byte[] middle, string tail) => [.. Encoding.UTF8.GetBytes(head), .. middle, .. Encoding.UTF8.GetBytes(tail)];
}
