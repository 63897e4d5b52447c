using System.Text;

namespace RawRelay.Hub;

/// <summary>What a fan-out did: connections counted in <c>OK &lt;n&gt;</c>, and those that queued the message.</summary>
internal readonly record struct FanOut(int Counted, int Queued);

/// <summary>
/// One stream (all connections, one id's, one channel's): its members, the order and positions of its
/// messages, and what history keeps of them. A message gets its position and is handed to every member
/// under the stream's lock, so two messages reach every member in the same order, and a member that joins
/// or leaves sees a message wholly or not at all; a resuming member gets what it missed under the same
/// lock, just before it joins, so nothing is missed or doubled between the replay and the live messages.
/// The lock is held only to hand messages over (never for I/O) and is the monitor of the stream object
/// itself, so an idle stream costs no lock object. A stream that becomes unused (no member, nothing kept,
/// nothing else its kind counts) is retired: it takes no member again and its owner forgets it, and a stream
/// of that name made later starts a new epoch. Locks are taken in the order id stream, channel, connection,
/// history. Thread-safe.
/// </summary>
internal abstract class Stream
{
    private readonly long _epochSerial = Epochs.NewSerial();
    private MemberList<IRelayConnection> _members;
    private StreamHistory? _history;
    private long _lastOffset;
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

    /// <summary>The stream's name as positions and the rawrelay.v1 header show it: a channel, <c>#id</c> or <c>*</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Writes <see cref="Name"/> as ASCII; returns its length (a stream may do it without making the string).</summary>
    public virtual int WriteName(Span<byte> destination) => Encoding.ASCII.GetBytes(Name, destination);

    /// <summary>Whether <paramref name="name"/> is this stream's (a stream may tell without making its own).</summary>
    public virtual bool IsNamed(string name) => name == Name;

    /// <summary>The epoch of this life of the stream.</summary>
    public string Epoch => _clusterEpoch ?? Epochs.Format(_epochSerial);

    /// <summary>Writes <see cref="Epoch"/> as ASCII without making the string (a message's header line); returns its length.</summary>
    public int WriteEpoch(Span<byte> destination) =>
        _clusterEpoch is { } epoch ? Encoding.ASCII.GetBytes(epoch, destination) : Epochs.Write(_epochSerial, destination);

    /// <summary>In a cluster with history, the epoch Redis gave the stream (its positions are Redis's); null otherwise.</summary>
    private string? _clusterEpoch;

    /// <summary>The position of the stream's last message (offset 0: none yet).</summary>
    public StreamPosition Position
    {
        get
        {
            lock (this)
                return new StreamPosition(Epoch, _lastOffset);
        }
    }

    /// <summary>Under the history's lock: whether the history's sweep has this stream to trim already.</summary>
    internal bool TrimQueued { get; set; }

    /// <summary>The relay's history, for a stream that may be forgotten (null: never pinned on a last leave).</summary>
    protected virtual HistoryStore? History => null;

    /// <summary>The members, for a derived stream's work under its lock.</summary>
    protected ReadOnlySpan<IRelayConnection> Members => _members.Members;

    /// <summary>Whether the stream is retired, for a derived stream's work under its lock.</summary>
    protected bool Retired => _retired;

    /// <summary>The member's index in this stream (-1 when not a member); called under the stream's lock.</summary>
    protected abstract int GetIndex(IRelayConnection connection);

    /// <summary>Records the member's index in this stream (-1: not a member); called under the stream's lock.</summary>
    protected abstract void SetIndex(IRelayConnection connection, int index);

    /// <summary>
    /// Adds a member (after what it missed, when it resumes); false when <paramref name="limit"/> members are
    /// there already or the stream is retired.
    /// </summary>
    public bool Add(IRelayConnection connection, int limit = int.MaxValue)
    {
        lock (this)
        {
            if (_retired || _members.Count >= limit)
                return false;
            if (GetIndex(connection) >= 0)
                return true;                    // a member already
            if (connection.HasResume && connection.ResumeFrom(this) is { } since)
                Resume(connection, since);
            SetIndex(connection, _members.Add(connection));
            OnAdded(connection);
            return true;
        }
    }

    /// <summary>
    /// Removes a member; true when it was one. <paramref name="retired"/> says whether that retired the
    /// stream. Safe for a connection that is not a member.
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
            // With history on, a stream whose last member just left (a page navigation, a phone in a tunnel)
            // keeps this life of it, its epoch and offsets, for the history ttl: what is published meanwhile is
            // kept, and the member resumes without a reset.
            if (_members.Count == 0 && History is { Enabled: true } history)
                (_history ??= new StreamHistory()).Pin(this, history);
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

    /// <summary>
    /// Gives <paramref name="message"/> the stream's next position, keeps it when history is on, and hands it
    /// to every member, in the stream's order.
    /// </summary>
    public FanOut Publish(Message message, HistoryStore history)
    {
        lock (this)
        {
            message.SetPosition(this, ++_lastOffset);
            if (history.Enabled)
                (_history ??= new StreamHistory()).Append(history.Keep(this, message), history);
            return Deliver(message);
        }
    }

    /// <summary>
    /// In a cluster with history: hands the message to every member at the position Redis gave it (the same
    /// on every relay), keeping it; a message this relay has already (seeded by a resume) is skipped. A new
    /// epoch, or a gap (this relay was not subscribed for a while), drops what was kept here: what is kept
    /// stays one run of consecutive offsets.
    /// </summary>
    public FanOut PublishAt(Message message, string epoch, long offset, HistoryStore history)
    {
        lock (this)
        {
            if (_clusterEpoch != epoch)
            {
                _clusterEpoch = epoch;
                DropKept(history);
                _lastOffset = 0;
            }

            if (offset <= _lastOffset)
                return default;
            if (offset != _lastOffset + 1)
                DropKept(history);
            _lastOffset = offset;
            message.SetPosition(this, offset);
            if (history.Enabled)
                (_history ??= new StreamHistory()).Append(history.Keep(this, message), history);
            return Deliver(message);
        }
    }

    /// <summary>
    /// In a cluster with history, before a connection resumes here: what Redis keeps of the stream
    /// (<paramref name="kept"/>, consecutive offsets ending at <paramref name="last"/>) becomes what this relay
    /// keeps, followed by what it received after it; then <see cref="Add"/> replays from it as on one relay.
    /// </summary>
    public void Seed(string epoch, long last, IReadOnlyList<(long Offset, MessageKind Kind, byte[] Payload)> kept, HistoryStore history)
    {
        lock (this)
        {
            if (_clusterEpoch != epoch)
            {
                _clusterEpoch = epoch;
                DropKept(history);
                _lastOffset = 0;
            }

            List<HistoryEntry> local = _history?.TakeAll() ?? [];
            long at = 0;
            foreach ((long offset, MessageKind kind, byte[] payload) in kept)
            {
                if (at != 0 && offset != at + 1)
                    break;
                var message = new Message(kind, payload);
                message.SetPosition(this, offset);
                (_history ??= new StreamHistory()).Append(history.Keep(this, message), history);
                at = offset;
            }

            if (at == 0)
                at = last;
            foreach (HistoryEntry entry in local)
            {
                if (entry.Offset == at + 1 && entry.Frame is not null)
                {
                    (_history ??= new StreamHistory()).Append(entry, history);
                    at = entry.Offset;
                }
                else
                {
                    history.Drop(entry);
                }
            }

            _lastOffset = Math.Max(at, last);
        }
    }

    private void DropKept(HistoryStore history)
    {
        if (_history is null)
            return;
        foreach (HistoryEntry entry in _history.TakeAll())
            history.Drop(entry);
    }

    /// <summary>
    /// The stream's position, and (with history on) a pin that keeps this life of it, its epoch, for the
    /// history ttl, so that a page rendered with it can resume; null when the stream is retired.
    /// </summary>
    public StreamPosition? Pin(HistoryStore history)
    {
        lock (this)
        {
            if (_retired)
                return null;
            if (history.Enabled)
                (_history ??= new StreamHistory()).Pin(this, history);
            return new StreamPosition(Epoch, _lastOffset);
        }
    }

    /// <summary>The members as of now, for work done outside the lock (LIST, CLOSE).</summary>
    public IRelayConnection[] Snapshot()
    {
        lock (this)
            return _members.ToArray();
    }

    /// <summary>Drops what the history evicted; retires the stream when that leaves it unused. Called by the history's sweep.</summary>
    internal void TrimHistory()
    {
        lock (this)
        {
            if (_history is not null && _history.Trim())
                _history = null;
            RetireIfUnused();
        }
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

    /// <summary>Whether the stream may be forgotten: no member and nothing kept, by default. Under the lock.</summary>
    protected virtual bool IsUnused() => _members.Count == 0 && (_history is null || _history.IsEmpty);

    /// <summary>A member joined. Under the lock.</summary>
    protected virtual void OnAdded(IRelayConnection connection)
    {
    }

    /// <summary>A member left. Under the lock.</summary>
    protected virtual void OnRemoved(IRelayConnection connection)
    {
    }

    /// <summary>The stream was retired: its owner forgets it. Under the lock.</summary>
    protected virtual void OnRetired()
    {
    }

    /// <summary>
    /// What a resuming connection missed since <paramref name="since"/>: nothing, every message after it (all
    /// or none), or a <c>!reset</c> notice with the current position when the gap cannot be filled (another
    /// epoch, a position ahead of the stream, messages no longer kept, history off). Under the lock.
    /// </summary>
    private void Resume(IRelayConnection connection, StreamPosition since)
    {
        var current = new StreamPosition(Epoch, _lastOffset);
        if (since == current)
            return;
        if (since.Epoch == current.Epoch && since.Offset < _lastOffset && _history?.Collect(since.Offset + 1, _lastOffset) is { } missed)
        {
            foreach (byte[] frame in missed)
                connection.Replay(frame);
            return;
        }

        connection.Notice(Encoding.ASCII.GetBytes($"!reset {Name} {current}"));
    }
}
