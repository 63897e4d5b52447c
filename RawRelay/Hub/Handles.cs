using System.Globalization;

namespace RawRelay.Hub;

/// <summary>
/// Connection handles (SPEC): 1 to 64 characters of <c>A-Z a-z 0-9 - .</c>, unique in the relay's life and
/// across relays: a prefix drawn at start, a dot, and the connection's sequence number in base 36. A handle
/// is written out when asked, so a connection keeps none. Thread-safe (static).
/// </summary>
internal static class Handles
{
    private static readonly string Prefix = RandomWords.Alphanumeric(8);

    /// <summary>This relay's prefix: in a cluster, DISCONNECT finds the relay of a handle by it.</summary>
    public static string RelayPrefix => Prefix;

    public static string Format(long sequence) => Prefix + "." + ToBase36(sequence);

    /// <summary>The sequence number of one of this relay's handles; false for any other string.</summary>
    public static bool TryParse(ReadOnlySpan<char> handle, out long sequence)
    {
        sequence = 0;
        if (handle.Length <= Prefix.Length + 1 || !handle.StartsWith(Prefix) || handle[Prefix.Length] != '.')
            return false;
        foreach (char c in handle[(Prefix.Length + 1)..])
        {
            int digit = c is >= '0' and <= '9' ? c - '0' : c is >= 'a' and <= 'z' ? c - 'a' + 10 : -1;
            if (digit < 0 || sequence > (long.MaxValue - digit) / 36)
                return false;
            sequence = sequence * 36 + digit;
        }

        return true;
    }

    /// <summary>Whether a word may be a handle: 1 to 64 characters of <c>A-Z a-z 0-9 - .</c>.</summary>
    public static bool IsValid(ReadOnlySpan<byte> handle)
    {
        if (handle.Length is < 1 or > 64)
            return false;
        foreach (byte b in handle)
        {
            if (!char.IsAsciiLetterOrDigit((char)b) && b is not (byte)'-' and not (byte)'.')
                return false;
        }

        return true;
    }

    private static string ToBase36(long value)
    {
        Span<char> digits = stackalloc char[13];
        int at = digits.Length;
        do
        {
            int digit = (int)(value % 36);
            digits[--at] = (char)(digit < 10 ? '0' + digit : 'a' + digit - 10);
            value /= 36;
        }
        while (value > 0);
        return new string(digits[at..]);
    }

    internal static string PrefixForTests => Prefix;
}
