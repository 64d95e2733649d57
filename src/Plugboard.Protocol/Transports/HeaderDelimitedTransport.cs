using System.Buffers;
using System.Buffers.Text;
using System.IO.Pipelines;
using System.Text;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Protocol.Transports;

/// <summary>
/// The LSP / vscode-jsonrpc / StreamJsonRpc framing: <c>Content-Length: N\r\n</c>, an optional
/// <c>Content-Type</c> header (UTF-8 only), a blank line, then N bytes of UTF-8 JSON. Works over any pipe pair
/// or stream pair (process stdio, named pipes, sockets, in-memory pipes).
/// </summary>
public sealed class HeaderDelimitedTransport : JsonRpcTransport
{
    /// <summary>The default maximum size of the header block of one message.</summary>
    public const int DefaultMaxHeaderBytes = 8 * 1024;

    private static ReadOnlySpan<byte> HeaderEnd => "\r\n\r\n"u8;

    private static ReadOnlySpan<byte> ContentLengthName => "Content-Length"u8;

    private static ReadOnlySpan<byte> ContentTypeName => "Content-Type"u8;

    private readonly PipeReader _reader;
    private readonly PipeWriter? _writer;
    private readonly Stream? _blockingOutput;
    private readonly Stream? _input;
    private readonly Stream? _output;
    private readonly int _maxHeaderBytes;
    private SequencePosition? _consumed;
    private long _skipRemaining;
    private long _skipTotal;
    private byte[] _prefix = [];
    private int _prefixLength;

    /// <summary>Creates the transport over a pipe pair.</summary>
    public HeaderDelimitedTransport(PipeReader reader, PipeWriter writer, int maxMessageSize = JsonRpcConnectionOptions.DefaultMaxMessageSize, int maxHeaderBytes = DefaultMaxHeaderBytes)
        : base(maxMessageSize)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(writer);
        _reader = reader;
        _writer = writer;
        _maxHeaderBytes = maxHeaderBytes;
    }

    /// <summary>Creates the transport over an input and an output stream (e.g. a child process's stdout and stdin), which it owns.</summary>
    public HeaderDelimitedTransport(Stream input, Stream output, int maxMessageSize = JsonRpcConnectionOptions.DefaultMaxMessageSize, int maxHeaderBytes = DefaultMaxHeaderBytes)
        : base(maxMessageSize)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        // Process and console pipes only block: their "async" reads and writes tie up a thread-pool thread for as long as
        // they wait, which starves the pool once a runtime has a few plugins. Such streams get a dedicated reader
        // thread and synchronous writes (we write one message at a time anyway); others use the pipe adapters.
        _reader = IsBlocking(input)
            ? BlockingStreamReader.Start(input)
            : PipeReader.Create(input, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 4096, leaveOpen: true));
        if (IsBlocking(output))
        {
            _blockingOutput = output;
        }
        else
        {
            _writer = PipeWriter.Create(output, new StreamPipeWriterOptions(leaveOpen: true));
        }

        _maxHeaderBytes = maxHeaderBytes;
        _input = input;
        _output = output;
    }

    /// <summary>Creates the transport over one duplex stream (e.g. a socket's NetworkStream), which it owns.</summary>
    public HeaderDelimitedTransport(Stream duplex, int maxMessageSize = JsonRpcConnectionOptions.DefaultMaxMessageSize)
        : this(duplex, duplex, maxMessageSize)
    {
    }

    /// <inheritdoc/>
    public override async ValueTask<TransportReadResult> ReadAsync(CancellationToken cancellationToken)
    {
        AdvanceMessage();
        long contentLength = -1;
        while (true)
        {
            var result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;

            if (_skipRemaining > 0)
            {
                if (Skip(buffer))
                {
                    return Oversized();
                }

                if (result.IsCompleted)
                {
                    throw new JsonRpcFramingException($"The stream ended inside a message body ({_skipRemaining} of {_skipTotal} bytes missing).");
                }

                continue;
            }

            if (contentLength < 0)
            {
                var headerEnd = FindHeaderEnd(buffer);
                if (headerEnd is null)
                {
                    if (buffer.Length > _maxHeaderBytes)
                    {
                        throw new JsonRpcFramingException($"No end of headers within {_maxHeaderBytes} bytes; the peer is not sending Content-Length framing.");
                    }

                    if (result.IsCompleted)
                    {
                        if (buffer.IsEmpty)
                        {
                            _reader.AdvanceTo(buffer.End);
                            return TransportReadResult.EndOfStream;
                        }

                        throw new JsonRpcFramingException($"The stream ended inside a header block ({buffer.Length} bytes of headers without the blank line).");
                    }

                    _reader.AdvanceTo(buffer.Start, buffer.End);
                    continue;
                }

                var headers = buffer.Slice(0, headerEnd.Value);
                if (headers.Length > _maxHeaderBytes)
                {
                    throw new JsonRpcFramingException($"The header block is {headers.Length} bytes, over the limit of {_maxHeaderBytes}.");
                }

                contentLength = ParseHeaders(headers);
                buffer = buffer.Slice(headerEnd.Value + HeaderEnd.Length);
                if (contentLength > MaxMessageSize)
                {
                    _skipTotal = contentLength;
                    _skipRemaining = contentLength;
                    _prefix = new byte[TransportReadResult.PrefixBytes];
                    _prefixLength = 0;
                    if (Skip(buffer))
                    {
                        return Oversized();
                    }

                    if (result.IsCompleted)
                    {
                        throw new JsonRpcFramingException($"The stream ended inside a message body ({_skipRemaining} of {_skipTotal} bytes missing).");
                    }

                    continue;
                }

                // Consume the headers now so a body that arrives in several reads does not reparse them.
                if (buffer.Length < contentLength)
                {
                    if (result.IsCompleted)
                    {
                        throw new JsonRpcFramingException($"The stream ended inside a message body ({buffer.Length} of {contentLength} bytes received).");
                    }

                    _reader.AdvanceTo(buffer.Start, buffer.End);
                    continue;
                }
            }
            else if (buffer.Length < contentLength)
            {
                if (result.IsCompleted)
                {
                    throw new JsonRpcFramingException($"The stream ended inside a message body ({buffer.Length} of {contentLength} bytes received).");
                }

                _reader.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            var message = buffer.Slice(0, contentLength);
            _consumed = message.End;
            return TransportReadResult.FromMessage(message);
        }
    }

    /// <summary>Consumes as much of an oversized body as is buffered, keeping its first bytes; true when it is all gone.</summary>
    private bool Skip(ReadOnlySequence<byte> buffer)
    {
        var skip = Math.Min(_skipRemaining, buffer.Length);
        var keep = (int)Math.Min(skip, _prefix.Length - _prefixLength);
        if (keep > 0)
        {
            buffer.Slice(0, keep).CopyTo(_prefix.AsSpan(_prefixLength));
            _prefixLength += keep;
        }

        _skipRemaining -= skip;
        _reader.AdvanceTo(buffer.GetPosition(skip));
        return _skipRemaining == 0;
    }

    private TransportReadResult Oversized() => TransportReadResult.FromOversized(_skipTotal, _prefix.AsMemory(0, _prefixLength));

    /// <inheritdoc/>
    public override void AdvanceMessage()
    {
        if (_consumed is { } consumed)
        {
            _consumed = null;
            _reader.AdvanceTo(consumed);
        }
    }

    /// <inheritdoc/>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        Span<byte> header = stackalloc byte[40];
        "Content-Length: "u8.CopyTo(header);
        Utf8Formatter.TryFormat(message.Length, header[16..], out var digits);
        var length = 16 + digits;
        "\r\n\r\n"u8.CopyTo(header[length..]);
        length += 4;

        if (_blockingOutput is { } output)
        {
            output.Write(header[..length]);
            output.Write(message.Span);
            output.Flush();
            return ValueTask.CompletedTask;
        }

        var span = _writer!.GetSpan(length + message.Length);
        header[..length].CopyTo(span);
        message.Span.CopyTo(span[length..]);
        _writer.Advance(length + message.Length);
        var flush = _writer.FlushAsync(cancellationToken);
        return flush.IsCompletedSuccessfully ? ValueTask.CompletedTask : AwaitFlush(flush);

        static async ValueTask AwaitFlush(ValueTask<FlushResult> flush) => await flush.ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override async ValueTask CompleteOutputAsync(CancellationToken cancellationToken)
    {
        if (_writer is not null)
        {
            await _writer.CompleteAsync().ConfigureAwait(false);
        }

        // A separate output stream (a child's stdin, our stdout) is closed so the peer sees end of stream.
        if (_output is not null && !ReferenceEquals(_output, _input))
        {
            await DisposeQuietlyAsync(_output).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public override async ValueTask DisposeAsync()
    {
        await _reader.CompleteAsync().ConfigureAwait(false);
        if (_writer is not null)
        {
            await _writer.CompleteAsync().ConfigureAwait(false);
        }

        if (_output is not null)
        {
            await DisposeQuietlyAsync(_output).ConfigureAwait(false);
        }

        if (_input is not null && !ReferenceEquals(_output, _input))
        {
            await DisposeQuietlyAsync(_input).ConfigureAwait(false);
        }
    }

    private static async ValueTask DisposeQuietlyAsync(Stream stream)
    {
        try
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
            // A broken pipe on close is expected when the peer went first.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private static bool IsBlocking(Stream stream) => stream switch
    {
        FileStream file => !file.IsAsync,
        System.IO.Pipes.PipeStream pipe => !pipe.IsAsync,
        _ => stream.GetType().Name.Contains("ConsoleStream", StringComparison.Ordinal),
    };

    private static long? FindHeaderEnd(ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsSingleSegment)
        {
            var index = buffer.FirstSpan.IndexOf(HeaderEnd);
            return index < 0 ? null : index;
        }

        var reader = new SequenceReader<byte>(buffer);
        return reader.TryReadTo(out ReadOnlySequence<byte> _, HeaderEnd, advancePastDelimiter: false) ? reader.Consumed : null;
    }

    private static long ParseHeaders(ReadOnlySequence<byte> headers)
    {
        Span<byte> copy = headers.Length <= 512 ? stackalloc byte[(int)headers.Length] : new byte[headers.Length];
        headers.CopyTo(copy);
        long contentLength = -1;
        while (!copy.IsEmpty)
        {
            var lineEnd = copy.IndexOf("\r\n"u8);
            var line = lineEnd < 0 ? copy : copy[..lineEnd];
            copy = lineEnd < 0 ? [] : copy[(lineEnd + 2)..];

            var colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                throw new JsonRpcFramingException($"Malformed header line \"{Printable(line)}\": expected \"Name: value\".");
            }

            var name = line[..colon].Trim((byte)' ');
            var value = line[(colon + 1)..].Trim((byte)' ');
            if (Ascii.EqualsIgnoreCase(name, ContentLengthName))
            {
                if (value.Length is 0 or > 10 || value.ContainsAnyExceptInRange((byte)'0', (byte)'9') || !Utf8Parser.TryParse(value, out long parsed, out var used) || used != value.Length)
                {
                    throw new JsonRpcFramingException($"Invalid Content-Length \"{Printable(value)}\": expected a non-negative decimal byte count.");
                }

                contentLength = parsed;
            }
            else if (Ascii.EqualsIgnoreCase(name, ContentTypeName))
            {
                CheckCharset(value);
            }
        }

        return contentLength >= 0
            ? contentLength
            : throw new JsonRpcFramingException("A message header block has no Content-Length header.");
    }

    private static void CheckCharset(ReadOnlySpan<byte> contentType)
    {
        var text = Encoding.ASCII.GetString(contentType);
        foreach (var part in text.Split(';', StringSplitOptions.TrimEntries))
        {
            if (part.StartsWith("charset=", StringComparison.OrdinalIgnoreCase))
            {
                var charset = part[8..].Trim('"');
                if (!charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
                {
                    throw new JsonRpcFramingException($"Unsupported charset \"{charset}\" in Content-Type: only utf-8 is supported.");
                }
            }
        }
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var sample = bytes.Length > 64 ? bytes[..64] : bytes;
        var builder = new StringBuilder(sample.Length);
        foreach (var b in sample)
        {
            builder.Append(b is >= 0x20 and < 0x7f ? (char)b : '?');
        }

        return bytes.Length > 64 ? builder.Append("...").ToString() : builder.ToString();
    }
}
