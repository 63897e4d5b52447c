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

    public long ConnectionsTotal => Interlocked.Read(ref _connectionsTotal);
    public long MessagesOut => Interlocked.Read(ref _messagesOut);
    public long MessagesIn => Interlocked.Read(ref _messagesIn);
    public long BytesOut => Interlocked.Read(ref _bytesOut);
    public long BytesIn => Interlocked.Read(ref _bytesIn);
    public long SlowClientsDropped => Interlocked.Read(ref _slowClientsDropped);
    public long PingTimeouts => Interlocked.Read(ref _pingTimeouts);
    public long UptimeSeconds => (long)Stopwatch.GetElapsedTime(_startTimestamp).TotalSeconds;

    public void ConnectionOpened() => Interlocked.Increment(ref _connectionsTotal);
    public void MessagesSent(int count) => Interlocked.Add(ref _messagesOut, count);
    public void MessageReceived() => Interlocked.Increment(ref _messagesIn);
    public void BytesReceived(long bytes) => Interlocked.Add(ref _bytesIn, bytes);

    public void BytesSent(long bytes) => Interlocked.Add(ref _bytesOut, bytes);
    public void SlowClientDropped() => Interlocked.Increment(ref _slowClientsDropped);
    public void PingTimedOut() => Interlocked.Increment(ref _pingTimeouts);
}
