namespace RawRelay.Control;

/// <summary>
/// Bounds what all control connections together hold of input that is not yet run (an unfinished long
/// line or payload): each may hold <see cref="FreeBytes"/> of its own, and beyond that takes from a budget
/// shared by all; a connection that would take the budget past its limit is refused (<c>ERR busy</c>) and
/// closed. So no number of unfinished commands can make the relay hold more than the open control
/// connections times <see cref="FreeBytes"/> plus the budget. Thread-safe (interlocked).
/// </summary>
internal sealed class ControlInputBudget(long limit)
{
    /// <summary>What one connection may hold without taking from the budget.</summary>
    public const int FreeBytes = 64 * 1024;

    private long _used;

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
