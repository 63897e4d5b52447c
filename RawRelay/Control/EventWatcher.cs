using System.Buffers;
using System.Net.Sockets;
using RawRelay.Hub;
using RawRelay.WebSockets;

namespace RawRelay.Control;

/// <summary>
/// A control connection after WATCH: the relay's events, as <see cref="WatchLines"/>, written to it as they
/// happen. A producer (any thread, some under a stream's lock) only appends to a buffer and, when no write is
/// under way, schedules one with its thread's send round: as a WebSocket connection's frames are, the bytes go
/// out with one non-blocking write when the producer's round is flushed (after a client's read, after a
/// control batch), and what the socket does not take at once is finished asynchronously. So a watcher never
/// slows the relay, and events that come together leave together. One that falls more than its limit
/// (<c>--send-queue</c>) behind is cut off; a line into an empty buffer always goes, so one message of
/// <c>--max-message</c> does not cut off a watcher that keeps up. Thread-safe: one writer at a time (a state
/// under the lock), any number of producers.
/// </summary>
internal sealed class EventWatcher : IEventConsumer, IDrainable
{
    /// <summary>A buffer larger than this is not kept once written out.</summary>
    private const int KeptBufferBytes = 64 * 1024;

    private readonly Lock _gate = new();
    private readonly Socket _socket;
    private readonly long _limit;
    private readonly TaskCompletionSource<bool> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ArrayBufferWriter<byte> _pending = new(4096);
    private ArrayBufferWriter<byte> _writing = new(4096);
    private long _inFlight;
    private Writer _writer;
    private bool _cutOff;
    private bool _stopped;

    private enum Writer : byte
    {
        /// <summary>Nothing to write, or nobody asked yet.</summary>
        Idle,

        /// <summary>A drain is scheduled.</summary>
        Scheduled,

        /// <summary>A drain runs, or the rest of a write is being sent asynchronously.</summary>
        Writing,
    }

    /// <param name="socket">The control connection's socket; set non-blocking for writes that never wait.</param>
    /// <param name="limit">How far behind it may fall: bytes of events not yet taken by the socket.</param>
    public EventWatcher(Socket socket, long limit)
    {
        _socket = socket;
        _socket.Blocking = false;
        _limit = limit;
    }

    /// <summary>Completes once the watcher ends: true when it was cut off, false when its socket failed or it was stopped.</summary>
    public Task<bool> Ended => _ended.Task;

    public void OnEvent(RelayEvent relayEvent)
    {
        bool schedule;
        lock (_gate)
        {
            if (_cutOff || _stopped)
                return;
            int before = _pending.WrittenCount;
            long behind = before + _inFlight;
            WatchLines.Write(relayEvent, _pending);
            if (behind > 0 && behind + (_pending.WrittenCount - before) > _limit)
            {
                _cutOff = true;             // its line is not written out: the connection closes
                _pending.ResetWrittenCount();
                _ended.TrySetResult(true);
                return;
            }

            schedule = _writer == Writer.Idle;
            if (schedule)
                _writer = Writer.Scheduled;
        }

        if (schedule)
            SendScheduler.Schedule(this);
    }

    public void Drain()
    {
        lock (_gate)
        {
            if (_writer != Writer.Scheduled)
                return;
            _writer = Writer.Writing;
        }

        while (TakePending() is { } data)
        {
            int sent = _socket.Send(data.Span, SocketFlags.None, out SocketError error);
            if (error is not (SocketError.Success or SocketError.WouldBlock))
            {
                Stop();
                return;
            }

            sent = Math.Max(sent, 0);
            if (sent < data.Length)
            {
                lock (_gate)
                    _inFlight = data.Length - sent;
                _ = SendRestAsync(data[sent..]);
                return;
            }
        }
    }

    /// <summary>The watcher's connection is done: it takes no more events.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            _stopped = true;
            _pending.ResetWrittenCount();
        }

        _ended.TrySetResult(false);
    }

    /// <summary>The bytes to write next, or null (and the writer idle) when there are none or it has ended.</summary>
    private ReadOnlyMemory<byte>? TakePending()
    {
        lock (_gate)
        {
            _inFlight = 0;
            if (_pending.WrittenCount == 0 || _cutOff || _stopped)
            {
                _writer = Writer.Idle;
                return null;
            }

            if (_writing.Capacity > KeptBufferBytes)
                _writing = new ArrayBufferWriter<byte>(4096);
            (_pending, _writing) = (_writing, _pending);
            _pending.ResetWrittenCount();
            _inFlight = _writing.WrittenCount;
            return _writing.WrittenMemory;
        }
    }

    /// <summary>The socket was full: the rest goes out as the client reads, then the writer drains what came meanwhile.</summary>
    private async Task SendRestAsync(ReadOnlyMemory<byte> rest)
    {
        try
        {
            while (!rest.IsEmpty && !_ended.Task.IsCompleted)
            {
                int sent = await _socket.SendAsync(rest, SocketFlags.None).ConfigureAwait(false);
                rest = rest[sent..];
                lock (_gate)
                    _inFlight = rest.Length;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Stop();
            return;
        }

        lock (_gate)
            _writer = Writer.Scheduled;
        Drain();
    }
}
