namespace RawRelay.Bench;

/// <summary>
/// The header line a <c>rawrelay.v1</c> client reads before each payload (SPEC, Nothing lost between pages):
/// <c>&lt;stream&gt; &lt;epoch&gt;:&lt;offset&gt;</c> and a LF; and the notice <c>!reset &lt;stream&gt;
/// &lt;position&gt;</c>, which has none. Parses the first bytes of a message; pure, thread-safe.
/// </summary>
internal readonly ref struct V1HeaderLine
{
    public const int MaxEpochLength = 32;
    private const int MaxOffsetDigits = 19;

    private V1HeaderLine(ReadOnlySpan<byte> stream, ReadOnlySpan<byte> epoch, long offset, ReadOnlySpan<byte> payload)
    {
        Stream = stream;
        Epoch = epoch;
        Offset = offset;
        Payload = payload;
    }

    public ReadOnlySpan<byte> Stream { get; }

    public ReadOnlySpan<byte> Epoch { get; }

    public long Offset { get; }

    /// <summary>What follows the LF (as much of the payload as the prefix holds).</summary>
    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>Whether the message is the notice <c>!reset ...</c> instead of a message with a header.</summary>
    public static bool IsReset(ReadOnlySpan<byte> message) => message.StartsWith("!reset "u8);

    /// <summary>
    /// Reads the header line at the start of <paramref name="message"/>: a stream name without spaces, one
    /// space, an epoch of 1-32 letters and digits, a colon, 1-19 digits, a LF. False when it is not one.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> message, out V1HeaderLine header)
    {
        header = default;
        int space = message.IndexOfAny((byte)' ', (byte)'\n');
        if (space < 1 || message[space] != (byte)' ')
            return false;
        ReadOnlySpan<byte> rest = message[(space + 1)..];
        int colon = rest.IndexOf((byte)':');
        if (colon is < 1 or > MaxEpochLength || !IsLettersAndDigits(rest[..colon]))
            return false;
        ReadOnlySpan<byte> digits = rest[(colon + 1)..];
        int end = digits.IndexOf((byte)'\n');
        if (end is < 1 or > MaxOffsetDigits)
            return false;
        long offset = 0;
        foreach (byte digit in digits[..end])
        {
            if (digit is < (byte)'0' or > (byte)'9')
                return false;
            offset = offset * 10 + (digit - '0');
        }

        header = new V1HeaderLine(message[..space], rest[..colon], offset, digits[(end + 1)..]);
        return true;
    }

    private static bool IsLettersAndDigits(ReadOnlySpan<byte> text)
    {
        foreach (byte c in text)
        {
            if (c is not ((>= (byte)'0' and <= (byte)'9') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z')))
                return false;
        }

        return true;
    }
}
