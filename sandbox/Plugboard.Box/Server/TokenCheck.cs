using System.Security.Cryptography;
using System.Text;

namespace Plugboard.Box.Server;

/// <summary>Constant-time token comparison (over SHA-256 digests, so lengths leak nothing either).</summary>
internal static class TokenCheck
{
    public static bool Matches(string? presented, string expected)
    {
        if (string.IsNullOrEmpty(presented))
        {
            return false;
        }

        var a = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        var b = SHA256.HashData(Encoding.UTF8.GetBytes(expected));
        return CryptographicOperations.FixedTimeEquals(a, b);
    }

    /// <summary>The token of an <c>Authorization: Bearer</c> header value, or null.</summary>
    public static string? FromAuthorizationHeader(string? header)
        => header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
}
