namespace RawRelay.Hub;

/// <summary>
/// Connections that got frames during a batch of commands and whose flush the batch owns, so that each
/// is written once per batch with everything queued for it (one write for many frames). The batch itself is
/// the owner token it gives <see cref="IRelayConnection.TryEnqueue"/>. Not thread-safe: one per control
/// connection.
/// </summary>
internal sealed class FlushBatch
{
    private readonly List<IRelayConnection> _pending = [];

    public int Count => _pending.Count;

    /// <summary>Queues a frame and remembers the connection when its flush falls to this batch.</summary>
    public void Enqueue(IRelayConnection connection, ReadOnlyMemory<byte> frame)
    {
        switch (connection.TryEnqueue(frame, this))
        {
            case EnqueueResult.QueuedNeedsFlush:
                _pending.Add(connection);
                break;
            case EnqueueResult.QueuedHalfFull:
                connection.Flush(this);         // a long batch must not make a client look slow
                break;
        }
    }

    /// <summary>
    /// Flushes every remembered connection; none of them waits for a slow peer. One flushed early and
    /// taken over by someone else since is left alone (its <see cref="IRelayConnection.Flush"/> does nothing).
    /// </summary>
    public void FlushAll()
    {
        foreach (IRelayConnection connection in _pending)
            connection.Flush(this);
        _pending.Clear();
    }
}
