using System.Buffers;
using System.Buffers.Binary;

namespace Plugboard.Box.Docker;

/// <summary>The stream a frame of Docker's multiplexed (non-TTY) attach/exec output belongs to.</summary>
internal enum DockerStreamType
{
    Stdin = 0,
    Stdout = 1,
    Stderr = 2,
}

/// <summary>
/// Splits Docker's multiplexed stream: frames of an 8-byte header <c>[type, 0, 0, 0, size (uint32 big endian)]</c>
/// followed by <c>size</c> payload bytes. Headers and payloads may be split across reads at any byte; payloads are
/// handed to the sink in pieces as they arrive, so a large frame is never buffered whole.
/// </summary>
internal static class DockerStreamDemultiplexer
{
    private const int HeaderSize = 8;

    /// <summary>Reads <paramref name="source"/> to its end and passes every payload piece to <paramref name="sink"/>.</summary>
    /// <exception cref="InvalidDataException">A header names an unknown stream type.</exception>
    public static async Task RunAsync(Stream source, Func<DockerStreamType, ReadOnlyMemory<byte>, ValueTask> sink, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var header = new byte[HeaderSize];
        var headerFill = 0;
        long remaining = 0;
        var type = DockerStreamType.Stdout;
        try
        {
            while (true)
            {
                var read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }

                var position = 0;
                while (position < read)
                {
                    if (remaining == 0)
                    {
                        var take = Math.Min(HeaderSize - headerFill, read - position);
                        buffer.AsSpan(position, take).CopyTo(header.AsSpan(headerFill));
                        headerFill += take;
                        position += take;
                        if (headerFill == HeaderSize)
                        {
                            headerFill = 0;
                            if (header[0] > 2)
                            {
                                throw new InvalidDataException($"Docker stream frame with unknown stream type {header[0]}; the connection is not a multiplexed exec stream.");
                            }

                            type = (DockerStreamType)header[0];
                            remaining = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4));
                        }
                    }
                    else
                    {
                        var take = (int)Math.Min(remaining, read - position);
                        await sink(type, buffer.AsMemory(position, take)).ConfigureAwait(false);
                        position += take;
                        remaining -= take;
                    }
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
