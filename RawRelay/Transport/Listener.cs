using System.Net;
using System.Net.Sockets;

namespace RawRelay.Transport;

/// <summary>
/// A listening socket on any <see cref="EndPoint"/> (TCP or UNIX) and its accept loop, which hands each
/// accepted socket to a handler without waiting for it. Thread-safe: the loop runs on one task.
/// </summary>
internal sealed class Listener : IDisposable
{
    private readonly Socket _socket;

    private Listener(Socket socket)
    {
        _socket = socket;
    }

    public EndPoint LocalEndPoint => _socket.LocalEndPoint!;

    /// <summary>
    /// Binds and listens. <paramref name="beforeListen"/> runs between bind and listen, when the address
    /// exists but nothing can connect yet (the control socket gets its file mode there).
    /// </summary>
    public static Listener Start(EndPoint endPoint, int backlog, Action? beforeListen = null)
    {
        var socket = endPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint is IPEndPoint { AddressFamily: AddressFamily.InterNetworkV6 } ip && ip.Address.Equals(IPAddress.IPv6Any))
                socket.DualMode = true;         // "all interfaces": IPv4 and IPv6 on one socket
            socket.Bind(endPoint);
            beforeListen?.Invoke();
            socket.Listen(backlog);
            return new Listener(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Accepts until <paramref name="ct"/> is cancelled or the listener is disposed.</summary>
    public async Task AcceptLoopAsync(Func<Socket, Task> handle, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await _socket.AcceptAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e) when (IsTransient(e.SocketErrorCode))
            {
                // The peer gave up before accept, or descriptors ran out for a moment: keep serving.
                await Task.Delay(TimeSpan.FromMilliseconds(10), ct).ConfigureAwait(false);
                continue;
            }

            _ = handle(accepted);
        }
    }

    private static bool IsTransient(SocketError error) =>
        error is SocketError.ConnectionAborted or SocketError.ConnectionReset or SocketError.TooManyOpenSockets
            or SocketError.NoBufferSpaceAvailable or SocketError.Interrupted;

    public void Dispose() => _socket.Dispose();
}
