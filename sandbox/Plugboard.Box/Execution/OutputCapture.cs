using System.Text;

namespace Plugboard.Box.Execution;

/// <summary>
/// Keeps the first and last bytes of one output stream within a fixed budget (60% head, 40% tail) and counts the
/// rest, so a flood costs the Box a constant amount of memory. Renders as UTF-8 with a marker where bytes were cut.
/// </summary>
internal sealed class OutputCapture
{
    private readonly byte[] _head;
    private readonly byte[] _tail;
    private int _headLength;
    private int _tailStart;
    private int _tailLength;

    public OutputCapture(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        Limit = limit;
        var headSize = limit - (limit * 2 / 5);
        _head = new byte[headSize];
        _tail = new byte[limit - headSize];
    }

    /// <summary>The byte budget.</summary>
    public int Limit { get; }

    /// <summary>Every byte appended, kept or not.</summary>
    public long TotalBytes { get; private set; }

    /// <summary>Whether bytes were dropped.</summary>
    public bool Truncated => TotalBytes > Limit;

    public void Append(ReadOnlySpan<byte> data)
    {
        TotalBytes += data.Length;
        if (_headLength < _head.Length)
        {
            var take = Math.Min(_head.Length - _headLength, data.Length);
            data[..take].CopyTo(_head.AsSpan(_headLength));
            _headLength += take;
            data = data[take..];
        }

        if (data.IsEmpty || _tail.Length == 0)
        {
            return;
        }

        // Only the last _tail.Length bytes can matter.
        if (data.Length >= _tail.Length)
        {
            data[^_tail.Length..].CopyTo(_tail);
            _tailStart = 0;
            _tailLength = _tail.Length;
            return;
        }

        foreach (var b in data)
        {
            var index = (_tailStart + _tailLength) % _tail.Length;
            _tail[index] = b;
            if (_tailLength < _tail.Length)
            {
                _tailLength++;
            }
            else
            {
                _tailStart = (_tailStart + 1) % _tail.Length;
            }
        }
    }

    /// <summary>The kept bytes in order (head then tail), without a marker.</summary>
    public byte[] ToArray()
    {
        var result = new byte[_headLength + _tailLength];
        _head.AsSpan(0, _headLength).CopyTo(result);
        for (var i = 0; i < _tailLength; i++)
        {
            result[_headLength + i] = _tail[(_tailStart + i) % _tail.Length];
        }

        return result;
    }

    /// <summary>The output as text: everything when nothing was dropped, else head + marker + tail.</summary>
    public string Render()
    {
        var bytes = ToArray();
        if (!Truncated)
        {
            return Encoding.UTF8.GetString(bytes);
        }

        var head = bytes.AsSpan(0, _headLength);
        var tail = bytes.AsSpan(_headLength);
        head = head[..Utf8Boundary.TrimIncompleteEnd(head)];
        tail = tail[Utf8Boundary.SkipContinuationStart(tail)..];
        var dropped = TotalBytes - head.Length - tail.Length;
        return string.Concat(
            Encoding.UTF8.GetString(head),
            $"\n[... {dropped} bytes truncated; {TotalBytes} bytes in total ...]\n",
            Encoding.UTF8.GetString(tail));
    }
}

/// <summary>Cuts byte ranges at UTF-8 character boundaries.</summary>
internal static class Utf8Boundary
{
    /// <summary>The length of <paramref name="span"/> without a trailing incomplete multi-byte sequence.</summary>
    public static int TrimIncompleteEnd(ReadOnlySpan<byte> span)
    {
        for (var back = 1; back <= Math.Min(3, span.Length); back++)
        {
            var b = span[^back];
            if ((b & 0xC0) == 0x80)
            {
                continue;
            }

            var needed = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            return needed > back ? span.Length - back : span.Length;
        }

        return span.Length;
    }

    /// <summary>How many leading continuation bytes to skip so <paramref name="span"/> starts on a character.</summary>
    public static int SkipContinuationStart(ReadOnlySpan<byte> span)
    {
        var skip = 0;
        while (skip < Math.Min(3, span.Length) && (span[skip] & 0xC0) == 0x80)
        {
            skip++;
        }

        return skip;
    }
}
