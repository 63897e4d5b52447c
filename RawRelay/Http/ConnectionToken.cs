using System.Security.Cryptography;
using System.Text;

namespace RawRelay.Http;

/// <summary>
/// Tokens that tie a connection to an id until a time: lowercase hex HMAC-SHA256 of "id:exp" keyed with
/// the secret, as PHP's hash_hmac('sha256', "$id:$exp", $secret) makes them. Thread-safe (static).
/// </summary>
internal static class ConnectionToken
{
    public static string Mint(string secret, string id, long exp) =>
        Convert.ToHexStringLower(Hash(secret, id, exp));

    /// <summary>True when <paramref name="token"/> is the token of id and exp; compared in constant time.</summary>
    public static bool Verify(string secret, string id, long exp, string token)
    {
        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes];
        if (token.Length != given.Length * 2 || token.AsSpan().ContainsAnyExcept("0123456789abcdef"))
            return false;
        Convert.FromHexString(token, given, out _, out _);
        return CryptographicOperations.FixedTimeEquals(given, Hash(secret, id, exp));
    }

    private static byte[] Hash(string secret, string id, long exp) =>
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{id}:{exp}"));
}
