using System.Security.Cryptography;
using System.Text;

namespace RawRelay.Http;

/// <summary>
/// Tokens that tie a connection to an id and its connect-time channels until a time: lowercase hex
/// HMAC-SHA256 of "id:exp", followed by a space and the channel for each channel asked for, keyed with the
/// secret, as PHP's hash_hmac('sha256', "$id:$exp ch1 ch2", $secret) makes them (no id or channel holds a
/// space, so the string has one reading). Thread-safe (static).
/// </summary>
internal static class ConnectionToken
{
    public static string Mint(string secret, string id, long exp, IEnumerable<string>? channels = null) =>
        Convert.ToHexStringLower(Hash(secret, id, exp, channels ?? []));

    /// <summary>True when <paramref name="token"/> is the token of id, exp and channels; compared in constant time.</summary>
    public static bool Verify(string secret, string id, long exp, IEnumerable<string> channels, string token)
    {
        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes];
        if (token.Length != given.Length * 2 || token.AsSpan().ContainsAnyExcept("0123456789abcdef"))
            return false;
        Convert.FromHexString(token, given, out _, out _);
        return CryptographicOperations.FixedTimeEquals(given, Hash(secret, id, exp, channels));
    }

    /// <summary>What the token signs: <c>id:exp</c>, then " channel" for each channel.</summary>
    public static string Signed(string id, long exp, IEnumerable<string> channels)
    {
        var text = new StringBuilder().Append(id).Append(':').Append(exp);
        foreach (string channel in channels)
            text.Append(' ').Append(channel);
        return text.ToString();
    }

    private static byte[] Hash(string secret, string id, long exp, IEnumerable<string> channels) =>
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(Signed(id, exp, channels)));
}
