namespace Plugboard.Plugins.WeComBot.Crypto;

/// <summary>The error codes of WeCom's sample crypto library (ierror.py), which its docs and tools report.</summary>
internal enum WeComCryptoError
{
    /// <summary>The signature does not match.</summary>
    ValidateSignature = -40001,

    /// <summary>The JSON could not be parsed.</summary>
    ParseJson = -40002,

    /// <summary>The signature could not be computed.</summary>
    ComputeSignature = -40003,

    /// <summary>The EncodingAESKey is not a 32-byte key.</summary>
    IllegalAesKey = -40004,

    /// <summary>The ReceiveId (corp id) does not match.</summary>
    ValidateCorpId = -40005,

    /// <summary>Encryption failed.</summary>
    EncryptAes = -40006,

    /// <summary>Decryption failed.</summary>
    DecryptAes = -40007,

    /// <summary>The decrypted buffer is malformed.</summary>
    IllegalBuffer = -40008,

    /// <summary>Base64 encoding failed.</summary>
    EncodeBase64 = -40009,

    /// <summary>Base64 decoding failed.</summary>
    DecodeBase64 = -40010,

    /// <summary>The reply JSON could not be generated.</summary>
    GenerateReturnJson = -40011,
}

/// <summary>A WeCom crypto failure with the sample library's error code.</summary>
internal sealed class WeComCryptoException : Exception
{
    /// <summary>Creates the exception.</summary>
    public WeComCryptoException(WeComCryptoError error, string message)
        : base($"{message} (WeCom crypto error {(int)error} {error})")
    {
        Error = error;
    }

    /// <summary>The error code.</summary>
    public WeComCryptoError Error { get; }
}
