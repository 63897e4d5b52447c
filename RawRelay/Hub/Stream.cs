namespace RawRelay.Hub;

/// <summary>What a fan-out did: connections counted in <c>OK &lt;n&gt;</c>, and those that queued the message.</summary>
internal readonly record struct FanOut(int Counted, int Queued)
{
    public static FanOut operator +(FanOut a, FanOut b) => new(a.Counted + b.Counted, a.Queued + b.Queued);
}

/// <summary>
/// The connections on one stream (all connections, one id's, later a channel's) and the order of its
/// messages: a message is handed to every member under the stream's lock, so two messages reach every
/// member in the same order and a member that joins or leaves sees a message wholly or not at all. The
/// lock is held only to hand messages over (never for I/O) and is the monitor of the stream object
/// itself, so an idle stream costs no lock object. Each kind of stream keeps a member's index in its own
/// slot. Thread-safe.
/// </summary>
internal abstract class Stream
{
    private MemberList<IRelayConnection> _members;

    public int Count
    {
        get
        {
            lock (this)
                return _members.Count;
        }
    }

    /// <summary>The member's index in this stream; only read and written under the stream's lock.</summary>
    protected abstract ref int IndexOf(IRelayConnection connection);

    /// <summary>Adds a member; false when <paramref name="limit"/> members are there already.</summary>
    public bool Add(IRelayConnection connection, int limit = int.MaxValue)
    {
        lock (this)
        {
            if (_members.Count >= limit || !CanJoin())
                return false;
            IndexOf(connection) = _members.Add(connection);
            return true;
        }
    }

    /// <summary>
    /// Removes a member; true when it was the last one (the stream is empty now). Safe for a connection that
    /// is not a member.
    /// </summary>
    public bool Remove(IRelayConnection connection)
    {
        lock (this)
        {
            ref int index = ref IndexOf(connection);
            if (index < 0)
                return false;                   // never added, or removed already
            IRelayConnection? moved = _members.RemoveAt(index);
            if (moved is not null)
                IndexOf(moved) = index;
            index = -1;
            if (_members.Count != 0)
                return false;
            OnEmpty();
            return true;
        }
    }

    /// <summary>Hands <paramref name="message"/> to every member, in the stream's order.</summary>
    public FanOut Publish(Message message)
    {
        lock (this)
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
    }

    /// <summary>The members as of now, for work done outside the lock (LIST, CLOSE).</summary>
    public IRelayConnection[] Snapshot()
    {
        lock (this)
            return _members.ToArray();
    }

    /// <summary>Whether a connection may join now (an id's stream that has been retired may not). Under the lock.</summary>
    protected virtual bool CanJoin() => true;

    /// <summary>The last member left. Under the lock.</summary>
    protected virtual void OnEmpty()
    {
    }
}
