namespace RawRelay.WebSockets;

/// <summary>
/// Counts connections from their upgrade until their socket is closed (longer than they are listed: a
/// closing connection leaves the registry at once), so that shutdown can wait for the last close.
/// Thread-safe.
/// </summary>
internal sealed class LiveConnections
{
    private readonly Lock _gate = new();
    private int _count;
    private TaskCompletionSource? _none;

    public int Count
    {
        get
        {
            lock (_gate)
                return _count;
        }
    }

    public void Opened()
    {
        lock (_gate)
            _count++;
    }

    public void Closed()
    {
        lock (_gate)
        {
            if (--_count == 0 && _none is not null)
            {
                _none.TrySetResult();
                _none = null;
            }
        }
    }

    /// <summary>Completes once every connection is closed.</summary>
    public Task WhenNone()
    {
        lock (_gate)
        {
            if (_count == 0)
                return Task.CompletedTask;
            _none ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _none.Task;
        }
    }
}
