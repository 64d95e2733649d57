using System.Globalization;
using System.Text;

namespace Plugboard.Protocol.Tests.Fuzz;

/// <summary>
/// A seeded generator of hostile input for the header-delimited engine: corrupted message bodies (bit flips, inserted,
/// deleted and duplicated bytes, splices, truncation, random JSON-RPC-shaped and random JSON values) and corrupted
/// streams (random header lines, lengths and bytes). Every case is derived from (seed, case number) alone, so any
/// failure can be replayed.
/// </summary>
internal sealed class FrameCorrupter(Random random)
{
    /// <summary>Valid messages the mutations start from (the test method contract, batches, responses, protocol methods).</summary>
    private static readonly string[] Corpus =
    [
        """{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}""",
        """{"jsonrpc":"2.0","method":"subtract","params":{"subtrahend":23,"minuend":42},"id":"three"}""",
        """{"jsonrpc":"2.0","method":"sum","params":[1,2,4,8,16],"id":2}""",
        """{"jsonrpc":"2.0","method":"get_data","id":9}""",
        """{"jsonrpc":"2.0","method":"echo","params":{"value":{"nested":[1,2.5,-3e10,"text é漢😀",null,true]}},"id":10}""",
        """{"jsonrpc":"2.0","method":"echo","params":{"value":"escapes \" \\ \/ \b \f \n \r \t \u00e9 \ud83d\ude00"},"id":11}""",
        """{"jsonrpc":"2.0","method":"update","params":[1,2,3,4,5]}""",
        """{"jsonrpc":"2.0","method":"notify_hello","params":[7]}""",
        """{"jsonrpc":"2.0","method":"get_notifications","id":12}""",
        """{"jsonrpc":"2.0","method":"fail","params":{"code":1234,"message":"boom"},"id":13}""",
        """{"jsonrpc":"2.0","method":"slow","params":{"milliseconds":1},"id":14}""",
        """{"jsonrpc":"2.0","method":"count","params":{"count":3},"id":15}""",
        """{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":14}}""",
        """{"jsonrpc":"2.0","method":"$/progress","params":{"token":1,"value":{"percent":50}}}""",
        """{"jsonrpc":"2.0","method":"$/enumerator/next","params":{"token":1},"id":16}""",
        """{"jsonrpc":"2.0","method":"$/enumerator/abort","params":{"token":1}}""",
        """{"jsonrpc":"2.0","id":99,"result":{"ok":true}}""",
        """{"jsonrpc":"2.0","id":98,"error":{"code":-32000,"message":"x","data":{"detail":"y"}}}""",
        """[{"jsonrpc":"2.0","method":"sum","params":[1,2,4],"id":"1"},{"jsonrpc":"2.0","method":"notify_hello","params":[7]},{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":"2"},{"foo":"boo"},{"jsonrpc":"2.0","method":"foo.get","params":{"name":"myself"},"id":"5"},{"jsonrpc":"2.0","method":"get_data","id":"9"}]""",
        """[{"jsonrpc":"2.0","method":"notify_sum","params":[1,2,4]},{"jsonrpc":"2.0","method":"notify_hello","params":[7]}]""",
        "[1,2,3]",
        "[]",
    ];

    /// <summary>Methods a random message may call. <c>progress</c> is left out: a mutated count would make it stream for minutes.</summary>
    private static readonly string[] Methods =
    [
        "subtract", "sum", "get_data", "echo", "get_notifications", "get_cancelled", "slow", "fail", "count",
        "update", "notify_hello", "notify_sum", "$/cancelRequest", "$/progress", "$/enumerator/next", "$/enumerator/abort",
        "unknown", "", "$/", "rpc.discover",
    ];

    private static readonly byte[][] Tokens =
    [
        "{"u8.ToArray(), "}"u8.ToArray(), "["u8.ToArray(), "]"u8.ToArray(), "\""u8.ToArray(), ":"u8.ToArray(), ","u8.ToArray(),
        "\\"u8.ToArray(), "\\u"u8.ToArray(), "\\ud800"u8.ToArray(), "null"u8.ToArray(), "true"u8.ToArray(), "-"u8.ToArray(),
        "1e999"u8.ToArray(), "0"u8.ToArray(), "99999999999999999999"u8.ToArray(), "\"id\":"u8.ToArray(), "\"method\":"u8.ToArray(),
        "\"params\":"u8.ToArray(), "\"jsonrpc\":\"2.0\""u8.ToArray(), "\r\n"u8.ToArray(), [0x00], [0xFF], [0xC3], [0xED, 0xA0, 0x80],
        [0xF0, 0x9F, 0x98], [0xC0, 0xAF], "é"u8.ToArray(), "😀"u8.ToArray(),
    ];

    private static readonly string[] Lengths =
    [
        "-1", "-0", "+5", "0", "1", "abc", "", " ", "0x10", "1.5", "1e3", "4096", "4097", "65536", "16777216", "16777217",
        "2147483647", "2147483648", "9999999999", "99999999999", "4294967296", "00000000001", "٣",
    ];

    /// <summary>A message body: a corpus message or random message, with 0-4 mutations.</summary>
    public byte[] Body()
    {
        byte[] body = random.Next(4) switch
        {
            0 => Encoding.UTF8.GetBytes(RandomMessage(0)),
            1 => Encoding.UTF8.GetBytes(RandomJson(0)),
            _ => Encoding.UTF8.GetBytes(Corpus[random.Next(Corpus.Length)]),
        };

        var mutations = random.Next(5);
        for (var i = 0; i < mutations; i++)
        {
            body = Mutate(body);
        }

        return body.Length > 64 * 1024 ? body[..(64 * 1024)] : body;
    }

    /// <summary>A byte stream of 1-4 frames in which the framing itself is corrupted somewhere.</summary>
    public byte[] Stream()
    {
        var stream = new List<byte>();
        var frames = 1 + random.Next(4);
        for (var i = 0; i < frames; i++)
        {
            var body = random.Next(3) == 0 ? Body() : Encoding.UTF8.GetBytes(Corpus[random.Next(Corpus.Length)]);
            stream.AddRange(random.Next(3) == 0 ? Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n") : Header(body.Length));
            stream.AddRange(body);
            if (random.Next(6) == 0)
            {
                stream.AddRange(RandomBytes(1 + random.Next(16)));
            }
        }

        var bytes = stream.ToArray();
        switch (random.Next(4))
        {
            case 0:
                // Flip a few bytes anywhere, headers included.
                for (var i = random.Next(1, 4); i > 0; i--)
                {
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                }

                break;
            case 1:
                // Cut the stream anywhere.
                bytes = bytes[..random.Next(bytes.Length + 1)];
                break;
        }

        return bytes;
    }

    /// <summary>Splits <paramref name="bytes"/> into random-sized writes, so frames straddle reads at every position.</summary>
    public IEnumerable<ReadOnlyMemory<byte>> Chunks(byte[] bytes)
    {
        var offset = 0;
        while (offset < bytes.Length)
        {
            var size = random.Next(4) switch
            {
                0 => 1 + random.Next(8),
                1 => 1 + random.Next(512),
                _ => bytes.Length - offset,
            };
            size = Math.Min(size, bytes.Length - offset);
            yield return bytes.AsMemory(offset, size);
            offset += size;
        }
    }

    private byte[] Header(int bodyLength)
    {
        var lines = new List<string>();
        var length = random.Next(3) == 0 ? Lengths[random.Next(Lengths.Length)] : (bodyLength + random.Next(-3, 4)).ToString(CultureInfo.InvariantCulture);
        var name = random.Next(8) switch
        {
            0 => "content-length",
            1 => "Content-Lenght",
            2 => "Content-Length ",
            _ => "Content-Length",
        };
        lines.Add($"{name}:{(random.Next(2) == 0 ? " " : string.Empty)}{length}");
        for (var extra = random.Next(3); extra > 0; extra--)
        {
            lines.Insert(random.Next(lines.Count + 1), random.Next(4) switch
            {
                0 => $"Content-Type: application/json; charset={(random.Next(2) == 0 ? "utf-8" : "latin1")}",
                1 => $"X-{random.Next(1000)}: {new string('v', random.Next(200))}",
                2 => "garbage without colon",
                _ => Encoding.Latin1.GetString(RandomBytes(random.Next(40))),
            });
        }

        var separator = random.Next(10) == 0 ? "\n" : "\r\n";
        var end = random.Next(10) == 0 ? "\r\n" : "\r\n\r\n";
        return Encoding.Latin1.GetBytes(string.Join(separator, lines) + end);
    }

    private byte[] Mutate(byte[] body)
    {
        if (body.Length == 0)
        {
            return Tokens[random.Next(Tokens.Length)];
        }

        var at = random.Next(body.Length);
        switch (random.Next(9))
        {
            case 0:
                body = (byte[])body.Clone();
                body[at] ^= (byte)(1 << random.Next(8));
                return body;
            case 1:
                body = (byte[])body.Clone();
                body[at] = (byte)random.Next(256);
                return body;
            case 2:
                return [.. body[..at], .. RandomBytes(1 + random.Next(8)), .. body[at..]];
            case 3:
                return [.. body[..at], .. Tokens[random.Next(Tokens.Length)], .. body[at..]];
            case 4:
                return [.. body[..at], .. body[Math.Min(body.Length, at + 1 + random.Next(16))..]];
            case 5:
                var end = Math.Min(body.Length, at + 1 + random.Next(32));
                return [.. body[..end], .. body[at..end], .. body[end..]];
            case 6:
                var other = Encoding.UTF8.GetBytes(Corpus[random.Next(Corpus.Length)]);
                var from = random.Next(other.Length);
                return [.. body[..at], .. other[from..Math.Min(other.Length, from + 1 + random.Next(40))], .. body[at..]];
            case 7:
                return body[..at];
            default:
                return [.. body[..at], .. Encoding.UTF8.GetBytes(RandomJson(3)), .. body[at..]];
        }
    }

    /// <summary>A JSON-RPC-shaped object with random members: right or wrong version, ids, methods and params.</summary>
    private string RandomMessage(int depth)
    {
        var members = new List<string>();
        if (random.Next(6) != 0)
        {
            members.Add("\"jsonrpc\":" + (random.Next(6) == 0 ? RandomJson(4) : "\"2.0\""));
        }

        if (random.Next(3) != 0)
        {
            members.Add("\"id\":" + (random.Next(4) == 0 ? RandomJson(4) : random.Next(2) == 0 ? random.Next(-5, 1000).ToString(CultureInfo.InvariantCulture) : $"\"s{random.Next(100)}\""));
        }

        if (random.Next(8) != 0)
        {
            members.Add("\"method\":" + (random.Next(8) == 0 ? RandomJson(4) : Quote(Methods[random.Next(Methods.Length)])));
        }

        if (random.Next(4) != 0)
        {
            members.Add("\"params\":" + RandomParams());
        }

        if (random.Next(10) == 0)
        {
            members.Add((random.Next(2) == 0 ? "\"result\":" : "\"error\":") + RandomJson(3));
        }

        Shuffle(members);
        var message = "{" + string.Join(",", members) + "}";
        return depth == 0 && random.Next(8) == 0
            ? "[" + string.Join(",", Enumerable.Range(0, random.Next(6)).Select(_ => RandomMessage(1))) + "]"
            : message;
    }

    private string RandomParams() => random.Next(6) switch
    {
        0 => "[" + string.Join(",", Enumerable.Range(0, random.Next(5)).Select(_ => RandomNumber())) + "]",
        1 => $"{{\"minuend\":{RandomNumber()},\"subtrahend\":{RandomNumber()}}}",
        2 => $"{{\"value\":{RandomJson(2)}}}",
        3 => $"{{\"milliseconds\":{random.Next(-2, 50)},\"count\":{random.Next(-2, 200)},\"delayMilliseconds\":{random.Next(-2, 3)},\"token\":{random.Next(-1, 4)},\"id\":{random.Next(0, 20)}}}",
        4 => $"{{\"code\":{RandomNumber()},\"message\":{RandomString()}}}",
        _ => RandomJson(2),
    };

    private string RandomJson(int depth)
    {
        var pick = random.Next(depth >= 5 ? 5 : 7);
        switch (pick)
        {
            case 0:
                return "null";
            case 1:
                return random.Next(2) == 0 ? "true" : "false";
            case 2:
            case 3:
                return RandomNumber();
            case 4:
                return RandomString();
            case 5:
                return "[" + string.Join(",", Enumerable.Range(0, random.Next(5)).Select(_ => RandomJson(depth + 1))) + "]";
            default:
                return "{" + string.Join(",", Enumerable.Range(0, random.Next(5)).Select(_ => RandomKey() + ":" + RandomJson(depth + 1))) + "}";
        }
    }

    private string RandomKey() => random.Next(3) == 0
        ? Quote(new[] { "jsonrpc", "id", "method", "params", "result", "error", "code", "message", "data", "value", "token" }[random.Next(11)])
        : RandomString();

    private string RandomNumber() => random.Next(8) switch
    {
        0 => "0",
        1 => "-0",
        2 => "1e400",
        3 => "-2147483649",
        4 => "3.14159",
        5 => "9223372036854775808",
        _ => random.Next(-1000, 1000).ToString(CultureInfo.InvariantCulture),
    };

    private string RandomString()
    {
        const string Alphabet = "abcXYZ 0189_-/$é漢😀\"\\\n\t";
        var builder = new StringBuilder();
        for (var i = random.Next(12); i > 0; i--)
        {
            builder.Append(Alphabet[random.Next(Alphabet.Length)]);
        }

        if (random.Next(10) == 0)
        {
            builder.Append(random.Next(2) == 0 ? "\ud800" : "\u0000");
        }

        return Quote(builder.ToString());
    }

    private static string Quote(string text) => System.Text.Json.JsonSerializer.Serialize(text);

    private byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    private void Shuffle<T>(List<T> items)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
