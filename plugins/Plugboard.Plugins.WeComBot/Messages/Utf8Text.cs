using System.Text;

namespace Plugboard.Plugins.WeComBot.Messages;

/// <summary>Text helpers.</summary>
internal static class Utf8Text
{
    /// <summary>Cuts <paramref name="text"/> to at most <paramref name="maxBytes"/> UTF-8 bytes without splitting a character.</summary>
    public static string Truncate(string text, int maxBytes, out bool truncated)
    {
        truncated = Encoding.UTF8.GetByteCount(text) > maxBytes;
        if (!truncated)
        {
            return text;
        }

        var bytes = 0;
        var end = 0;
        while (end < text.Length)
        {
            var width = char.IsHighSurrogate(text[end]) && end + 1 < text.Length ? 2 : 1;
            var count = Encoding.UTF8.GetByteCount(text.AsSpan(end, width));
            if (bytes + count > maxBytes)
            {
                break;
            }

            bytes += count;
            end += width;
        }

        return text[..end];
    }
}
