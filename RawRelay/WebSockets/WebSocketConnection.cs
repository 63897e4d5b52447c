using System.Net;
using System.Net.Sockets;
using RawRelay.Diagnostics;
using RawRelay.Hub;
using RawRelay.Transport;

namespace RawRelay.WebSockets;

/// <summary>
/// One accepted WebSocket connection after its handshake: a receive loop that decodes the client's frames
/// (<c>.Receive.cs</c>), a queue of outgoing frames with the one writer that drains it (<c>.Send.cs</c>), the
/// closing handshake (<c>.Close.cs</c>) and the keepalive (<c>.Keepalive.cs</c>). It lives from registration
/// until its socket is closed, and leaves the registry on every kind of end. Thread-safe: the hub may hand
/// it messages and close it from any thread.
/// </summary>
internal sealed partial class WebSocketConnection : IRelayConnection
{
    private readonly Socket _socket;
    private readonly ConnectionContext _context;
    private readonly IPEndPoint _remote;
    private readonly IPAddress? _forwardedFor;
    private readonly IDialect _dialect;
    private readonly long _openedAt = Environment.TickCount64;
    private HubSlots _slots = HubSlots.Unlisted;
    private EndReason _endReason;
    private CloseCode _endCode;
    private int _disposed;

    public WebSocketConnection(Socket socket, string id, string[] ownChannels, IPEndPoint remote, IPAddress? forwardedFor,
        long sequence, ConnectionContext context, IDialect? dialect = null, ResumePoint[]? since = null)
    {
        _socket = socket;
        Id = id;
        if (ownChannels.Length > 0 || since is { Length: > 0 })
            _extras = new ConnectionExtras { OwnChannels = ownChannels, Since = since is { Length: > 0 } ? since : null };
        _remote = remote;
        _forwardedFor = forwardedFor;
        Sequence = sequence;
        _context = context;
        _dialect = dialect ?? PlainDialect.Instance;
        _decoder = new FrameDecoder(context.Options.MaxMessage);
    }

    public string Id { get; }

    /// <summary>The channels it asked for when it connected; needed only while it registers.</summary>
    public string[] OwnChannels => Volatile.Read(ref _extras)?.OwnChannels ?? [];

    public long Sequence { get; }

    /// <summary>Formatted when asked (LIST, the log), so that an idle connection holds no string for it.</summary>
    public string RemoteAddress => PeerAddress.Format(_forwardedFor ?? _remote.Address, _remote.Port);

    public ref HubSlots Slots => ref _slots;

    /// <summary>This connection's index in <see cref="LiveConnections"/>; -1 when not live.</summary>
    internal int LiveIndex { get; set; } = -1;

    /// <remarks>Read without the lock: a hint for fan-out and LIST; <see cref="Enqueue"/> decides under the lock.</remarks>
    public bool IsClosing => _endReason != EndReason.None || _cutOff || _sendFailed || IsDisposed;

    /// <summary>
    /// Queues the 101 response before the connection is registered; nothing is written until
    /// <see cref="RunAsync"/>, so whatever the hub queues in between goes out after the 101.
    /// </summary>
    public void QueueResponse(byte[] response)
    {
        _socket.Blocking = false;
        lock (this)
            _queue.Enqueue(response);
    }

    /// <summary>
    /// Sends the 101 and what queued behind it, then runs the receive loop until the connection is gone.
    /// <paramref name="received"/> holds bytes the client sent right after its request head. The connection
    /// must already be registered.
    /// </summary>
    public Task RunAsync(byte[] received)
    {
        _context.Live.Opened(this);
        PublishOpen();
        ForgetResume();
        using (SendScheduler.Cork())
            ReleaseWriter();
        return ReceiveLoopAsync(received);
    }

    /// <summary>The receive loop ended: a failure it met, if any, and the one log line of the connection.</summary>
    private void OnEnded(Exception? failure)
    {
        (EndReason reason, CloseCode code) = EndReasons.Classify(failure);
        if (reason == EndReason.InternalError)
            _context.Log.Error($"connection {Id} {RemoteAddress} failed", failure, LogField.Of("id", Id), LogField.Of("peer", RemoteAddress));
        if (reason != EndReason.None)
            Shutdown(reason, code, code == CloseCode.None ? "" : "internal error");

        _context.Registry.Remove(this);
        DisposeSocket();
        ReleaseQueue();
        PublishClose();
        _context.Live.Closed(this);
        if (!_context.Log.IsEnabled(LogLevel.Info))
            return;
        double seconds = Math.Round((Environment.TickCount64 - _openedAt) / 1000.0, 1);
        string why = Describe(_endReason);
        LogField[] fields = [LogField.Of("id", Id), LogField.Of("peer", RemoteAddress), LogField.Of("reason", why), LogField.Of("seconds", seconds)];
        if (_endCode == CloseCode.None)
            _context.Log.Info($"closed {Id} {RemoteAddress} reason={why} after {seconds:0.0}s", fields);
        else
            _context.Log.Info($"closed {Id} {RemoteAddress} reason={why} code={(int)_endCode} after {seconds:0.0}s", [.. fields, LogField.Of("code", (int)_endCode)]);
    }

    /// <summary>Starts the closing handshake (close command of the control socket).</summary>
    public void Close(int code, string reason) => Shutdown(EndReason.ClosedByCommand, (CloseCode)code, reason);

    /// <summary>
    /// Ends the connection for <paramref name="reason"/>: keeps the first reason, leaves the registry (so it
    /// takes no more messages), queues a close frame with <paramref name="code"/> (unless
    /// <see cref="CloseCode.None"/>), and makes sure the TCP connection is closed within the close timeout.
    /// Idempotent. Never called under a stream's lock (teardown from a fan-out is deferred).
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

        _context.Registry.Remove(this);
        if (reason == EndReason.SlowClient)
        {
            _context.Stats.SlowClientDropped();
            string cause = DescribeCutOff();
            _context.Log.Warn($"slow client {Id} {RemoteAddress}: {cause}, cut off",
                LogField.Of("id", Id), LogField.Of("peer", RemoteAddress), LogField.Of("reason", "slow-client"), LogField.Of("cause", cause));
        }

        if (code == CloseCode.None)
        {
            DisposeSocket();
            return;
        }

        QueueClose(code, closeReason);
        TimeSpan timeout = reason == EndReason.ServerShutdown ? _context.Options.ShutdownCloseTimeout : _context.Options.CloseTimeout;
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
        EndReason.RateLimited => "rate-limited",
        EndReason.Busy => "busy",
        EndReason.InternalError => "internal-error",
        _ => "unknown",
    };
}
