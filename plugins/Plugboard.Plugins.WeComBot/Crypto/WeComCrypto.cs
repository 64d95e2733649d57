using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Plugboard.Plugins.WeComBot.Crypto;

/// <summary>
/// WeCom's callback crypto (WXBizJsonMsgCrypt): AES-256-CBC with the IV taken from the key, PKCS#7 padding to
/// 32-byte blocks, plaintext <c>random(16) ‖ uint32_be(len) ‖ msg ‖ receiveId</c>, and the SHA-1 signature over the
/// sorted <c>token, timestamp, nonce, encrypt</c>. Checked against WeCom's own <c>@wecom/crypto</c> npm package.
/// </summary>
internal sealed class WeComMessageCrypto
{
    private readonly string _token;
    private readonly byte[] _key;
    private readonly string _receiveId;
    private readonly string? _alternateReceiveId;

    /// <summary>Creates the crypto for one bot.</summary>
    /// <param name="token">The callback token.</param>
    /// <param name="encodingAesKey">The 43-character EncodingAESKey.</param>
    /// <param name="receiveId">The ReceiveId appended on encryption: empty for an internal AI bot.</param>
    /// <param name="alternateReceiveId">A second ReceiveId accepted on decryption (the corp id, if configured).</param>
    public WeComMessageCrypto(string token, string encodingAesKey, string receiveId = "", string? alternateReceiveId = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        _token = token;
        _key = DecodeEncodingAesKey(encodingAesKey);
        _receiveId = receiveId;
        _alternateReceiveId = string.IsNullOrEmpty(alternateReceiveId) ? null : alternateReceiveId;
    }

    /// <summary>The 32-byte AES key decoded from the EncodingAESKey.</summary>
    public ReadOnlySpan<byte> Key => _key;

    /// <summary>Decodes an EncodingAESKey (43 base64 characters without the trailing '=') into its 32-byte key.</summary>
    /// <exception cref="WeComCryptoException"><see cref="WeComCryptoError.IllegalAesKey"/> when it is not 32 bytes of base64.</exception>
    public static byte[] DecodeEncodingAesKey(string encodingAesKey)
    {
        var trimmed = (encodingAesKey ?? string.Empty).Trim();
        try
        {
            var key = Convert.FromBase64String(trimmed.EndsWith('=') ? trimmed : trimmed + "=");
            if (key.Length == 32)
            {
                return key;
            }
        }
        catch (FormatException)
        {
        }

        throw new WeComCryptoException(WeComCryptoError.IllegalAesKey, "The EncodingAESKey must be 43 base64 characters that decode to 32 bytes; copy it again from the bot's API settings.");
    }

    /// <summary>The <c>msg_signature</c>: SHA-1 hex over the lexicographically sorted token, timestamp, nonce and ciphertext.</summary>
    public string Signature(string timestamp, string nonce, string encrypt) => ComputeSignature(_token, timestamp, nonce, encrypt);

    /// <summary>The signature of WeCom's sample library for any token.</summary>
    public static string ComputeSignature(string token, string timestamp, string nonce, string encrypt)
    {
        string[] parts = [token, timestamp, nonce, encrypt];
        Array.Sort(parts, StringComparer.Ordinal);
        var hash = SHA1.HashData(Encoding.UTF8.GetBytes(string.Concat(parts)));
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>Whether <paramref name="signature"/> signs the ciphertext (constant-time comparison).</summary>
    public bool VerifySignature(string? signature, string timestamp, string nonce, string encrypt)
    {
        if (string.IsNullOrEmpty(signature))
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Signature(timestamp, nonce, encrypt));
        var actual = Encoding.ASCII.GetBytes(signature.ToLowerInvariant());
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }

    /// <summary>Encrypts a message, returning the base64 ciphertext.</summary>
    /// <param name="message">The plaintext (JSON) message.</param>
    /// <param name="random">16 random bytes; fresh ones when omitted (tests pass fixed bytes for reference vectors).</param>
    public string Encrypt(string message, ReadOnlySpan<byte> random = default)
    {
        var msg = Encoding.UTF8.GetBytes(message);
        var id = Encoding.UTF8.GetBytes(_receiveId);
        var plain = new byte[16 + 4 + msg.Length + id.Length];
        if (random.IsEmpty)
        {
            RandomNumberGenerator.Fill(plain.AsSpan(0, 16));
        }
        else if (random.Length == 16)
        {
            random.CopyTo(plain);
        }
        else
        {
            throw new ArgumentException("The random prefix must be 16 bytes.", nameof(random));
        }

        BinaryPrimitives.WriteUInt32BigEndian(plain.AsSpan(16, 4), (uint)msg.Length);
        msg.CopyTo(plain, 20);
        id.CopyTo(plain, 20 + msg.Length);
        return Convert.ToBase64String(WeComAes.Encrypt(_key, plain));
    }

    /// <summary>Decrypts a ciphertext and checks its ReceiveId.</summary>
    /// <exception cref="WeComCryptoException">The ciphertext is not base64, does not decrypt, or its layout or ReceiveId is wrong.</exception>
    public string Decrypt(string encrypt)
    {
        byte[] cipher;
        try
        {
            cipher = Convert.FromBase64String(encrypt);
        }
        catch (FormatException)
        {
            throw new WeComCryptoException(WeComCryptoError.DecodeBase64, "The encrypted payload is not base64.");
        }

        byte[] plain;
        try
        {
            plain = WeComAes.Decrypt(_key, cipher);
        }
        catch (CryptographicException ex)
        {
            throw new WeComCryptoException(WeComCryptoError.DecryptAes, "The payload does not decrypt with this EncodingAESKey: " + ex.Message);
        }

        if (plain.Length < 20)
        {
            throw new WeComCryptoException(WeComCryptoError.IllegalBuffer, $"The decrypted payload has {plain.Length} bytes; at least 20 are expected.");
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(plain.AsSpan(16, 4));
        if (length > (uint)(plain.Length - 20))
        {
            throw new WeComCryptoException(WeComCryptoError.IllegalBuffer, $"The decrypted payload announces {length} message bytes but holds {plain.Length - 20}.");
        }

        var message = Encoding.UTF8.GetString(plain, 20, (int)length);
        var receiveId = Encoding.UTF8.GetString(plain, 20 + (int)length, plain.Length - 20 - (int)length);
        if (receiveId != _receiveId && receiveId != _alternateReceiveId)
        {
            throw new WeComCryptoException(WeComCryptoError.ValidateCorpId, $"The payload is for ReceiveId '{receiveId}', not this bot's ('{_receiveId}'{(_alternateReceiveId is null ? string.Empty : " or '" + _alternateReceiveId + "'")}).");
        }

        return message;
    }

    /// <summary>Checks the signature, then decrypts.</summary>
    /// <exception cref="WeComCryptoException"><see cref="WeComCryptoError.ValidateSignature"/> when the signature is wrong.</exception>
    public string VerifyAndDecrypt(string? signature, string timestamp, string nonce, string encrypt)
    {
        if (!VerifySignature(signature, timestamp, nonce, encrypt))
        {
            throw new WeComCryptoException(WeComCryptoError.ValidateSignature, "msg_signature does not match the token, timestamp, nonce and payload; check the bot's Token.");
        }

        return Decrypt(encrypt);
    }
}

/// <summary>AES-256-CBC with IV = key[0..16] and PKCS#7 padding to 32-byte blocks, as WeCom uses for callbacks and media.</summary>
internal static class WeComAes
{
    /// <summary>WeCom's PKCS#7 block: 32 bytes, not AES's 16.</summary>
    public const int PaddingBlock = 32;

    /// <summary>Pads <paramref name="plain"/> to a multiple of 32 bytes (always 1..32 pad bytes) and encrypts it.</summary>
    public static byte[] Encrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plain)
    {
        var pad = PaddingBlock - (plain.Length % PaddingBlock);
        var padded = new byte[plain.Length + pad];
        plain.CopyTo(padded);
        padded.AsSpan(plain.Length).Fill((byte)pad);
        using var aes = Aes.Create();
        aes.Key = key.ToArray();
        return aes.EncryptCbc(padded, key[..16], PaddingMode.None);
    }

    /// <summary>Decrypts and strips WeCom's 32-byte PKCS#7 padding, checking every pad byte.</summary>
    /// <exception cref="CryptographicException">The length or padding is wrong (a wrong key, most likely).</exception>
    public static byte[] Decrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> cipher)
    {
        if (cipher.Length == 0 || cipher.Length % 16 != 0)
        {
            throw new CryptographicException($"the ciphertext length {cipher.Length} is not a positive multiple of the AES block (16)");
        }

        using var aes = Aes.Create();
        aes.Key = key.ToArray();
        var plain = aes.DecryptCbc(cipher, key[..16], PaddingMode.None);
        int pad = plain[^1];
        if (pad < 1 || pad > PaddingBlock || pad > plain.Length)
        {
            throw new CryptographicException($"invalid PKCS#7 pad value {pad}");
        }

        for (var i = plain.Length - pad; i < plain.Length; i++)
        {
            if (plain[i] != pad)
            {
                throw new CryptographicException("inconsistent PKCS#7 pad bytes");
            }
        }

        return plain[..^pad];
    }

    /// <summary>Decodes a media <c>aeskey</c> (base64, '=' padding added as needed) into its 32-byte key.</summary>
    /// <exception cref="WeComCryptoException"><see cref="WeComCryptoError.IllegalAesKey"/> for a key that is not 32 bytes.</exception>
    public static byte[] DecodeMediaKey(string aesKey)
    {
        var text = (aesKey ?? string.Empty).Trim();
        text += new string('=', (4 - (text.Length % 4)) % 4);
        try
        {
            var key = Convert.FromBase64String(text);
            if (key.Length == 32)
            {
                return key;
            }
        }
        catch (FormatException)
        {
        }

        throw new WeComCryptoException(WeComCryptoError.IllegalAesKey, "The media aeskey is not base64 for a 32-byte key.");
    }

    /// <summary>Decrypts downloaded media with its per-item <c>aeskey</c> (long connection) or the bot's EncodingAESKey (webhook).</summary>
    /// <exception cref="WeComCryptoException">The key or the ciphertext is wrong.</exception>
    public static byte[] DecryptMedia(ReadOnlySpan<byte> encrypted, string aesKey)
    {
        var key = DecodeMediaKey(aesKey);
        try
        {
            return Decrypt(key, encrypted);
        }
        catch (CryptographicException ex)
        {
            throw new WeComCryptoException(WeComCryptoError.DecryptAes, "The media does not decrypt with its aeskey: " + ex.Message);
        }
    }
}
