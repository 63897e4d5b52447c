using System.Diagnostics;

namespace RawRelay.Hub;

/// <summary>The counters STATS reports. Thread-safe: every update is atomic.</summary>
internal sealed class RelayStats
{
    private readonly long _startTimestamp = Stopwatch.GetTimestamp();
    private long _connectionsTotal;
    private long _messagesOut;
    private long _messagesIn;
    private long _bytesOut;
    private long _bytesIn;
    private long _slowClientsDropped;
    private long _pingTimeouts;
    private long _rateLimited;
    private long _busy;
    private readonly long[] _handshakes = new long[600];      // by HTTP status: 101, and each refusal

    public long ConnectionsTotal => Interlocked.Read(ref _connectionsTotal);
    public long MessagesOut => Interlocked.Read(ref _messagesOut);
    public long MessagesIn => Interlocked.Read(ref _messagesIn);
    public long BytesOut => Interlocked.Read(ref _bytesOut);
    public long BytesIn => Interlocked.Read(ref _bytesIn);
    public long SlowClientsDropped => Interlocked.Read(ref _slowClientsDropped);
    public long PingTimeouts => Interlocked.Read(ref _pingTimeouts);

    /// <summary>Clients closed with 1008 for sending over <c>--client-rate</c>.</summary>
    public long RateLimited => Interlocked.Read(ref _rateLimited);

    /// <summary>Clients closed with 1013: their kept message would have passed the shared budget.</summary>
    public long Busy => Interlocked.Read(ref _busy);
    public long UptimeSeconds => (long)Stopwatch.GetElapsedTime(_startTimestamp).TotalSeconds;

    public void ConnectionOpened() => Interlocked.Increment(ref _connectionsTotal);
    public void MessagesSent(int count) => Interlocked.Add(ref _messagesOut, count);
    public void MessageReceived() => Interlocked.Increment(ref _messagesIn);
    public void BytesReceived(long bytes) => Interlocked.Add(ref _bytesIn, bytes);

    public void BytesSent(long bytes) => Interlocked.Add(ref _bytesOut, bytes);
    public void SlowClientDropped() => Interlocked.Increment(ref _slowClientsDropped);
    public void PingTimedOut() => Interlocked.Increment(ref _pingTimeouts);

    public void RateLimitHit() => Interlocked.Increment(ref _rateLimited);

    public void BusyRefused() => Interlocked.Increment(ref _busy);

    /// <summary>A request to the WebSocket endpoint (or one not read in time) was answered with <paramref name="status"/>.</summary>
    public void Handshake(int status)
    {
        if (status is >= 100 and < 600)
            Interlocked.Increment(ref _handshakes[status]);
    }

    /// <summary>Handshakes answered so far, by status, for the statuses that occurred.</summary>
    public IEnumerable<(int Status, long Count)> Handshakes()
    {
        for (int status = 100; status < _handshakes.Length; status++)
        {
            long count = Interlocked.Read(ref _handshakes[status]);
            if (count > 0)
                yield return (status, count);
        }
    }
}
