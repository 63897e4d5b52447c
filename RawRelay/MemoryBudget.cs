namespace RawRelay;

/// <summary>
/// Bounds what many connections together hold of something unfinished (a control connection's input that
/// is not yet run, a client's message that is still coming in and is kept whole): each may hold
/// <see cref="FreeBytes"/> of its own, and beyond that takes from a budget shared by all; a connection that
/// would take the budget past its limit is refused and closed. So no number of connections can make the
/// relay hold more than their count times <see cref="FreeBytes"/> plus the budget. Thread-safe (interlocked).
/// </summary>
internal sealed class MemoryBudget(long limit)
{
    /// <summary>What one connection may hold without taking from the budget.</summary>
    public const int FreeBytes = 64 * 1024;

    private long _used;

    /// <summary>The shared budget for things of up to <paramref name="maxMessage"/> bytes: 64 MiB, or four of the largest, if more.</summary>
    public static long ForMessagesUpTo(long maxMessage) => Math.Max(64L * 1024 * 1024, 4 * (maxMessage + 256));

    public long Limit => limit;

    public long Used => Interlocked.Read(ref _used);

    /// <summary>
    /// Sets what the caller holds beyond <see cref="FreeBytes"/> from <paramref name="held"/> to
    /// <paramref name="wanted"/>; false (nothing changed) when that would pass the limit.
    /// </summary>
    public bool TryResize(ref long held, long wanted)
    {
        wanted = Math.Max(0, wanted - FreeBytes);
        long delta = wanted - held;
        if (delta > 0 && Interlocked.Add(ref _used, delta) > limit)
        {
            Interlocked.Add(ref _used, -delta);
            return false;
        }

        if (delta < 0)
            Interlocked.Add(ref _used, delta);
        held = wanted;
        return true;
    }
}
