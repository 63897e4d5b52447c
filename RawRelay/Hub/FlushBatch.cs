namespace RawRelay.Hub;

/// <summary>
/// Connections that got frames during a batch of commands and whose flush the batch owns, so that each
/// is written once per batch with everything queued for it (one write for many frames). Not thread-safe: one
/// per control connection.
/// </summary>
internal sealed class FlushBatch
{
    private readonly HashSet<IRelayConnection> _pending = new(ReferenceEqualityComparer.Instance);

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
        foreach (IRelayConnection connection in _pending)
            connection.Flush();
        _pending.Clear();
    }
}
