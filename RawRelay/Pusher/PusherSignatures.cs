using System.Security.Cryptography;
using System.Text;

namespace RawRelay.Pusher;

/// <summary>
/// The signatures of the Pusher protocol, keyed with the app's secret: a subscription's <c>auth</c>
/// (<c>&lt;key&gt;:&lt;hex HMAC-SHA256 of socket_id:channel[:channel_data]&gt;</c>), a sign-in's
/// (<c>socket_id::user::user_data</c>), an HTTP API request's and a webhook's. Comparisons take constant time.
/// Pure; thread-safe (static).
/// </summary>
internal static class PusherSignatures
{
    /// <summary>Lowercase hex HMAC-SHA256 of <paramref name="text"/> (UTF-8).</summary>
    public static string Sign(string secret, string text) => Sign(secret, Encoding.UTF8.GetBytes(text));

    public static string Sign(string secret, ReadOnlySpan<byte> data) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), data));

    /// <summary>Whether <paramref name="given"/> is the lowercase hex HMAC-SHA256 of <paramref name="text"/>; constant time.</summary>
    public static bool IsSignature(string secret, string text, string given) => IsSignature(secret, Encoding.UTF8.GetBytes(text), given);

    public static bool IsSignature(string secret, ReadOnlySpan<byte> data, string given)
    {
        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), data, expected);
        Span<byte> decoded = stackalloc byte[HMACSHA256.HashSizeInBytes];
        if (given.Length != decoded.Length * 2 || given.AsSpan().ContainsAnyExcept("0123456789abcdefABCDEF"))
            return false;
        Convert.FromHexString(given, decoded, out _, out _);
        return CryptographicOperations.FixedTimeEquals(expected, decoded);
    }

    /// <summary>What a channel subscription signs: <c>socket_id:channel</c>, then <c>:channel_data</c> for a presence channel.</summary>
    public static string ChannelSigned(string socketId, string channel, string? channelData) =>
        channelData is null ? $"{socketId}:{channel}" : $"{socketId}:{channel}:{channelData}";

    /// <summary>A subscription's <c>auth</c> field as the app's auth endpoint makes it.</summary>
    public static string ChannelAuth(PusherApp app, string socketId, string channel, string? channelData = null) =>
        app.Key + ":" + Sign(app.Secret, ChannelSigned(socketId, channel, channelData));

    /// <summary>Whether <paramref name="auth"/> is <c>&lt;key&gt;:&lt;signature&gt;</c> of the subscription.</summary>
    public static bool IsChannelAuth(PusherApp app, string auth, string socketId, string channel, string? channelData) =>
        IsKeyed(app, auth, ChannelSigned(socketId, channel, channelData));

    /// <summary>Whether <paramref name="auth"/> is <c>&lt;key&gt;:&lt;signature&gt;</c> of the sign-in (<c>socket_id::user::user_data</c>).</summary>
    public static bool IsUserAuth(PusherApp app, string auth, string socketId, string userData) =>
        IsKeyed(app, auth, $"{socketId}::user::{userData}");

    private static bool IsKeyed(PusherApp app, string auth, string signed)
    {
        int colon = auth.IndexOf(':');
        if (colon < 0)
            return false;
        bool keyMatches = CryptographicOperations.FixedTimeEquals(
            Encoding.UTF8.GetBytes(auth[..colon]), Encoding.UTF8.GetBytes(app.Key));
        return IsSignature(app.Secret, signed, auth[(colon + 1)..]) & keyMatches;
    }

    /// <summary>What an HTTP API request signs: <c>METHOD\nPATH\n</c> and its query's other parameters, keys lowercased and sorted, as <c>k=v&amp;...</c>.</summary>
    public static string RequestSigned(string method, string path, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var sorted = parameters
            .Where(p => p.Key != "auth_signature")
            .Select(p => new KeyValuePair<string, string>(p.Key.ToLowerInvariant(), p.Value))
            .OrderBy(p => p.Key, StringComparer.Ordinal);
        return method.ToUpperInvariant() + "\n" + path + "\n" + string.Join('&', sorted.Select(p => p.Key + "=" + p.Value));
    }

    /// <summary>Lowercase hex MD5 of a request body (<c>body_md5</c>).</summary>
    public static string BodyMd5(ReadOnlySpan<byte> body) => Convert.ToHexStringLower(MD5.HashData(body));
}
