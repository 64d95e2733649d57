using System.Net.Http.Headers;
using Plugboard.Plugins.WeComBot.Crypto;

namespace Plugboard.Plugins.WeComBot.Messages;

/// <summary>Downloaded and decrypted media.</summary>
/// <param name="Content">The plaintext bytes.</param>
/// <param name="FileName">The name from <c>Content-Disposition</c>, if the server sent one.</param>
/// <param name="MimeType">The type recognised from the bytes (images, common video/audio/documents), if any.</param>
internal sealed record DownloadedMedia(byte[] Content, string? FileName, string? MimeType);

/// <summary>
/// Fetches WeCom's encrypted media URLs (valid for 5 minutes) and decrypts them: AES-256-CBC with the per-item
/// <c>aeskey</c> (long connection) or the bot's EncodingAESKey (webhook mode), PKCS#7 to 32-byte blocks.
/// </summary>
internal sealed class WeComMediaDownloader(HttpClient http, long maxBytes)
{
    /// <summary>Downloads and decrypts one item.</summary>
    /// <exception cref="HttpRequestException">The download failed.</exception>
    /// <exception cref="WeComCryptoException">The content does not decrypt with the key.</exception>
    /// <exception cref="InvalidDataException">The content exceeds the size limit.</exception>
    public async Task<DownloadedMedia> DownloadAsync(string url, string aesKey, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"GET returned {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
        }

        if (response.Content.Headers.ContentLength is { } announced && announced > maxBytes + 32)
        {
            throw new InvalidDataException($"the media is {announced} bytes; the limit is {maxBytes} (maxMediaMegabytes)");
        }

        var encrypted = await ReadBoundedAsync(response.Content, maxBytes + 32, cancellationToken).ConfigureAwait(false);
        var plain = WeComAes.DecryptMedia(encrypted, aesKey);
        return new DownloadedMedia(plain, FileNameOf(response.Content.Headers.ContentDisposition), SniffMimeType(plain));
    }

    /// <summary>The file name of a <c>Content-Disposition</c> header (<c>filename*=UTF-8''…</c> preferred over <c>filename=</c>).</summary>
    public static string? FileNameOf(ContentDispositionHeaderValue? disposition)
    {
        if (disposition is null)
        {
            return null;
        }

        var name = disposition.FileNameStar ?? disposition.FileName;
        if (string.IsNullOrEmpty(name))
        {
            return null;
        }

        name = name.Trim('"');
        try
        {
            name = Uri.UnescapeDataString(name);
        }
        catch (UriFormatException)
        {
        }

        // Never a path: only the last segment.
        return Path.GetFileName(name.Replace('\\', '/'));
    }

    /// <summary>Recognises common formats by their first bytes.</summary>
    public static string? SniffMimeType(ReadOnlySpan<byte> data)
    {
        static bool Starts(ReadOnlySpan<byte> d, ReadOnlySpan<byte> magic, int offset = 0) => d.Length >= offset + magic.Length && d.Slice(offset, magic.Length).SequenceEqual(magic);

        if (Starts(data, [0x89, 0x50, 0x4E, 0x47]))
        {
            return "image/png";
        }

        if (Starts(data, [0xFF, 0xD8, 0xFF]))
        {
            return "image/jpeg";
        }

        if (Starts(data, "GIF8"u8))
        {
            return "image/gif";
        }

        if (Starts(data, "RIFF"u8) && Starts(data, "WEBP"u8, 8))
        {
            return "image/webp";
        }

        if (Starts(data, "ftyp"u8, 4))
        {
            return "video/mp4";
        }

        if (Starts(data, "%PDF"u8))
        {
            return "application/pdf";
        }

        if (Starts(data, "#!AMR"u8))
        {
            return "audio/amr";
        }

        return null;
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpContent content, long limit, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw new InvalidDataException($"the media exceeds the limit of {limit - 32} bytes (maxMediaMegabytes)");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
