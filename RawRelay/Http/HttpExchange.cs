using System.IO.Pipelines;
using System.Net.Sockets;

namespace RawRelay.Http;

/// <summary>
/// The parts of a plain HTTP exchange every listener of ours shares (the main port's handshakes, health and
/// static files; the metrics listener): how a request head is buffered, how a response is sent within a
/// timeout, and how the connection ends without a reset. Stateless and thread-safe.
/// </summary>
internal static class HttpExchange
{
    /// <summary>A request head is read through a pipe this size: 4 KiB buffers, 1 KiB reads at least.</summary>
    public static readonly StreamPipeReaderOptions HeadReaderOptions =
        new(bufferSize: 4096, minimumReadSize: 1024, leaveOpen: true);

    /// <summary>How long a client may take to read a response, or each chunk of a static file.</summary>
    public static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Sends a response, or part of one; a client that does not take it within <see cref="ResponseTimeout"/> is dropped.</summary>
    public static async Task SendWithinAsync(Socket socket, ReadOnlyMemory<byte> response)
    {
        using var timeout = new CancellationTokenSource(ResponseTimeout);
        await socket.SendAsync(response, SocketFlags.None, timeout.Token).ConfigureAwait(false);
    }

    /// <summary>
    /// Ends a plain HTTP exchange without a reset: shut down our side, read what the client still sends
    /// (at most a second and 64 KiB), then close; closing with unread bytes would make the kernel send an
    /// RST, which can destroy the response before the client reads it.
    /// </summary>
    public static async Task CloseGracefullyAsync(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Send);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            var drain = new byte[4096];
            for (int total = 0; total < 64 * 1024;)
            {
                int read = await socket.ReceiveAsync(drain, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                if (read == 0)
                    break;
                total += read;
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client reset or lingered; either way the exchange is over.
        }
        finally
        {
            socket.Dispose();
        }
    }
}
