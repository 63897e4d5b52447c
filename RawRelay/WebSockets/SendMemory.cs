namespace RawRelay.WebSockets;

/// <summary>
/// The bytes that all backlogged clients' queues keep alive together (their private copies and unfinished
/// writes), against <c>--send-queue-total</c>: a client whose queue would take the total past it is cut off
/// as slow, so no number of slow clients can pin more. Thread-safe (interlocked).
/// </summary>
internal sealed class SendMemory(long limit)
{
    private long _used;

    public long Limit => limit;

    public long Used => Interlocked.Read(ref _used);

    /// <summary>Whether <paramref name="more"/> bytes still fit under the limit.</summary>
    public bool Fits(long more) => Used + more <= limit;

    public void Add(long delta) => Interlocked.Add(ref _used, delta);
}
