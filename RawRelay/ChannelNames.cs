namespace RawRelay;

/// <summary>The rule for channel names (SPEC, Streams and channels): the Pusher alphabet. Thread-safe (static).</summary>
internal static class ChannelNames
{
    public const int MaxLength = 200;

    /// <summary>1 to 200 characters of <c>A-Z a-z 0-9 _ - = @ , . ;</c>, case-sensitive.</summary>
    public static bool IsValid(ReadOnlySpan<char> name)
    {
        if (name.Length is < 1 or > MaxLength)
            return false;
        foreach (char c in name)
        {
            if (!IsAllowed(c))
                return false;
        }

        return true;
    }

    /// <summary>The same rule over the bytes of a control line.</summary>
    public static bool IsValid(ReadOnlySpan<byte> name)
    {
        if (name.Length is < 1 or > MaxLength)
            return false;
        foreach (byte b in name)
        {
            if (!IsAllowed((char)b))
                return false;
        }

        return true;
    }

    private static bool IsAllowed(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '=' or '@' or ',' or '.' or ';';
}
