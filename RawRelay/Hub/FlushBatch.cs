namespace RawRelay.Hub;

/// <summary>
/// Connections that got frames during a batch of commands and whose flush the batch owns, so that each
/// is written once per batch with everything queued for it (one write for many frames). Not thread-safe:
/// one per control connection.
/// </summary>
internal sealed class FlushBatch
{
    private readonly List<IRelayConnection> _pending = [];

    public int Count => _pending.Count;

    /// <summary>Queues a frame and remembers the connection when its flush falls to this batch.</summary>
    public void Enqueue(IRelayConnection connection, ReadOnlyMemory<byte> frame)
    {
        if (connection.TryEnqueue(frame) == EnqueueResult.QueuedNeedsFlush)
            _pending.Add(connection);
    }

    /// <summary>Flushes every remembered connection; none of them waits for a slow peer.</summary>
    public void FlushAll()
    {
        foreach (IRelayConnection connection in _pending)
            connection.Flush();
        _pending.Clear();
    }
}
