using System.Text;

namespace RawRelay.Http;

/// <summary>The Sec-WebSocket-Key check and Sec-WebSocket-Accept value of RFC 6455 §4.2. Thread-safe (static).</summary>
internal static class AcceptKey
{
    private const string Guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>A key is the base64 encoding of 16 bytes (§4.2.1 item 5).</summary>
    public static bool IsValidKey(string? key)
    {
        if (key is null || key.Length != 24)
            return false;
        Span<byte> decoded = stackalloc byte[18];
        return Convert.TryFromBase64String(key, decoded, out int written) && written == 16;
    }

    /// <summary>base64(SHA-1(key + GUID)).</summary>
    public static string Compute(string key)
    {
        Span<byte> input = stackalloc byte[key.Length + Guid.Length];
        int length = Encoding.ASCII.GetBytes(key, input);
        length += Encoding.ASCII.GetBytes(Guid, input[length..]);
        Span<byte> hash = stackalloc byte[Sha1.HashSize];
        Sha1.HashData(input[..length], hash);
        return Convert.ToBase64String(hash);
    }
}
