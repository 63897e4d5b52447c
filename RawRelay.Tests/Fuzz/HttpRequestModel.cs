using System.Text;

namespace RawRelay.Tests.Fuzz;

/// <summary>
/// An independent reference of the status the relay answers a request head with (no static folder, no
/// --secret or --allowed-origin, below --max-connections), written from SPEC.md ("The WebSocket endpoint"),
/// the README's table of refusals, RFC 9112 (message syntax), RFC 9110 (fields) and RFC 6455 §4.2.1, and
/// sharing no code with RawRelay.Http: the oracle of the request-head fuzzers. Deliberately simple: the
/// whole input at once, lines split on LF, strings. Where the SPEC leaves a detail open it says so here:
/// <list type="bullet">
/// <item>a line ends in LF, a CR before it is dropped (RFC 9112 §2.2 lets a server take a bare LF);</item>
/// <item>the head's size counts each line with its CRLF, the empty lines before the request line and the
/// blank line that ends the head included; more than 8192 bytes, or more than 100 field lines, is 431,
/// as soon as the bytes so far say so (also for a head that never ends);</item>
/// <item>a request line that is not <c>token SP /visible-ASCII SP HTTP/d.d</c> is 400 at once (README),
/// nothing after it is looked at;</item>
/// <item>after that the SPEC's order holds: 431, 404 (the path, before any '?', is not /websocket),
/// 405 (the method is not GET), 400 (a malformed field line, a version other than HTTP/1.1, not exactly
/// one Host, no Upgrade token websocket, no Connection token Upgrade, not exactly one
/// Sec-WebSocket-Key of 16 bytes in base64, no valid id), 426 (the first Sec-WebSocket-Version is not
/// 13), then 101;</item>
/// <item>a head that the end of the stream cuts short is 400 (incomplete), unless 431 applies.</item>
/// </list>
/// Thread-safe (static, pure).
/// </summary>
internal static class HttpRequestModel
{
    public const int MaxHeadBytes = 8192;
    public const int MaxFields = 100;
    public const string WebSocketPath = "/websocket";

    /// <summary>The status for <paramref name="input"/>, the client's bytes up to the end of its stream.</summary>
    public static int Status(byte[] input) => Judge(input).Status;

    /// <summary>
    /// The status, and whether the head has a malformed field line while the SPEC's order gives 404 or 405:
    /// the relay answers those 400 today (see HandshakeConformanceTests.A_malformed_field_does_not_hide_404_or_405).
    /// </summary>
    public static (int Status, bool MalformedFieldUnder404Or405) Judge(byte[] input)
    {
        int status = Decide(input, out bool malformedField);
        return (status, malformedField && status is 404 or 405);
    }

    private static int Decide(byte[] input, out bool malformedField)
    {
        malformedField = false;
        List<string> lines = Lines(input);
        long size = 0;
        int fields = 0;
        string? requestLine = null;
        var fieldLines = new List<string>();
        bool ended = false;
        for (int i = 0; i < lines.Count && !ended; i++)
        {
            string line = lines[i];
            size += line.Length + 2;
            if (size > MaxHeadBytes)
                return 431;
            if (requestLine is null)
            {
                if (line.Length == 0)
                    continue;                   // RFC 9112 §2.2: empty lines before the request line are ignored
                if (!IsRequestLine(line))
                    return 400;                 // README: a malformed request line gets 400 at once
                requestLine = line;
                continue;
            }

            if (line.Length == 0)
            {
                ended = true;                   // the blank line ends the head; what follows is not the head's
                continue;
            }

            if (++fields > MaxFields)
                return 431;
            fieldLines.Add(line);
        }

        if (requestLine is null || !ended)
            return 400;                         // cut short by the end of the stream

        string[] parts = requestLine.Split(' ');
        string method = parts[0], target = parts[1], version = parts[2];
        int question = target.IndexOf('?');
        string path = question < 0 ? target : target[..question];
        string query = question < 0 ? "" : target[(question + 1)..];
        var headers = new List<(string Name, string Value)>();
        foreach (string line in fieldLines)
        {
            if (ParseField(line) is { } field)
                headers.Add(field);
            else
                malformedField = true;
        }

        if (path != WebSocketPath)
            return 404;
        if (method != "GET")
            return 405;
        if (malformedField)
            return 400;

        if (version != "HTTP/1.1")
            return 400;                         // RFC 6455 §4.1: HTTP/1.1 or higher; 1.0 is refused (SPEC)
        if (Values(headers, "Host").Count != 1)
            return 400;                         // RFC 9112 §3.2
        if (!HasToken(headers, "Upgrade", "websocket") || !HasToken(headers, "Connection", "Upgrade"))
            return 400;
        List<string> keys = Values(headers, "Sec-WebSocket-Key");
        if (keys.Count != 1 || !IsKey(keys[0]))
            return 400;
        if (Id(query) is not { } id || !ControlProtocolModel.IsId(id))
            return 400;
        List<string> versions = Values(headers, "Sec-WebSocket-Version");
        if (versions.Count == 0 || versions[0] != "13")
            return 426;
        return 101;
    }

    /// <summary>The lines (LF-terminated, a CR before the LF dropped), the unterminated rest as a last line, in Latin-1.</summary>
    private static List<string> Lines(byte[] input)
    {
        var lines = new List<string>();
        int start = 0;
        for (int i = 0; i < input.Length; i++)
        {
            if (input[i] != '\n')
                continue;
            int end = i > start && input[i - 1] == '\r' ? i - 1 : i;
            lines.Add(Encoding.Latin1.GetString(input, start, end - start));
            start = i + 1;
        }

        if (start < input.Length)
            lines.Add(Encoding.Latin1.GetString(input, start, input.Length - start));
        return lines;
    }

    /// <summary>RFC 9112 §3: method SP request-target SP HTTP-version, the target in origin form.</summary>
    private static bool IsRequestLine(string line)
    {
        string[] parts = line.Split(' ');
        return parts.Length == 3 && IsToken(parts[0]) && parts[1].StartsWith('/') && parts[1].All(c => c is >= '!' and <= '~')
            && parts[2].Length == 8 && parts[2].StartsWith("HTTP/", StringComparison.Ordinal) && char.IsAsciiDigit(parts[2][5])
            && parts[2][6] == '.' && char.IsAsciiDigit(parts[2][7]);
    }

    /// <summary>RFC 9110 §5: token ":" OWS value OWS; the value without control characters but HTAB. Null when malformed.</summary>
    private static (string Name, string Value)? ParseField(string line)
    {
        int colon = line.IndexOf(':');
        if (colon < 0 || !IsToken(line[..colon]))
            return null;                        // also a space before the colon, and obs-fold (RFC 9112 §5.1, §5.2)
        string value = line[(colon + 1)..].Trim(' ', '\t');
        if (value.Any(c => c is (< ' ' and not '\t') or '\x7F'))
            return null;
        return (line[..colon], value);
    }

    private static List<string> Values(List<(string Name, string Value)> headers, string name) =>
        headers.Where(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).ToList();

    /// <summary>A comma-separated field of that name, in any of its lines, lists the token (case-insensitive).</summary>
    private static bool HasToken(List<(string Name, string Value)> headers, string name, string token) =>
        Values(headers, name).Any(value => value.Split(',').Any(t => string.Equals(t.Trim(' ', '\t'), token, StringComparison.OrdinalIgnoreCase)));

    /// <summary>RFC 6455 §4.2.1: base64 of 16 bytes, which is 22 characters of the alphabet and "==".</summary>
    private static bool IsKey(string key) =>
        key.Length == 24 && key.EndsWith("==", StringComparison.Ordinal)
        && key[..22].All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '/');

    /// <summary>The first id parameter of the query, percent-decoded as UTF-8 ('+' stays '+'); null when absent or badly encoded.</summary>
    private static string? Id(string query)
    {
        foreach (string pair in query.Split('&'))
        {
            int equals = pair.IndexOf('=');
            if ((equals < 0 ? pair : pair[..equals]) != "id")
                continue;
            string encoded = equals < 0 ? "" : pair[(equals + 1)..];
            var bytes = new List<byte>();
            for (int i = 0; i < encoded.Length; i++)
            {
                if (encoded[i] != '%')
                {
                    bytes.Add((byte)encoded[i]);       // the target is visible ASCII
                    continue;
                }

                if (i + 2 >= encoded.Length || !Uri.IsHexDigit(encoded[i + 1]) || !Uri.IsHexDigit(encoded[i + 2]))
                    return null;
                bytes.Add(Convert.ToByte(encoded.Substring(i + 1, 2), 16));
                i += 2;
            }

            return System.Text.Unicode.Utf8.IsValid([.. bytes]) ? Encoding.UTF8.GetString([.. bytes]) : null;
        }

        return null;
    }

    /// <summary>RFC 9110 §5.6.2 tchar.</summary>
    private static bool IsToken(string word) => word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c));
}
