using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Plugboard.Plugins.WeComBot.Crypto;
using Plugboard.Plugins.WeComBot.Tests.Infrastructure;
using Plugboard.Plugins.WeComBot.Tests.Simulator;

namespace Plugboard.Plugins.WeComBot.Tests;

/// <summary>
/// The adapter's crypto against WeCom's own: the @wecom/crypto npm package (callback encrypt/decrypt/signature) and
/// @wecom/aibot-node-sdk's decryptFile (media), in both directions; plus the reference vector of the protocol notes.
/// </summary>
public sealed class CryptoInteropTests
{
    private const string Key = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
    private const string Token = "QDG6eK";
    private const string VectorMessage = """{"msgid":"CAIQz7/MjQYYACD/////Bw==","aibotid":"AIBOTID","chattype":"single","from":{"userid":"zhangsan"},"msgtype":"text","text":{"content":"hello"}}""";
    private const string VectorEncrypt = "sKqRbbiSUnDhFHOvPjtUMSqQ40o8FGkNkeM4bDM2C2/NFG4m0oh+Vs16B9/e/cjbduGPWyDw7MGBGop4ERB/KZV0jYs6nuZDhcixkYud79uYO3EQj+8PItVeTr8m/qbZinnVeMuMkkVWeYkr459Q5q5j3e5iqJD0KrUOt3lYj8HD+u5P+IfQgISdzKUjUmc3tt8kPNOFhENduBcRSrnBLEn9HVKn6/ho3Mh7SnO+EC7In+wVFe3cHJnIsLRl6l7w";

    /// <summary>Messages around the 32-byte padding boundaries, empty, non-ASCII and large.</summary>
    private static readonly string[] Messages =
    [
        string.Empty, "a", new string('x', 11), new string('x', 12), new string('x', 13), new string('y', 44), new string('y', 45),
        """{"msgtype":"text","text":{"content":"你好，世界 👋"}}""", new string('中', 3000), VectorMessage,
    ];

    [Fact]
    public void Encrypt_ReferenceVector_MatchesProtocolNotes()
    {
        var crypto = new WeComMessageCrypto(Token, Key);

        var encrypt = crypto.Encrypt(VectorMessage, "0123456789abcdef"u8);

        Assert.Equal(VectorEncrypt, encrypt);
        Assert.Equal("31dd6bea04e12c8dd97f0b797a44a4c1ce50533d", crypto.Signature("1409659813", "1372623149", encrypt));
        Assert.Equal(VectorMessage, crypto.VerifyAndDecrypt("31dd6bea04e12c8dd97f0b797a44a4c1ce50533d", "1409659813", "1372623149", encrypt));
    }

    [Fact]
    public async Task Encrypt_SameRandomAsWeComCrypto_ProducesIdenticalCiphertextAndSignature()
    {
        var crypto = new WeComMessageCrypto(Token, Key);
        var random = RandomNumberGenerator.GetBytes(16);
        var operations = new JsonArray();
        foreach (var message in Messages)
        {
            operations.Add(new JsonObject { ["op"] = "encrypt", ["key"] = Key, ["message"] = message, ["id"] = string.Empty, ["random"] = Convert.ToBase64String(random) });
            operations.Add(new JsonObject { ["op"] = "signature", ["token"] = Token, ["timestamp"] = "1712000000", ["nonce"] = "nonce-" + message.Length, ["encrypt"] = crypto.Encrypt(message, random) });
        }

        var results = await NodeReference.CryptoAsync(operations);

        for (var i = 0; i < Messages.Length; i++)
        {
            var ours = crypto.Encrypt(Messages[i], random);
            Assert.Equal(results[2 * i]!["encrypt"]!.GetValue<string>(), ours);
            Assert.Equal(results[(2 * i) + 1]!["signature"]!.GetValue<string>(), crypto.Signature("1712000000", "nonce-" + Messages[i].Length, ours));
        }
    }

    [Fact]
    public async Task Decrypt_CiphertextFromWeComCrypto_RecoversEveryMessage()
    {
        var operations = new JsonArray([.. Messages.Select(m => (JsonNode)new JsonObject { ["op"] = "encrypt", ["key"] = Key, ["message"] = m, ["id"] = string.Empty })]);

        var results = await NodeReference.CryptoAsync(operations);

        var crypto = new WeComMessageCrypto(Token, Key);
        for (var i = 0; i < Messages.Length; i++)
        {
            Assert.Equal(Messages[i], crypto.Decrypt(results[i]!["encrypt"]!.GetValue<string>()));
        }
    }

    [Fact]
    public async Task Encrypt_DecryptedByWeComCrypto_RecoversMessageAndEmptyReceiveId()
    {
        var crypto = new WeComMessageCrypto(Token, Key);
        var operations = new JsonArray([.. Messages.Select(m => (JsonNode)new JsonObject { ["op"] = "decrypt", ["key"] = Key, ["encrypt"] = crypto.Encrypt(m) })]);

        var results = await NodeReference.CryptoAsync(operations);

        for (var i = 0; i < Messages.Length; i++)
        {
            Assert.Equal(Messages[i], results[i]!["message"]!.GetValue<string>());
            Assert.Equal(string.Empty, results[i]!["id"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task DecryptMedia_BothDirectionsWithWeComSdk_RoundTrip()
    {
        var sizes = new[] { 1, 31, 32, 33, 1000, 70_000 };
        var items = sizes.Select(size => (Plain: RandomNumberGenerator.GetBytes(size), AesKey: SimCrypto.NewMediaKey())).ToList();
        var operations = new JsonArray();
        foreach (var (plain, aesKey) in items)
        {
            // WeCom's side encrypts (as its media host does); the adapter decrypts.
            operations.Add(new JsonObject { ["op"] = "encryptFile", ["data"] = Convert.ToBase64String(plain), ["aeskey"] = aesKey });
            // The simulator's media (what the adapter is tested against) decrypts with the official SDK's decryptFile.
            operations.Add(new JsonObject { ["op"] = "decryptFile", ["data"] = Convert.ToBase64String(SimCrypto.EncryptMedia(plain, aesKey)), ["aeskey"] = aesKey });
        }

        var results = await NodeReference.CryptoAsync(operations);

        for (var i = 0; i < items.Count; i++)
        {
            var (plain, aesKey) = items[i];
            var fromWeCom = Convert.FromBase64String(results[2 * i]!["data"]!.GetValue<string>());
            Assert.Equal(plain, WeComAes.DecryptMedia(fromWeCom, aesKey.TrimEnd('=')));
            Assert.Equal(plain, Convert.FromBase64String(results[(2 * i) + 1]!["data"]!.GetValue<string>()));
        }
    }

    [Fact]
    public void VerifyAndDecrypt_WrongSignature_FailsWithValidateSignature()
    {
        var crypto = new WeComMessageCrypto(Token, Key);
        var encrypt = crypto.Encrypt("{}");

        var error = Assert.Throws<WeComCryptoException>(() => crypto.VerifyAndDecrypt(SimCrypto.Signature("other-token", "1", "2", encrypt), "1", "2", encrypt));

        Assert.Equal(WeComCryptoError.ValidateSignature, error.Error);
        Assert.Contains("-40001", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decrypt_WrongKeyOrTamperedOrForeignReceiveId_FailsWithTheSampleLibraryCodes()
    {
        var crypto = new WeComMessageCrypto(Token, Key);
        var other = new WeComMessageCrypto(Token, "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG");

        Assert.Equal(WeComCryptoError.IllegalAesKey, Assert.Throws<WeComCryptoException>(() => new WeComMessageCrypto(Token, "too-short")).Error);
        Assert.Equal(WeComCryptoError.DecodeBase64, Assert.Throws<WeComCryptoException>(() => crypto.Decrypt("not base64!")).Error);
        Assert.Contains(Assert.Throws<WeComCryptoException>(() => crypto.Decrypt(other.Encrypt("{}"))).Error, new[] { WeComCryptoError.DecryptAes, WeComCryptoError.IllegalBuffer });
        Assert.Equal(WeComCryptoError.ValidateCorpId, Assert.Throws<WeComCryptoException>(() => crypto.Decrypt(SimCrypto.Encrypt(Key, "{}", "wwSOMEOTHERCORP"))).Error);
        Assert.Equal("{}", new WeComMessageCrypto(Token, Key, string.Empty, "wwCORP").Decrypt(SimCrypto.Encrypt(Key, "{}", "wwCORP")));
    }

    [Fact]
    public void DecryptMedia_BadPadding_FailsWithDecryptAes()
    {
        var aesKey = SimCrypto.NewMediaKey();
        var encrypted = SimCrypto.EncryptMedia(Encoding.UTF8.GetBytes("hello"), aesKey);

        var error = Assert.Throws<WeComCryptoException>(() => WeComAes.DecryptMedia(encrypted, SimCrypto.NewMediaKey()));

        Assert.Equal(WeComCryptoError.DecryptAes, error.Error);
    }
}
