using System.Net.Sockets;
using RawRelay.Hub;

namespace RawRelay.WebSockets;

internal sealed partial class WebSocketConnection
{
    private const int GatherSize = 64 * 1024;

    /// <summary>Per-thread buffer in which a drain gathers queued frames into one write.</summary>
    [ThreadStatic]
    private static byte[]? t_gather;

    // Guarded by lock (this): the connection is internal, nothing else locks it, and a monitor on the
    // object itself costs no extra allocation per connection.
    private OutboundQueue _queue;
    private WriterState _writer = WriterState.Held;
    private long _inFlight;                 // bytes taken from the queue and not yet accepted by the kernel
    private bool _cutOff;
    private bool _sendFailed;

    /// <summary>Why a client was cut off as slow, for its log line.</summary>
    internal enum CutOff : byte
    {
        QueueFull,
        AllQueuesFull,
        NotDraining,
    }

    /// <summary>The writer's state: only <see cref="Drain"/> moves it out of Scheduled.</summary>
    private enum WriterState : byte
    {
        /// <summary>Before <see cref="RunAsync"/>: frames queue behind the 101, nobody writes.</summary>
        Held,

        /// <summary>Nothing queued, nobody writing.</summary>
        Idle,

        /// <summary>Frames queued; a drain is due (in a cork's round, or on the pool).</summary>
        Scheduled,

        /// <summary>A thread is in <see cref="Drain"/>.</summary>
        Writing,

        /// <summary>An asynchronous write is under way; when it finishes the drain goes on.</summary>
        Sending,
    }

    /// <summary>
    /// Queues a message of the hub's. The common case (a connection with nothing unusual going on, and room
    /// in its queue) is taken here in one short lock; everything else goes the general way, <see cref="Enqueue"/>.
    /// </summary>
    public DeliveryResult Deliver(Message message)
    {
        if (ReferenceEquals(message.Except, this))
            return DeliveryResult.Dropped;     // the Pusher socket_id the event leaves out, a client event's sender
        ReadOnlyMemory<byte> frame = message.FrameFor(_dialect);
        bool schedule;
        lock (this)
        {
            long pending = _queue.Cost + _inFlight;
            long limit = _context.Options.SendQueueLimit;
            if (_sendsSlow || _closeQueued || _cutOff || _disposed != 0
                || (pending + _queue.CostOf(frame.Length, false)) * 2 >= limit)
                goto General;                   // a backlog, a replay, a close, or a queue past half its bound
            _queue.Enqueue(frame);
            schedule = _writer == WriterState.Idle;
            if (schedule)
                _writer = WriterState.Scheduled;
        }

        if (schedule)
            SendScheduler.Schedule(this);
        return DeliveryResult.Queued;

    General:
        return Enqueue(frame, default);
    }

    /// <summary>
    /// Queues a frame without waiting, and schedules the writer when it was idle. Past <c>--send-queue</c>
    /// (what the queue keeps alive, plus a write under way), or past <c>--send-queue-total</c> for a
    /// backlogged queue, the client is cut off as slow: the frame is dropped, nothing more is queued, and the
    /// teardown (close 1008 after what is queued) runs once no stream's lock is held. Pongs and pings count
    /// like messages. A frame of the hub's comes as <paramref name="shared"/> (queued by reference unless
    /// backlogged); one of this connection's own (a pong, a close, an echo) as <paramref name="own"/>, always
    /// copied into the queue's private chunk, so that a burst of them costs a few small arrays, not one each.
    /// </summary>
    private DeliveryResult Enqueue(ReadOnlyMemory<byte> shared, ReadOnlySpan<byte> own)
    {
        int length = shared.IsEmpty ? own.Length : shared.Length;
        bool schedule, drainEarly;
        lock (this)
        {
            if (_closeQueued || _cutOff || IsDisposed)
                return DeliveryResult.Dropped;
            ConnectionExtras? extras = _extras;
            bool backlogged = extras is { BacklogSince: not 0 };
            bool copy = backlogged || shared.IsEmpty;
            long pending = _queue.Cost + _inFlight - (extras?.Uncounted ?? 0);
            long cost = _queue.CostOf(length, copy);
            long limit = _context.Options.SendQueueLimit;
            // A frame into an empty queue always goes: a message of --max-message plus its header is larger
            // than a --send-queue of the same size, yet a client with nothing pending is not slow.
            if (pending > 0 && (pending + cost > limit || (backlogged && !_context.SendMemory.Fits(cost))))
            {
                _cutOff = true;
                CutOffCause = pending + cost > limit ? CutOff.QueueFull : CutOff.AllQueuesFull;
            }
            else
            {
                schedule = QueueLocked(shared, copy ? (shared.IsEmpty ? own : shared.Span) : default);
                // A long batch must not make a client look slow: past half its bound, it is written now.
                drainEarly = !schedule && _writer == WriterState.Scheduled && (pending + cost) * 2 >= limit;
                goto Queued;
            }
        }

        SendScheduler.Defer(this);
        return DeliveryResult.CutOff;

    Queued:
        if (schedule)
            SendScheduler.Schedule(this);
        else if (drainEarly)
            Drain();
        return DeliveryResult.Queued;
    }

    /// <summary>
    /// Adds a frame to the queue: <paramref name="copy"/> when not empty, else <paramref name="shared"/> by
    /// reference; true when the writer must be scheduled. Caller holds the lock.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private bool QueueLocked(ReadOnlyMemory<byte> shared, ReadOnlySpan<byte> copy)
    {
        if (!copy.IsEmpty)
        {
            _queue.EnqueueCopy(copy);
            if (_extras is { BacklogSince: not 0 })
                UpdateReservation();
        }
        else
        {
            _queue.Enqueue(shared);
        }

        if (_writer != WriterState.Idle)
            return false;
        _writer = WriterState.Scheduled;
        return true;
    }

    /// <summary>After <see cref="RunAsync"/> starts: the 101 and what queued behind it may go.</summary>
    private void ReleaseWriter()
    {
        bool schedule;
        lock (this)
        {
            schedule = !_queue.IsEmpty;
            _writer = schedule ? WriterState.Scheduled : WriterState.Idle;
        }

        if (schedule)
            SendScheduler.Schedule(this);
    }

    /// <summary>
    /// The one writer of this connection: writes everything queued, gathering small frames into one write,
    /// without blocking. What the kernel does not take now is finished by an asynchronous send, which then
    /// drains on; meanwhile the queue is backlogged (it keeps private copies). Does nothing unless a drain
    /// is due, so whoever holds a stale reference may call it. Only <see cref="SendScheduler"/>, an early
    /// drain of a long batch, and this writer's own asynchronous send call it.
    /// </summary>
    /// <summary>What this connection's queue keeps alive and what it is writing, in bytes (the metrics' queued bytes).</summary>
    public long QueuedBytes
    {
        get
        {
            lock (this)
                return _queue.Cost + _inFlight;
        }
    }

    internal void Drain()
    {
        byte[] gather = t_gather ??= GC.AllocateUninitializedArray<byte>(GatherSize);
        bool claimed = false;
        while (true)
        {
            ReadOnlyMemory<byte> data;
            bool gathered;
            lock (this)                         // one lock a round: claim or account the last write, take the next
            {
                if (!claimed)
                {
                    if (_writer != WriterState.Scheduled)
                        return;
                    _writer = WriterState.Writing;
                    claimed = true;
                }

                _inFlight = 0;
                if (_queue.IsEmpty || IsDisposed)
                {
                    if (IsDisposed)
                        _queue.Clear();
                    _writer = WriterState.Idle;
                    if (BacklogSince != 0)
                        EndBacklog();
                    if (!_closeQueued || _closeSent)
                        return;
                    break;                      // our close frame is out: the closing handshake goes on
                }

                data = _queue.Take(gather, out gathered);
                _inFlight = data.Length;
                if (BacklogSince != 0)
                    UpdateReservation();
            }

            int sent;
            SocketError error;
            try
            {
                sent = _socket.Send(data.Span, SocketFlags.None, out error);
            }
            catch (ObjectDisposedException)
            {
                // Closed between the check above and the write (a close timeout, the peer's reset).
                error = SocketError.OperationAborted;
                sent = 0;
            }

            if (error is not (SocketError.Success or SocketError.WouldBlock))
            {
                FailSend();
                return;
            }

            sent = Math.Max(sent, 0);
            _context.Stats.BytesSent(sent);
            if (sent < data.Length)
            {
                // The kernel's buffer is full: a backlog. The rest is finished asynchronously (a copy when it
                // is in this thread's gather buffer), then the drain goes on.
                ReadOnlyMemory<byte> rest = data[sent..];
                if (gathered)
                    rest = rest.ToArray();
                lock (this)
                {
                    Uncounted = Math.Max(0, Uncounted - sent);
                    _inFlight = rest.Length;
                    _writer = WriterState.Sending;
                    BeginBacklog();
                }

                _ = SendRestAsync(rest);
                return;
            }

            if (Uncounted > 0)
                lock (this)
                    Uncounted = Math.Max(0, Uncounted - sent);
        }

        OnQueueDrained();
    }

    private async Task SendRestAsync(ReadOnlyMemory<byte> rest)
    {
        try
        {
            while (!rest.IsEmpty)
            {
                int sent = await _socket.SendAsync(rest, SocketFlags.None).ConfigureAwait(false);
                _context.Stats.BytesSent(sent);
                rest = rest[sent..];
                lock (this)
                {
                    Uncounted = Math.Max(0, Uncounted - sent);
                    _inFlight = rest.Length;
                    UpdateReservation();
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The peer is gone or the connection was closed while this write waited for it.
            FailSend();
            return;
        }

        lock (this)
            _writer = WriterState.Scheduled;
        Drain();
    }

    /// <summary>A write failed: the peer is gone. Nothing more is sent; the teardown is deferred.</summary>
    private void FailSend()
    {
        lock (this)
        {
            _sendFailed = true;
            _queue.Clear();
            _inFlight = 0;
            _writer = WriterState.Idle;
            EndBacklog();
        }

        DisposeSocket();
        SendScheduler.Defer(this);
    }

    /// <summary>Teardown that a fan-out asked for: runs once no stream's lock is held.</summary>
    internal void RunDeferred()
    {
        if (_sendFailed)
            Shutdown(EndReason.PeerVanished, CloseCode.None);
        else if (_cutOff)
            Shutdown(EndReason.SlowClient, CloseCode.PolicyViolation, "slow client");
    }

    /// <summary>
    /// Cuts off a client whose queue has not been empty for <c>--send-timeout</c>: it is not draining (it reads
    /// nothing, or too little to ever catch up). Called by the housekeeping, never under a stream's lock.
    /// </summary>
    public void CheckBacklog(long now)
    {
        TimeSpan timeout = _context.Options.SendTimeout;
        if (Volatile.Read(ref _extras) is not { BacklogSince: not 0 })
            return;                             // the common case, without the lock
        lock (this)
        {
            if (BacklogSince == 0 || timeout <= TimeSpan.Zero || now - BacklogSince < (long)timeout.TotalMilliseconds || _cutOff)
                return;
            _cutOff = true;
            CutOffCause = CutOff.NotDraining;
        }

        RunDeferred();
    }

    /// <summary>The socket is full: frames queued by reference are copied out of the shared chunks. Caller holds the lock.</summary>
    private void BeginBacklog()
    {
        if (BacklogSince == 0)
        {
            BacklogSince = Math.Max(1, Environment.TickCount64);
            _queue.MakePrivate();
        }

        UpdateReservation();
    }

    /// <summary>The queue is empty: the backlog is over. Caller holds the lock.</summary>
    private void EndBacklog()
    {
        BacklogSince = 0;
        UpdateReservation();
    }

    /// <summary>Keeps this connection's share of the relay-wide send memory equal to what its backlog holds. Caller holds the lock.</summary>
    private void UpdateReservation()
    {
        long target = BacklogSince == 0 ? 0 : _queue.Cost + _inFlight;
        if (target == Reserved)
            return;
        _context.SendMemory.Add(target - Reserved);
        Reserved = target;
    }

    private string DescribeCutOff() => CutOffCause switch
    {
        CutOff.QueueFull => $"send queue over {_context.Options.SendQueueLimit} bytes",
        CutOff.AllQueuesFull => $"slow clients' queues over {_context.Options.SendQueueTotal} bytes in all",
        _ => $"send queue not emptied for {_context.Options.SendTimeout.TotalSeconds:0} s",
    };

    private void ReleaseQueue()
    {
        lock (this)
        {
            _queue.Clear();
            _inFlight = 0;
            EndBacklog();
        }
    }
}
