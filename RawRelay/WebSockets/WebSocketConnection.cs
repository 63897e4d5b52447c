using System.Net;
using System.Net.Sockets;
using RawRelay.Hosting;
using RawRelay.Hub;

namespace RawRelay.WebSockets;

/// <summary>
/// One accepted WebSocket connection after its handshake: a receive loop that decodes the client's frames
/// (<c>.Receive.cs</c>) and a queue of outgoing frames written without ever making a sender wait
/// (<c>.Send.cs</c>). It lives from registration until its socket is closed, and leaves the registry
/// on every kind of end. Thread-safe: the hub may queue and close from any thread.
/// </summary>
internal sealed partial class WebSocketConnection : IRelayConnection
{
    private readonly Socket _socket;
    private readonly ConnectionSettings _settings;
    private readonly IPEndPoint _remote;
    private readonly IPAddress? _forwardedFor;
    private readonly long _openedAt = Environment.TickCount64;
    private EndReason _endReason;
    private CloseCode _endCode;
    private int _disposed;

    public WebSocketConnection(Socket socket, string id, IPEndPoint remote, IPAddress? forwardedFor, long sequence,
        ConnectionSettings settings)
    {
        _socket = socket;
        Id = id;
        _remote = remote;
        _forwardedFor = forwardedFor;
        Sequence = sequence;
        _settings = settings;
        _decoder = new FrameDecoder(settings.MaxMessage);
    }

    public string Id { get; }

    public long Sequence { get; }

    /// <summary>Formatted when asked (LIST, the log), so that an idle connection holds no string for it.</summary>
    public string RemoteAddress => ClientAddress.Format(_forwardedFor ?? _remote.Address, _remote.Port);

    /// <summary>
    /// Queues the 101 response before the connection is registered, and keeps the flush for itself until
    /// <see cref="RunAsync"/>: whatever the hub queues in between goes out after the 101.
    /// </summary>
    public void QueueResponse(byte[] response)
    {
        _socket.Blocking = false;
        TryEnqueue(response, this);
    }

    /// <summary>
    /// Sends the 101 and what queued behind it, then runs the receive loop until the connection is gone.
    /// <paramref name="received"/> holds bytes the client sent right after its request head. The connection
    /// must already be registered.
    /// </summary>
    public Task RunAsync(byte[] received)
    {
        _settings.Live.Opened();
        Flush(this);
        return ReceiveLoopAsync(received);
    }

    /// <summary>The receive loop ended: a failure it met, if any, and the one log line of the connection.</summary>
    private void OnEnded(Exception? failure)
    {
        if (failure is SocketException or ObjectDisposedException)
        {
            // The socket failed or was closed under the loop: an ordinary way for a connection to end.
            Shutdown(EndReason.PeerVanished, CloseCode.None);
        }
        else if (failure is not null)
        {
            _settings.Log.Error($"connection {Id} {RemoteAddress} failed", failure);
            Shutdown(EndReason.ProtocolError, CloseCode.InternalError);
        }

        _settings.Registry.Remove(this);
        DisposeSocket();
        ReleaseQueue();
        _settings.Live.Closed();
        if (!_settings.Log.IsEnabled(LogLevel.Info))
            return;
        _settings.Log.Info($"closed {Id} {RemoteAddress} reason={Describe(_endReason)}" +
            (_endCode == CloseCode.None ? "" : $" code={(int)_endCode}") +
            $" after {(Environment.TickCount64 - _openedAt) / 1000.0:0.0}s");
    }

    /// <summary>Starts the closing handshake (close command of the control socket).</summary>
    public void Close(CloseCode code, string reason) => Shutdown(EndReason.ClosedByCommand, code, reason);

    /// <summary>
    /// Ends the connection for <paramref name="reason"/>: keeps the first reason, queues a close frame
    /// with <paramref name="code"/> (unless <see cref="CloseCode.None"/>), and makes sure the TCP
    /// connection is closed within the close timeout. Idempotent.
    /// </summary>
    public void Shutdown(EndReason reason, CloseCode code, string closeReason = "")
    {
        lock (this)
        {
            if (_endReason != EndReason.None)
                return;
            _endReason = reason;
            _endCode = code;
        }

        // A closing connection takes no more messages: it leaves LIST and the fan-out now.
        _settings.Registry.Remove(this);

        if (reason == EndReason.SlowClient)
        {
            _settings.Stats.SlowClientDropped();
            _settings.Log.Warn($"slow client {Id} {RemoteAddress}: send queue over {_settings.SendQueueLimit} bytes, cut off");
        }

        if (code == CloseCode.None)
        {
            DisposeSocket();
            return;
        }

        QueueClose(code, closeReason);
        TimeSpan timeout = reason == EndReason.ServerShutdown ? _settings.ShutdownCloseTimeout : _settings.CloseTimeout;
        _ = DisposeAfterAsync(timeout);
    }

    private async Task DisposeAfterAsync(TimeSpan timeout)
    {
        await Task.Delay(timeout).ConfigureAwait(false);
        DisposeSocket();
    }

    private void DisposeSocket()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        try
        {
            // End with a FIN after what the kernel still holds. Disposed with a receive pending (there
            // always is one), a .NET socket closes abortively: the RST would destroy the close frame and
            // the last messages in the client's buffer before it reads them.
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // The peer reset the connection already; there is nothing left to deliver.
        }

        _socket.Dispose();
    }

    private bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    private static string Describe(EndReason reason) => reason switch
    {
        EndReason.PeerClosed => "peer-closed",
        EndReason.PeerVanished => "peer-vanished",
        EndReason.ProtocolError => "protocol-error",
        EndReason.SlowClient => "slow-client",
        EndReason.PingTimeout => "ping-timeout",
        EndReason.ClosedByCommand => "close-command",
        EndReason.ServerShutdown => "server-shutdown",
        _ => "unknown",
    };
}
