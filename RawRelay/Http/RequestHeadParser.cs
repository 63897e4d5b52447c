using System.Text;

namespace RawRelay.Http;

/// <summary>
/// Parses the lines of an HTTP/1.x request head (RFC 9112 §3 and §5): the request line, then one header
/// field per line. Pure; thread-safe (static).
/// </summary>
internal static class RequestHeadParser
{
    /// <summary>Parses <c>METHOD SP target SP HTTP/x.y</c>; null when malformed.</summary>
    public static RequestHead? ParseRequestLine(ReadOnlySpan<byte> line)
    {
        int firstSpace = line.IndexOf((byte)' ');
        if (firstSpace <= 0)
            return null;
        ReadOnlySpan<byte> method = line[..firstSpace];
        ReadOnlySpan<byte> rest = line[(firstSpace + 1)..];
        int secondSpace = rest.IndexOf((byte)' ');
        if (secondSpace <= 0)
            return null;
        ReadOnlySpan<byte> target = rest[..secondSpace];
        ReadOnlySpan<byte> version = rest[(secondSpace + 1)..];

        if (!IsToken(method) || target[0] != (byte)'/' || !IsVisibleAscii(target))
            return null;
        if (version.Length != 8 || !version.StartsWith("HTTP/"u8) || !char.IsAsciiDigit((char)version[5])
            || version[6] != (byte)'.' || !char.IsAsciiDigit((char)version[7]))
            return null;

        return new RequestHead(Encoding.ASCII.GetString(method), Encoding.ASCII.GetString(target),
            Encoding.ASCII.GetString(version));
    }

    /// <summary>Parses <c>name: value</c> into <paramref name="head"/>; false when malformed.</summary>
    public static bool ParseHeaderLine(ReadOnlySpan<byte> line, RequestHead head)
    {
        int colon = line.IndexOf((byte)':');
        if (colon <= 0)
            return false;
        ReadOnlySpan<byte> name = line[..colon];
        if (!IsToken(name))
            return false;                                   // also refuses obs-fold and space before ':'
        ReadOnlySpan<byte> value = line[(colon + 1)..].Trim(" \t"u8);
        foreach (byte b in value)
        {
            if (b is < 0x20 and not (byte)'\t' or 0x7F)
                return false;
        }

        head.Add(Encoding.ASCII.GetString(name), Encoding.Latin1.GetString(value));
        return true;
    }

    /// <summary>RFC 9110 §5.6.2 token characters.</summary>
    private static bool IsToken(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
            return false;
        foreach (byte b in value)
        {
            bool ok = char.IsAsciiLetterOrDigit((char)b) || "!#$%&'*+-.^_`|~"u8.Contains(b);
            if (!ok)
                return false;
        }

        return true;
    }

    private static bool IsVisibleAscii(ReadOnlySpan<byte> value) =>
        value.IndexOfAnyExceptInRange((byte)0x21, (byte)0x7E) < 0;
}
