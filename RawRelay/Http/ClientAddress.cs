using System.Net;

namespace RawRelay.Hosting;

/// <summary>Formats client addresses as LIST shows them. Pure; thread-safe (static).</summary>
internal static class ClientAddress
{
    /// <summary><c>1.2.3.4:port</c> for IPv4 (also IPv4-mapped IPv6), <c>[::1]:port</c> for IPv6.</summary>
    public static string Format(IPAddress address, int port)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        return address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? $"[{address}]:{port}"
            : $"{address}:{port}";
    }

    /// <summary>
    /// The browser's address behind a proxy: the last entry of X-Forwarded-For, which the proxy that
    /// connected to us appended (entries before it are whatever the client claimed). Null when absent
    /// or not an address.
    /// </summary>
    public static IPAddress? FromForwardedFor(string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
            return null;
        string last = header[(header.LastIndexOf(',') + 1)..].Trim();
        return IPAddress.TryParse(last, out IPAddress? address) ? address : null;
    }
}
