namespace RawRelay;

/// <summary>The rule for connection ids shared by the handshake and the control protocol. Thread-safe (static).</summary>
internal static class ConnectionIds
{
    public const int MaxLength = 128;

    /// <summary>1 to 128 characters of printable ASCII without spaces (0x21-0x7E).</summary>
    public static bool IsValid(ReadOnlySpan<char> id) =>
        id.Length is >= 1 and <= MaxLength && id.IndexOfAnyExceptInRange('\x21', '\x7E') < 0;

    /// <summary>The same rule over the bytes of a control line.</summary>
    public static bool IsValid(ReadOnlySpan<byte> id) =>
        id.Length is >= 1 and <= MaxLength && id.IndexOfAnyExceptInRange((byte)0x21, (byte)0x7E) < 0;
}
