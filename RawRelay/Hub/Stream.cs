namespace RawRelay.Hub;

/// <summary>What a fan-out did: connections counted in <c>OK &lt;n&gt;</c>, and those that queued the message.</summary>
internal readonly record struct FanOut(int Counted, int Queued);

/// <summary>
/// The connections on one stream (all connections, one id's, one channel's) and the order of its messages:
/// a message is handed to every member under the stream's lock, so two messages reach every member in the
/// same order and a member that joins or leaves sees a message wholly or not at all. The lock is held only
/// to hand messages over (never for I/O) and is the monitor of the stream object itself, so an idle stream
/// costs no lock object. Each kind of stream keeps a member's index where it likes. A stream that becomes
/// unused is retired: it takes no member again, and its owner drops it. Locks are taken in the order id
/// stream, channel, connection. Thread-safe.
/// </summary>
internal abstract class Stream
{
    private MemberList<IRelayConnection> _members;
    private bool _retired;

    public int Count
    {
        get
        {
            lock (this)
                return _members.Count;
        }
    }

    /// <summary>True once the stream is unused and has been dropped (or is being dropped) by its owner.</summary>
    public bool IsRetired
    {
        get
        {
            lock (this)
                return _retired;
        }
    }

    /// <summary>The members, for a derived stream's work under its lock.</summary>
    protected ReadOnlySpan<IRelayConnection> Members => _members.Members;

    /// <summary>Whether the stream is retired, for a derived stream's work under its lock.</summary>
    protected bool Retired => _retired;

    /// <summary>The member's index in this stream (-1 when not a member); called under the stream's lock.</summary>
    protected abstract int GetIndex(IRelayConnection connection);

    /// <summary>Records the member's index in this stream (-1: not a member); called under the stream's lock.</summary>
    protected abstract void SetIndex(IRelayConnection connection, int index);

    /// <summary>Adds a member; false when <paramref name="limit"/> members are there already or the stream is retired.</summary>
    public bool Add(IRelayConnection connection, int limit = int.MaxValue)
    {
        lock (this)
        {
            if (_retired || _members.Count >= limit)
                return false;
            if (GetIndex(connection) >= 0)
                return true;                    // a member already
            SetIndex(connection, _members.Add(connection));
            OnAdded(connection);
            return true;
        }
    }

    /// <summary>
    /// Removes a member; true when it was one. <paramref name="retired"/> says whether that retired the
    /// stream (its owner then drops it). Safe for a connection that is not a member.
    /// </summary>
    public bool Remove(IRelayConnection connection, out bool retired)
    {
        lock (this)
        {
            retired = false;
            int index = GetIndex(connection);
            if (index < 0)
                return false;                   // never added, or removed already
            IRelayConnection? moved = _members.RemoveAt(index);
            if (moved is not null)
                SetIndex(moved, index);
            SetIndex(connection, -1);
            OnRemoved(connection);
            retired = RetireIfUnused();
            return true;
        }
    }

    /// <summary>As <see cref="Remove(IRelayConnection, out bool)"/>; true when that retired the stream.</summary>
    public bool Remove(IRelayConnection connection)
    {
        Remove(connection, out bool retired);
        return retired;
    }

    /// <summary>Hands <paramref name="message"/> to every member, in the stream's order.</summary>
    public FanOut Publish(Message message)
    {
        lock (this)
            return Deliver(message);
    }

    /// <summary>The members as of now, for work done outside the lock (LIST, CLOSE).</summary>
    public IRelayConnection[] Snapshot()
    {
        lock (this)
            return _members.ToArray();
    }

    /// <summary>Hands the message to every member; the caller holds the lock.</summary>
    protected FanOut Deliver(Message message)
    {
        int counted = 0, queued = 0;
        foreach (IRelayConnection connection in _members.Members)
        {
            switch (connection.Deliver(message))
            {
                case DeliveryResult.Queued:
                    counted++;
                    queued++;
                    break;
                case DeliveryResult.CutOff:
                    counted++;
                    break;
            }
        }

        return new FanOut(counted, queued);
    }

    /// <summary>Retires the stream when nothing keeps it (see <see cref="IsUnused"/>); true when it did. Under the lock.</summary>
    protected bool RetireIfUnused()
    {
        if (_retired || !IsUnused())
            return false;
        _retired = true;
        OnRetired();
        return true;
    }

    /// <summary>Whether the stream may be dropped: by default when it has no member. Under the lock.</summary>
    protected virtual bool IsUnused() => _members.Count == 0;

    /// <summary>A member joined. Under the lock.</summary>
    protected virtual void OnAdded(IRelayConnection connection)
    {
    }

    /// <summary>A member left. Under the lock.</summary>
    protected virtual void OnRemoved(IRelayConnection connection)
    {
    }

    /// <summary>The stream was retired. Under the lock.</summary>
    protected virtual void OnRetired()
    {
    }
}
