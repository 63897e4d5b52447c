using System.Net.Sockets;

namespace RawRelay.Transport;

/// <summary>
/// A <see cref="NetworkStream"/> whose reads end the stream instead of failing when the peer reset the
/// connection. A client that writes its commands and closes without reading its replies (fire and
/// forget, as a PHP script may) makes Linux report ECONNRESET after the bytes it sent: those bytes are
/// still read, and the reset then counts as the end, so a last line without LF is still run. Not
/// thread-safe for concurrent reads (one reader, as any stream).
/// </summary>
internal sealed class EndOnResetStream(Socket socket) : NetworkStream(socket, ownsSocket: true)
{
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await base.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
            return 0;
        }
    }
}
