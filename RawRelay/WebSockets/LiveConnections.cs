using RawRelay.Hub;

namespace RawRelay.WebSockets;

/// <summary>
/// The connections whose socket is open, from their upgrade until it is closed (longer than they are
/// listed: a closing connection leaves the registry at once): the keepalive pings them, the housekeeping
/// checks their queues, and shutdown closes them and waits for the last. Thread-safe.
/// </summary>
internal sealed class LiveConnections
{
    private readonly Lock _gate = new();
    private MemberList<WebSocketConnection> _members;
    private long _churn;
    private TaskCompletionSource? _none;

    public int Count
    {
        get
        {
            lock (_gate)
                return _members.Count;
        }
    }

    /// <summary>How many connections have opened or closed so far.</summary>
    public long Churn => Interlocked.Read(ref _churn);

    public void Opened(WebSocketConnection connection)
    {
        Interlocked.Increment(ref _churn);
        lock (_gate)
            connection.LiveIndex = _members.Add(connection);
    }

    public void Closed(WebSocketConnection connection)
    {
        Interlocked.Increment(ref _churn);
        lock (_gate)
        {
            int index = connection.LiveIndex;
            if (index < 0)
                return;
            WebSocketConnection? moved = _members.RemoveAt(index);
            if (moved is not null)
                moved.LiveIndex = index;
            connection.LiveIndex = -1;
            if (_members.Count == 0 && _none is not null)
            {
                _none.TrySetResult();
                _none = null;
            }
        }
    }

    /// <summary>The live connections as of now.</summary>
    public WebSocketConnection[] Snapshot()
    {
        lock (_gate)
            return _members.ToArray();
    }

    /// <summary>Completes once every connection is closed.</summary>
    public Task WhenNone()
    {
        lock (_gate)
        {
            if (_members.Count == 0)
                return Task.CompletedTask;
            _none ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _none.Task;
        }
    }
}
