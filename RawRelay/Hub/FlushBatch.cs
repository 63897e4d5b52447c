namespace RawRelay.Hub;

/// <summary>
/// Connections that got frames during a batch of commands and whose flush the batch owns, so that each
/// is written once per batch with everything queued for it (one write for many frames). A large batch is
/// flushed on every core at once: the writes are independent system calls. Not thread-safe: one per
/// control connection.
/// </summary>
internal sealed class FlushBatch
{
    /// <summary>Below this many connections one thread flushes them all; above, the cores share the work.</summary>
    private const int ParallelMinimum = 256;

    private readonly HashSet<IRelayConnection> _pending = new(ReferenceEqualityComparer.Instance);
    private IRelayConnection[] _flushing = [];

    public int Count => _pending.Count;

    /// <summary>Queues a frame and remembers the connection when its flush falls to this batch.</summary>
    public void Enqueue(IRelayConnection connection, ReadOnlyMemory<byte> frame)
    {
        switch (connection.TryEnqueue(frame))
        {
            case EnqueueResult.QueuedNeedsFlush:
                _pending.Add(connection);
                break;
            case EnqueueResult.QueuedHalfFull when _pending.Remove(connection):
                connection.Flush();             // a long batch must not make a client look slow
                break;
        }
    }

    /// <summary>Flushes every remembered connection; none of them waits for a slow peer.</summary>
    public void FlushAll()
    {
        int count = _pending.Count;
        int cores = Environment.ProcessorCount;
        if (count < ParallelMinimum || cores == 1)
        {
            foreach (IRelayConnection connection in _pending)
                connection.Flush();
            _pending.Clear();
            return;
        }

        if (_flushing.Length < count)
            _flushing = new IRelayConnection[Math.Max(count, _flushing.Length * 2)];
        _pending.CopyTo(_flushing);
        _pending.Clear();
        IRelayConnection[] flushing = _flushing;
        Parallel.For(0, cores, core =>
        {
            for (int i = core; i < count; i += cores)
                flushing[i].Flush();
        });
        Array.Clear(flushing, 0, count);
    }
}
