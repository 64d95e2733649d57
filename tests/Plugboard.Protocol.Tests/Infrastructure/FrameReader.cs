using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using Xunit.Sdk;

namespace Plugboard.Protocol.Tests.Infrastructure;

/// <summary>
/// Reads <c>Content-Length</c> frames written by the engine, with its own parser (independent of the engine's), and is
/// strict about them: only <c>Content-Length</c> and <c>Content-Type</c> headers, an exact decimal length.
/// </summary>
internal sealed class FrameReader(PipeReader reader)
{
    /// <summary>Reads the next frame's body, or <see langword="null"/> when the writer completed at a frame boundary.</summary>
    public async Task<byte[]?> ReadFrameAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (TryParse(ref buffer, out var body))
            {
                reader.AdvanceTo(buffer.Start);
                return body;
            }

            if (result.IsCompleted)
            {
                var leftover = buffer.Length;
                reader.AdvanceTo(buffer.End);
                return leftover == 0 ? null : throw new XunitException($"The engine's output ended inside a frame ({leftover} bytes left over).");
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Reads frames until the writer completes; returns them all.</summary>
    public async Task<List<byte[]>> ReadToEndAsync()
    {
        var frames = new List<byte[]>();
        while (await ReadFrameAsync() is { } frame)
        {
            frames.Add(frame);
        }

        return frames;
    }

    private static bool TryParse(ref ReadOnlySequence<byte> buffer, out byte[] body)
    {
        body = [];
        var sequence = new SequenceReader<byte>(buffer);
        if (!sequence.TryReadTo(out ReadOnlySequence<byte> headerBytes, "\r\n\r\n"u8))
        {
            return false;
        }

        long length = -1;
        foreach (var line in Encoding.ASCII.GetString(headerBytes).Split("\r\n"))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new XunitException($"The engine wrote a malformed header line: \"{line}\".");
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                length = long.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
            }
            else if (!name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                throw new XunitException($"The engine wrote an unexpected header \"{line}\".");
            }
        }

        if (length < 0)
        {
            throw new XunitException("The engine wrote a frame without Content-Length.");
        }

        if (sequence.Remaining < length)
        {
            return false;
        }

        body = sequence.UnreadSequence.Slice(0, length).ToArray();
        buffer = buffer.Slice(sequence.Position).Slice(length);
        return true;
    }
}

/// <summary>Builds raw <c>Content-Length</c> frames.</summary>
internal static class Frames
{
    public static byte[] Of(string json) => Of(Encoding.UTF8.GetBytes(json));

    public static byte[] Of(ReadOnlySpan<byte> body) => [.. Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n"), .. body];

    public static byte[] WithHeader(string headers, string body) => [.. Encoding.ASCII.GetBytes(headers), .. Encoding.UTF8.GetBytes(body)];
}
