using System.Buffers;
using System.Text.Json;
using System.Text.Encodings.Web;

namespace Plugboard.Protocol.JsonRpc;

/// <summary>A growable buffer rented from <see cref="ArrayPool{T}"/>; disposing returns it.</summary>
internal sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
{
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    private byte[] _buffer;
    private int _written;

    public PooledBufferWriter(int initialCapacity = 512) => _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    public int WrittenCount => _written;

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        _written += bytes.Length;
    }

    public void WriteByte(byte value)
    {
        GetSpan(1)[0] = value;
        _written++;
    }

    /// <summary>Gets a JSON writer over this buffer, reusing one cached per thread. Return it with <see cref="ReturnJsonWriter"/> before any await.</summary>
    public Utf8JsonWriter RentJsonWriter()
    {
        var writer = t_writer;
        if (writer is null)
        {
            return new Utf8JsonWriter(this, WriterOptions);
        }

        t_writer = null;
        writer.Reset(this);
        return writer;
    }

    /// <summary>Writes one JSON document into a new pooled buffer; the buffer is released if writing throws.</summary>
    public static PooledBufferWriter WriteJson<TState>(TState state, Action<Utf8JsonWriter, TState> write)
    {
        var buffer = new PooledBufferWriter();
        var writer = buffer.RentJsonWriter();
        try
        {
            write(writer, state);
        }
        catch
        {
            ReturnJsonWriter(writer);
            buffer.Dispose();
            throw;
        }

        ReturnJsonWriter(writer);
        return buffer;
    }

    public static void ReturnJsonWriter(Utf8JsonWriter writer)
    {
        writer.Flush();
        writer.Reset();
        t_writer = writer;
    }

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        _written = 0;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Ensure(int sizeHint)
    {
        sizeHint = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= sizeHint)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _written + sizeHint));
        _buffer.AsSpan(0, _written).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }
}
