namespace RawRelay.Hub;

/// <summary>
/// Connections that got frames during a batch of commands and whose flush the batch owns, so that each
/// is written once per batch with everything queued for it (one write for many frames). The batch itself is
/// the owner token it gives <see cref="IRelayConnection.TryEnqueue"/>. A large batch is flushed by two
/// threads at once (the writes are independent system calls), and <see cref="FlushAll"/> returns when
/// both are done, so no flush of this batch runs while the next batch queues. Not thread-safe: one per
/// control connection.
/// </summary>
internal sealed class FlushBatch : IThreadPoolWorkItem
{
    /// <summary>Below this many connections one thread flushes them all.</summary>
    private const int SharedMinimum = 256;

    private readonly List<IRelayConnection> _pending = [];
    private readonly ManualResetEventSlim _sharedDone = new();
    private int _sharedStart;

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
        int count = _pending.Count;
        // Share only when a pool thread is likely free at once: this thread waits for the other half.
        if (count < SharedMinimum || Environment.ProcessorCount == 1 || ThreadPool.PendingWorkItemCount > 0)
        {
            FlushRange(0, count);
        }
        else
        {
            // The second half goes to a pool thread while this thread writes the first.
            _sharedStart = count / 2;
            _sharedDone.Reset();
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
            FlushRange(0, _sharedStart);
            _sharedDone.Wait();
        }

        _pending.Clear();
    }

    void IThreadPoolWorkItem.Execute()
    {
        try
        {
            FlushRange(_sharedStart, _pending.Count);
        }
        finally
        {
            _sharedDone.Set();
        }
    }

    private void FlushRange(int start, int end)
    {
        for (int i = start; i < end; i++)
            _pending[i].Flush(this);
    }
}
