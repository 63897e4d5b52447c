using System.Net;
using System.Net.Sockets;
using RawRelay.Diagnostics;

namespace RawRelay.Transport;

/// <summary>
/// A listening socket on any <see cref="EndPoint"/> (TCP or UNIX) and its accept loop, which hands each
/// accepted socket to a handler without waiting for it. The loop outlives every error of accept(2) and of
/// the handlers, and says so in the log; it ends only when the relay stops. Thread-safe: the loop runs on
/// one task, and <see cref="Dispose"/> may come from any thread.
/// </summary>
internal sealed class Listener : IDisposable
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(1);

    private readonly Socket? _socket;
    private readonly Func<CancellationToken, ValueTask<Socket>> _accept;
    private readonly RelayLog _log;
    private readonly TimeSpan _firstBackoff;
    private readonly CancellationTokenSource _disposed = new();

    private Listener(Socket socket, string name, RelayLog log)
        : this(name, log, socket.AcceptAsync)
    {
        _socket = socket;
    }

    /// <summary>A loop over any accept call: the seam through which tests make accept fail.</summary>
    internal Listener(string name, RelayLog log, Func<CancellationToken, ValueTask<Socket>> accept, TimeSpan? firstBackoff = null)
    {
        Name = name;
        _log = log;
        _accept = accept;
        _firstBackoff = firstBackoff ?? FirstBackoff;
    }

    /// <summary>What the log calls this listener ("TCP listener [::]:8080", "control socket /tmp/rawrelay.sock").</summary>
    public string Name { get; }

    public EndPoint LocalEndPoint => _socket!.LocalEndPoint!;

    /// <summary>
    /// Binds and listens with the longest backlog the system allows. <paramref name="beforeListen"/> runs
    /// between bind and listen, when the address exists but nothing can connect yet (the control socket gets
    /// its file mode there). The log names the listener <paramref name="label"/> and the bound address.
    /// </summary>
    public static Listener Start(EndPoint endPoint, string label, RelayLog log, Action? beforeListen = null)
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
            // listen(2) clamps the backlog to net.core.somaxconn (4096 since Linux 5.4), the most an operator
            // allows. A short one fails bursts: a non-blocking connect(2) to a UNIX socket whose backlog is full
            // fails at once with EAGAIN (PHP's stream_socket_client reports it), and TCP clients wait for SYN retries.
            socket.Listen(int.MaxValue);
            return new Listener(socket, $"{label} {socket.LocalEndPoint}", log);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Accepts until <paramref name="ct"/> is cancelled or the listener is disposed, the only two ways out.
    /// A failed accept is retried after a pause of 10 ms, doubling up to 1 s, back to 10 ms once one works.
    /// The first failure of each kind in a run of failures is logged (running out of file descriptors as a
    /// warning, anything else as an error, repeats at debug level), and the first accept that works again
    /// says how many failed. A handler runs unawaited; what it throws is logged and its socket closed.
    /// </summary>
    public async Task AcceptLoopAsync(Func<Socket, Task> handle, CancellationToken ct)
    {
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(ct, _disposed.Token);
        var failures = new AcceptFailures(Name, _log);
        TimeSpan backoff = _firstBackoff;
        while (!stopping.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await _accept(stopping.Token).ConfigureAwait(false);
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                // Cancelled, or disposed under a pending accept (OperationAborted, ObjectDisposedException),
                // or a failure that raced with either: the relay is stopping.
                return;
            }
            catch (SocketException e) when (IsThePeersProblem(e.SocketErrorCode))
            {
                // The connection went away while it waited in the backlog: accept(2) took it, nothing is wrong here.
                _log.Debug($"accept on {Name}: {e.Message}");
                continue;
            }
            catch (Exception e)
            {
                failures.Failed(e);
                try
                {
                    await Task.Delay(backoff, stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                backoff = backoff < MaxBackoff / 2 ? backoff * 2 : MaxBackoff;
                continue;
            }

            failures.Succeeded();
            backoff = _firstBackoff;
            _ = HandleAsync(handle, accepted);
        }
    }

    /// <summary>Runs one handler; an exception it throws, at once or later, is logged instead of lost.</summary>
    private async Task HandleAsync(Func<Socket, Task> handle, Socket socket)
    {
        try
        {
            await handle(socket).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _log.Error($"connection on {Name} failed unexpectedly", e);
            socket.Dispose();
        }
    }

    /// <summary>
    /// Errors accept(2) reports for the pending connection, not for the listener (accept(2): treat the
    /// network errors like EAGAIN and retry): the next connection in the backlog is a new one.
    /// </summary>
    private static bool IsThePeersProblem(SocketError error) =>
        error is SocketError.ConnectionAborted or SocketError.ConnectionReset or SocketError.Interrupted
            or SocketError.NetworkDown or SocketError.NetworkUnreachable or SocketError.HostDown or SocketError.HostUnreachable;

    public void Dispose()
    {
        _disposed.Cancel();                     // first, so that the pending accept's failure reads as stopping
        _socket?.Dispose();
    }
}
