using System.Text;

namespace RawRelay.Http;

/// <summary>Looks up parameters of a URL query string (RFC 3986 §3.4). Pure; thread-safe (static).</summary>
internal static class QueryString
{
    /// <summary>
    /// Finds the first parameter named <paramref name="name"/> and percent-decodes its value (as UTF-8;
    /// '+' stays '+'). False when absent; <paramref name="malformed"/> when the encoding is broken.
    /// </summary>
    public static bool TryGet(string query, string name, out string value, out bool malformed)
    {
        value = "";
        malformed = false;
        foreach (Range part in query.AsSpan().Split('&'))
        {
            ReadOnlySpan<char> pair = query.AsSpan()[part];
            int equals = pair.IndexOf('=');
            ReadOnlySpan<char> key = equals < 0 ? pair : pair[..equals];
            if (!key.SequenceEqual(name))
                continue;
            string? decoded = PercentDecode(equals < 0 ? [] : pair[(equals + 1)..]);
            if (decoded is null)
            {
                malformed = true;
                return false;
            }

            value = decoded;
            return true;
        }

        return false;
    }

    /// <summary>
    /// Every value of the parameters named <paramref name="name"/>, in order, percent-decoded (an empty list
    /// when there is none); null when one is badly encoded.
    /// </summary>
    public static List<string>? GetAll(string query, string name, bool plusIsSpace = false)
    {
        if (!query.Contains(name, StringComparison.Ordinal))
            return None;                        // the common case: no such parameter, nothing allocated
        var values = new List<string>();
        foreach (Range part in query.AsSpan().Split('&'))
        {
            ReadOnlySpan<char> pair = query.AsSpan()[part];
            int equals = pair.IndexOf('=');
            if (!(equals < 0 ? pair : pair[..equals]).SequenceEqual(name))
                continue;
            ReadOnlySpan<char> raw = equals < 0 ? [] : pair[(equals + 1)..];
            if (PercentDecode(plusIsSpace ? raw.ToString().Replace('+', ' ') : raw) is not { } decoded)
                return null;
            values.Add(decoded);
        }

        return values;
    }

    /// <summary>An empty list, shared: never added to.</summary>
    private static readonly List<string> None = [];

    /// <summary>Decodes %XX escapes; null for a bad escape or bytes that are not UTF-8.</summary>
    public static string? PercentDecode(ReadOnlySpan<char> encoded)
    {
        if (!encoded.Contains('%'))
            return encoded.ToString();
        var bytes = new byte[encoded.Length];
        int length = 0;
        for (int i = 0; i < encoded.Length; i++)
        {
            char c = encoded[i];
            if (c == '%')
            {
                if (i + 2 >= encoded.Length || !char.IsAsciiHexDigit(encoded[i + 1]) || !char.IsAsciiHexDigit(encoded[i + 2]))
                    return null;
                bytes[length++] = (byte)Convert.ToInt32(encoded.Slice(i + 1, 2).ToString(), 16);
                i += 2;
            }
            else
            {
                if (c > 0x7F)
                    return null;
                bytes[length++] = (byte)c;
            }
        }

        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, 0, length);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}
