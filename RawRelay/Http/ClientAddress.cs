using System.Net;

namespace RawRelay.Http;

/// <summary>The browser's address behind a proxy, from X-Forwarded-For. Pure; thread-safe (static).</summary>
internal static class ClientAddress
{
    /// <summary>
    /// The last entry of X-Forwarded-For over all of its header lines, which the proxy that connected to us
    /// appended (entries before it are whatever the client claimed; RFC 9110 §5.3 makes several lines one
    /// comma-separated list). Null when absent or not an address.
    /// </summary>
    public static IPAddress? FromForwardedFor(RequestHead head)
    {
        string? last = null;
        foreach (KeyValuePair<string, string> header in head.Headers)
        {
            if (header.Key.Equals("X-Forwarded-For", StringComparison.OrdinalIgnoreCase) && !string.IsNullOrWhiteSpace(header.Value))
                last = header.Value;
        }

        if (last is null)
            return null;
        string entry = last[(last.LastIndexOf(',') + 1)..].Trim();
        return IPAddress.TryParse(entry, out IPAddress? address) ? address : null;
    }
}
