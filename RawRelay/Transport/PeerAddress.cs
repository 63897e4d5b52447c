using System.Net;
using System.Net.Sockets;

namespace RawRelay.Transport;

/// <summary>Formats a peer's address as LIST and the log show it. Pure; thread-safe (static).</summary>
internal static class PeerAddress
{
    /// <summary><c>1.2.3.4:port</c> for IPv4 (also IPv4-mapped IPv6), <c>[::1]:port</c> for IPv6.</summary>
    public static string Format(IPAddress address, int port)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        return address.AddressFamily == AddressFamily.InterNetworkV6
            ? $"[{address}]:{port}"
            : $"{address}:{port}";
    }
}
