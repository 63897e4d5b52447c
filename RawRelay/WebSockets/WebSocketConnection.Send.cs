using System.Buffers;
using System.Net.Sockets;
using RawRelay.Hub;

namespace RawRelay.WebSockets;

internal sealed partial class WebSocketConnection
{
    private const int GatherSize = 64 * 1024;

    /// <summary>Per-thread buffer in which a flush gathers queued frames into one write.</summary>
    [ThreadStatic]
    private static byte[]? t_gather;

    // The queue and the flags below are guarded by lock (this): the connection is internal, nothing else
    // locks it, and a monitor on the object itself costs no extra allocation per connection.
    private OutboundQueue _queue;
    private long _inFlightBytes;

    /// <summary>
    /// Who may write the queue to the socket now: null when nobody is flushing; the caller whose
    /// <see cref="TryEnqueue"/> got <see cref="EnqueueResult.QueuedNeedsFlush"/> (a control connection's
    /// batch, or this connection itself for the 101, pongs, pings and closes); <see cref="WritingOwner"/> while
    /// a <see cref="Flush"/> writes; or <see cref="AsyncSendOwner"/> while an asynchronous write finishes.
    /// Only the owner's <see cref="Flush"/> writes, and it swaps the token for <see cref="WritingOwner"/>
    /// first, so writes never interleave even when an owner asks twice.
    /// </summary>
    private object? _flushOwner;

    /// <summary>The owner of the flush while a write the kernel could not take at once finishes.</summary>
    private static readonly object AsyncSendOwner = new();

    /// <summary>The owner of the flush while one thread writes: a second caller with the old token finds it taken.</summary>
    private static readonly object WritingOwner = new();
    private bool _closeQueued;
    private bool _closeSent;
    private bool _peerClosed;
    private TaskCompletionSource? _closeSentSignal;

    /// <summary>
    /// Queues a frame without waiting; <paramref name="owner"/> gets the flush when nobody has it. Past
    /// <c>--send-queue</c> bytes (queued plus being written) the client is cut off as slow: the frame is
    /// dropped and a close 1008 follows what is queued.
    /// </summary>
    public EnqueueResult TryEnqueue(ReadOnlyMemory<byte> frame, object owner)
    {
        lock (this)
        {
            if (_closeQueued || IsDisposed)
                return EnqueueResult.Dropped;
            // A frame into an empty queue always goes: a message of --max-message plus its header is
            // larger than a --send-queue of the same size, yet a client with nothing pending is not slow.
            long pending = _queue.Bytes + _inFlightBytes;
            if (pending == 0 || pending + frame.Length <= _settings.SendQueueLimit)
            {
                _queue.Enqueue(frame);
                if (_flushOwner is null)
                {
                    _flushOwner = owner;
                    return EnqueueResult.QueuedNeedsFlush;
                }

                return _flushOwner == owner && (_queue.Bytes + _inFlightBytes) * 2 >= _settings.SendQueueLimit
                    ? EnqueueResult.QueuedHalfFull
                    : EnqueueResult.Queued;
            }
        }

        Shutdown(EndReason.SlowClient, CloseCode.PolicyViolation, "slow client");
        return EnqueueResult.Dropped;
    }

    /// <summary>
    /// Writes everything queued, gathering small frames into one write, without blocking: what the kernel
    /// does not take now is finished by an asynchronous send, after which the flush goes on. Does nothing
    /// unless <paramref name="owner"/> owns the flush, so a caller may ask more than once.
    /// </summary>
    public void Flush(object owner)
    {
        byte[] gather = t_gather ??= GC.AllocateUninitializedArray<byte>(GatherSize);
        bool claimed = false;
        int sentBefore = 0;
        while (true)
        {
            ReadOnlyMemory<byte> data;
            bool gathered;
            lock (this)                         // one lock a round: claim or account the last write, take the next
            {
                if (!claimed)
                {
                    if (_flushOwner != owner)
                        return;
                    _flushOwner = WritingOwner;
                    claimed = true;
                }

                _inFlightBytes -= sentBefore;
                if (_queue.Count == 0 || IsDisposed)
                {
                    _flushOwner = null;
                    if (IsDisposed)
                        _queue.Clear();
                    break;
                }

                data = TakeQueued(gather, out gathered);
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
                AbandonSend();
                return;
            }

            sent = Math.Max(sent, 0);
            _settings.Stats.BytesSent(sent);
            if (sent < data.Length)
            {
                // The kernel's buffer is full: finish this write asynchronously, then flush on.
                ReadOnlyMemory<byte> rest = data[sent..];
                byte[]? rented = null;
                if (gathered)
                {
                    rented = ArrayPool<byte>.Shared.Rent(rest.Length);
                    rest.CopyTo(rented);
                    rest = rented.AsMemory(0, rest.Length);
                }

                lock (this)
                {
                    _inFlightBytes -= sent;
                    _flushOwner = AsyncSendOwner;
                }

                _ = SendRestAsync(rest, rented);
                return;
            }

            sentBefore = sent;
        }

        OnQueueDrained();
    }

    /// <summary>Moves frames from the queue into one buffer to write (caller holds the lock).</summary>
    private ReadOnlyMemory<byte> TakeQueued(byte[] gather, out bool gathered)
    {
        ReadOnlyMemory<byte> first = _queue.Peek();
        gathered = first.Length <= gather.Length / 2;
        if (!gathered)
        {
            _queue.Dequeue();
            _inFlightBytes += first.Length;
            return first;
        }

        int length = 0;
        while (_queue.Count > 0 && length + _queue.Peek().Length <= gather.Length)
        {
            _queue.Peek().Span.CopyTo(gather.AsSpan(length));
            length += _queue.Peek().Length;
            _queue.Dequeue();
        }

        _inFlightBytes += length;
        return gather.AsMemory(0, length);
    }

    private async Task SendRestAsync(ReadOnlyMemory<byte> rest, byte[]? rented)
    {
        try
        {
            while (!rest.IsEmpty)
            {
                int sent = await _socket.SendAsync(rest, SocketFlags.None).ConfigureAwait(false);
                _settings.Stats.BytesSent(sent);
                lock (this)
                    _inFlightBytes -= sent;
                rest = rest[sent..];
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The peer is gone or the connection was closed while this write waited for it.
            AbandonSend();
            return;
        }
        finally
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented);
        }

        Flush(AsyncSendOwner);
    }

    /// <summary>After the queue ran dry: once our close frame is out, close TCP if the client's close came.</summary>
    private void OnQueueDrained()
    {
        bool closeNow, failed;
        lock (this)
        {
            if (!_closeQueued || _flushOwner is not null || _queue.Count != 0 || _closeSent)
                return;
            _closeSent = true;
            _closeSentSignal?.TrySetResult();
            closeNow = _peerClosed;
            failed = _endReason == EndReason.ProtocolError;
        }

        if (closeNow)
            DisposeSocket();                    // RFC 6455 §7.1.1: the server closes TCP first
        else if (failed)
            HalfClose();
    }

    /// <summary>
    /// After failing the connection (RFC 6455 §7.1.7) nothing more will be read from the client's broken
    /// stream, so our FIN follows the close frame at once; the receive loop still drains what the client
    /// sends until it closes or the close timeout passes, so that unread bytes do not turn into an RST.
    /// </summary>
    private void HalfClose()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The connection is already gone: nothing left to half-close.
        }
    }

    /// <summary>
    /// Completes once our close frame is written, at once when none is queued or the socket is gone, and at
    /// the latest after the close timeout.
    /// </summary>
    private async Task WhenCloseFrameSentAsync()
    {
        Task sent;
        lock (this)
        {
            if (!_closeQueued || _closeSent || IsDisposed)
                return;
            _closeSentSignal ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            sent = _closeSentSignal.Task;
        }

        await Task.WhenAny(sent, Task.Delay(_settings.CloseTimeout)).ConfigureAwait(false);
    }

    /// <summary>Queues the close frame; nothing is queued after it.</summary>
    private void QueueClose(CloseCode code, string reason)
    {
        lock (this)
        {
            if (_closeQueued || IsDisposed)
                return;
            _closeQueued = true;
            _queue.Enqueue(FrameWriter.CloseFrame(code, reason));
            if (_flushOwner is not null)
                return;
            _flushOwner = this;
        }

        Flush(this);
    }

    private void AbandonSend()
    {
        lock (this)
        {
            _flushOwner = null;
            _inFlightBytes = 0;
            _queue.Clear();
        }

        Shutdown(EndReason.PeerVanished, CloseCode.None);
        DisposeSocket();
    }

    private void ReleaseQueue()
    {
        lock (this)
            _queue.Clear();
    }
}
