using System.Globalization;

namespace RawRelay.Cluster;

/// <summary>
/// Where the cluster's Redis is: <c>redis://[:password@]host:port[/db]</c> (<c>--redis</c>). Parsing is pure
/// and total: a string either gives an address or says what is wrong with it. Immutable.
/// </summary>
internal sealed record RedisAddress(string Host, int Port, string? Password, int Database)
{
    public const int DefaultPort = 6379;

    /// <summary>Parses <c>redis://[:password@]host[:port][/db]</c>; host may be an IPv6 literal in brackets; password percent-decoded.</summary>
    public static bool TryParse(string text, out RedisAddress? address, out string error)
    {
        address = null;
        error = "";
        const string scheme = "redis://";
        if (!text.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            return Fail("must start with redis://", out error);
        string rest = text[scheme.Length..];
        string? password = null;
        int at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            string user = rest[..at];
            rest = rest[(at + 1)..];
            int colon = user.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
                return Fail("the password comes after a colon: redis://:password@host:port", out error);
            if (colon > 0)
                return Fail("user names are not supported (redis://:password@host:port)", out error);
            try
            {
                password = Uri.UnescapeDataString(user[(colon + 1)..]);
            }
            catch (UriFormatException)
            {
                return Fail("the password is not percent-encoded correctly", out error);
            }
        }

        int database = 0;
        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            string db = rest[(slash + 1)..];
            rest = rest[..slash];
            if (db.Length > 0 && (!int.TryParse(db, NumberStyles.None, CultureInfo.InvariantCulture, out database) || database > 15))
                return Fail($"'{db}' is not a database number (0-15)", out error);
        }

        if (rest.Contains('?', StringComparison.Ordinal))
            return Fail("query parameters are not supported", out error);
        string host;
        string? portText = null;
        if (rest.StartsWith('['))
        {
            int close = rest.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
                return Fail("an IPv6 address ends with ]", out error);
            host = rest[1..close];
            string after = rest[(close + 1)..];
            if (after.Length > 0)
            {
                if (after[0] != ':')
                    return Fail("a port comes after a colon", out error);
                portText = after[1..];
            }
        }
        else
        {
            int colon = rest.LastIndexOf(':');
            host = colon < 0 ? rest : rest[..colon];
            portText = colon < 0 ? null : rest[(colon + 1)..];
        }

        if (host.Length == 0 || host.Any(c => c is ' ' or '/' or '@' or ':' && !rest.StartsWith('[')))
            return Fail("no host", out error);
        int port = DefaultPort;
        if (portText is not null && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
            return Fail($"'{portText}' is not a port (1-65535)", out error);
        address = new RedisAddress(host, port, password, database);
        return true;
    }

    /// <summary>host:port as StackExchange.Redis takes it (IPv6 in brackets).</summary>
    public string EndPoint => (Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host) + ":" + Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The address without its password, for the log.</summary>
    public override string ToString() => $"redis://{(Password is null ? "" : ":***@")}{EndPoint}/{Database}";

    private static bool Fail(string message, out string error)
    {
        error = message;
        return false;
    }
}
