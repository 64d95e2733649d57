using System.Text;
using Plugboard.Box.Docker;

namespace Plugboard.Box.Tests.Unit;

public sealed class DockerStreamDemultiplexerTests
{
    private static readonly byte[] Sample = [1, 0, 0, 0, 0, 0, 0, 4, .. "out\n"u8, 2, 0, 0, 0, 0, 0, 0, 4, .. "err\n"u8, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 0xC3, 0xA9];

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(1000)]
    public async Task RunAsync_FramesSplitAtAnyByte_AreReassembled(int chunk)
    {
        var (stdout, stderr) = await DemuxAsync(new ChunkedStream(Sample, chunk));
        Assert.Equal("out\né", Encoding.UTF8.GetString(stdout));
        Assert.Equal("err\n", Encoding.UTF8.GetString(stderr));
    }

    [Fact]
    public async Task RunAsync_UnknownStreamType_Throws()
    {
        byte[] bad = [7, 0, 0, 0, 0, 0, 0, 1, 65];
        await Assert.ThrowsAsync<InvalidDataException>(() => DemuxAsync(new MemoryStream(bad)));
    }

    [Fact]
    public async Task RunAsync_LargeFrame_IsStreamedInPieces()
    {
        var payload = new byte[200_000];
        Random.Shared.NextBytes(payload);
        var frame = new byte[8 + payload.Length];
        frame[0] = 1;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), (uint)payload.Length);
        payload.CopyTo(frame, 8);
        var pieces = 0;
        var received = new MemoryStream();
        await DockerStreamDemultiplexer.RunAsync(new MemoryStream(frame), (_, data) =>
        {
            pieces++;
            received.Write(data.Span);
            return ValueTask.CompletedTask;
        }, CancellationToken.None);

        Assert.Equal(payload, received.ToArray());
        Assert.True(pieces > 1);
    }

    private static async Task<(byte[] Stdout, byte[] Stderr)> DemuxAsync(Stream stream)
    {
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        await DockerStreamDemultiplexer.RunAsync(stream, (type, data) =>
        {
            (type == DockerStreamType.Stderr ? stderr : stdout).Write(data.Span);
            return ValueTask.CompletedTask;
        }, CancellationToken.None);
        return (stdout.ToArray(), stderr.ToArray());
    }

    private sealed class ChunkedStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => base.ReadAsync(buffer[..Math.Min(chunk, buffer.Length)], cancellationToken);
    }
}
