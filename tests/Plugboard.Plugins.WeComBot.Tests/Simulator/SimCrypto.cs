using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Plugboard.Plugins.WeComBot.Tests.Simulator;

/// <summary>
/// The simulator's own WeCom crypto, written separately from the plugin's so the two are not wrong together. Both
/// are checked against WeCom's @wecom/crypto npm package in <see cref="CryptoInteropTests"/>.
/// </summary>
internal static class SimCrypto
{
    public static string Signature(string token, string timestamp, string nonce, string encrypt)
    {
        var parts = new List<string> { token, timestamp, nonce, encrypt };
        parts.Sort(StringComparer.Ordinal);
        return Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(string.Join(string.Empty, parts))));
    }

    public static string Encrypt(string encodingAesKey, string message, string receiveId = "")
    {
        var key = Convert.FromBase64String(encodingAesKey + "=");
        var msg = Encoding.UTF8.GetBytes(message);
        using var plain = new MemoryStream();
        plain.Write(RandomNumberGenerator.GetBytes(16));
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, msg.Length);
        plain.Write(length);
        plain.Write(msg);
        plain.Write(Encoding.UTF8.GetBytes(receiveId));
        return Convert.ToBase64String(AesEncrypt(key, plain.ToArray()));
    }

    public static (string Message, string ReceiveId) Decrypt(string encodingAesKey, string encrypt)
    {
        var key = Convert.FromBase64String(encodingAesKey + "=");
        var plain = AesDecrypt(key, Convert.FromBase64String(encrypt));
        var length = BinaryPrimitives.ReadInt32BigEndian(plain.AsSpan(16));
        return (Encoding.UTF8.GetString(plain, 20, length), Encoding.UTF8.GetString(plain, 20 + length, plain.Length - 20 - length));
    }

    /// <summary>What WeCom's media host serves: AES-256-CBC, IV = key[0..16], PKCS#7 padded to 32-byte blocks.</summary>
    public static byte[] EncryptMedia(byte[] plain, string aesKeyBase64) => AesEncrypt(Convert.FromBase64String(aesKeyBase64), plain);

    public static string NewMediaKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private static byte[] AesEncrypt(byte[] key, byte[] plain)
    {
        var pad = 32 - (plain.Length % 32);
        var padded = plain.Concat(Enumerable.Repeat((byte)pad, pad)).ToArray();
        using var aes = Aes.Create();
        aes.Key = key;
        aes.IV = key[..16];
        aes.Mode = CipherMode.CBC;
        aes.Padding = PaddingMode.None;
        using var encryptor = aes.CreateEncryptor();
        return encryptor.TransformFinalBlock(padded, 0, padded.Length);
    }

    private static byte[] AesDecrypt(byte[] key, byte[] cipher)
    {
        using var aes = Aes.Create();
        aes.Key = key;
        aes.IV = key[..16];
        aes.Mode = CipherMode.CBC;
        aes.Padding = PaddingMode.None;
        using var decryptor = aes.CreateDecryptor();
        var plain = decryptor.TransformFinalBlock(cipher, 0, cipher.Length);
        return plain[..^plain[^1]];
    }
}
