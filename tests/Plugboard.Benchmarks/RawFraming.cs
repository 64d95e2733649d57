using System.Buffers;
using System.Buffers.Text;
using System.IO.Pipelines;

namespace Plugboard.Benchmarks;

/// <summary>
/// The baseline's framing: <c>Content-Length: N\r\n\r\n</c> plus N bytes, copied without looking at the body.
/// Deliberately minimal (one header, no validation beyond what finding the next frame needs).
/// </summary>
internal static class RawFraming
{
    private static ReadOnlySpan<byte> HeaderEnd => "\r\n\r\n"u8;

    private static ReadOnlySpan<byte> Prefix => "Content-Length: "u8;

    /// <summary>Builds one whole frame (header and body).</summary>
    public static byte[] BuildFrame(ReadOnlySpan<byte> body)
    {
        Span<byte> digits = stackalloc byte[16];
        Utf8Formatter.TryFormat(body.Length, digits, out var count);
        var frame = new byte[Prefix.Length + count + HeaderEnd.Length + body.Length];
        var span = frame.AsSpan();
        Prefix.CopyTo(span);
        span = span[Prefix.Length..];
        digits[..count].CopyTo(span);
        span = span[count..];
        HeaderEnd.CopyTo(span);
        body.CopyTo(span[HeaderEnd.Length..]);
        return frame;
    }

    /// <summary>Slices the next whole frame (header and body) off <paramref name="buffer"/>, if it has arrived.</summary>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> header, HeaderEnd, advancePastDelimiter: true))
        {
            frame = default;
            return false;
        }

        var bodyLength = ParseLength(header);
        if (reader.Remaining < bodyLength)
        {
            frame = default;
            return false;
        }

        var end = buffer.GetPosition(reader.Consumed + bodyLength);
        frame = buffer.Slice(0, end);
        buffer = buffer.Slice(end);
        return true;
    }

    /// <summary>Reads one frame and returns its total size; throws at end of stream.</summary>
    public static async ValueTask<long> ReadFrameAsync(PipeReader reader)
    {
        while (true)
        {
            var result = await reader.ReadAsync();
            var buffer = result.Buffer;
            if (TryReadFrame(ref buffer, out var frame))
            {
                reader.AdvanceTo(buffer.Start);
                return frame.Length;
            }

            if (result.IsCompleted)
            {
                throw new EndOfStreamException("The echo peer closed its output in the middle of the benchmark.");
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static long ParseLength(ReadOnlySequence<byte> header)
    {
        Span<byte> text = stackalloc byte[64];
        if (header.Length > text.Length || header.Length <= Prefix.Length)
        {
            throw new InvalidDataException("The echo peer sent an unexpected header block.");
        }

        header.CopyTo(text);
        text = text[..(int)header.Length];
        if (!text.StartsWith(Prefix) || !Utf8Parser.TryParse(text[Prefix.Length..], out long length, out var used) || used != text.Length - Prefix.Length)
        {
            throw new InvalidDataException("The echo peer sent a header that is not 'Content-Length: N'.");
        }

        return length;
    }
}
