using RawRelay.Diagnostics;
using RawRelay.Hub;
using RawRelay.WebSockets;

namespace RawRelay.Hosting;

/// <summary>
/// Gives memory back after a burst of connections comes and goes. Handshakes and closes leave short-lived
/// objects that the GC promotes while they are still in flight, so after a reconnect storm the heap holds
/// far more than the connections that remain. Once at least <see cref="BurstSize"/> connections have
/// opened or closed and a whole tick has passed without any connection change and without any message
/// (so the pause of the collection delays nobody's message), one compacting full collection returns the
/// freed memory to the OS. Thread-safe; one per relay.
/// </summary>
internal sealed class MemoryTrimmer : IDisposable
{
    public const int BurstSize = 1000;

    private readonly LiveConnections _live;
    private readonly RelayStats _stats;
    private readonly RelayLog _log;
    private readonly Timer _timer;
    private int _ticking;
    private long _activityAtLastTick;
    private long _churnAtLastTrim;

    public MemoryTrimmer(LiveConnections live, RelayStats stats, RelayLog log, TimeSpan tick)
    {
        _live = live;
        _stats = stats;
        _log = log;
        _timer = new Timer(_ => Tick(), null, tick, tick);
    }

    private void Tick()
    {
        // Timer callbacks may overlap when a collection outlasts a tick: one at a time.
        if (Interlocked.Exchange(ref _ticking, 1) != 0)
            return;
        try
        {
            TrimIfQuiet();
        }
        finally
        {
            Volatile.Write(ref _ticking, 0);
        }
    }

    private void TrimIfQuiet()
    {
        long churn = _live.Churn;
        long activity = churn + _stats.MessagesOut + _stats.MessagesIn;
        bool quiet = activity == _activityAtLastTick;
        _activityAtLastTick = activity;
        if (!quiet || churn - _churnAtLastTrim < BurstSize)
            return;
        _churnAtLastTrim = churn;
        long before = Environment.WorkingSet;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        _log.Debug($"memory trimmed after a burst of connections: working set {before / 1024} kB -> " +
            $"{Environment.WorkingSet / 1024} kB, managed heap {GC.GetTotalMemory(false) / 1024} kB, {_live.Count} open");
    }

    public void Dispose() => _timer.Dispose();
}
