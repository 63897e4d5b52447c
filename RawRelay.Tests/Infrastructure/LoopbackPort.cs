using System.Net;
using System.Net.Sockets;

namespace RawRelay.Tests.Infrastructure;

/// <summary>Loopback TCP ports for servers the tests start as processes. Thread-safe (static).</summary>
internal static class LoopbackPort
{
    /// <summary>A port that was free a moment ago, for servers that cannot take port 0 (php -S, Apache's Listen).</summary>
    public static int Free()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    /// <summary>True when something accepts connections on 127.0.0.1:<paramref name="port"/>.</summary>
    public static async Task<bool> AcceptsAsync(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).WithTimeout();
            return true;
        }
        catch (SocketException)
        {
            return false;                           // not listening yet
        }
    }
}
