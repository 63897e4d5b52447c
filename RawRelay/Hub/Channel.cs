namespace RawRelay.Hub;

/// <summary>
/// A named group of connections (SPEC, Streams and channels): its stream, and how many ids are subscribed to
/// it. It exists while it has a connection, a subscribed id or something kept in history; then it is
/// retired and its map forgets it. A member's
/// index lives in the member's <see cref="ChannelSlots"/>, under the member's monitor (a leaf lock taken
/// inside this channel's). Thread-safe.
/// </summary>
internal sealed class Channel(string name, ChannelMap map) : Stream
{
    private int _subscribers;

    public override string Name { get; } = name;

    /// <summary>Ids subscribed to this channel.</summary>
    public int Subscribers
    {
        get
        {
            lock (this)
                return _subscribers;
        }
    }

    /// <summary>Counts one more subscribed id; false when the channel is retired (ask the map again).</summary>
    public bool TryAddSubscriber()
    {
        lock (this)
        {
            if (Retired)
                return false;
            _subscribers++;
            return true;
        }
    }

    /// <summary>Counts one subscribed id less; true when that retired the channel.</summary>
    public bool RemoveSubscriber()
    {
        lock (this)
        {
            _subscribers--;
            return RetireIfUnused();
        }
    }

    /// <summary>Whether <paramref name="connection"/> is on this channel.</summary>
    public bool Has(IRelayConnection connection)
    {
        lock (connection)
            return connection.Slots.Channels.IndexIn(this) >= 0;
    }

    protected override int GetIndex(IRelayConnection connection)
    {
        lock (connection)
            return connection.Slots.Channels.IndexIn(this);
    }

    protected override void SetIndex(IRelayConnection connection, int index)
    {
        lock (connection)
            connection.Slots.Channels.Set(this, index);
    }

    protected override bool IsUnused() => base.IsUnused() && _subscribers == 0;

    protected override void OnRetired() => map.Forget(this);

    protected override HistoryStore History => map.History;

    protected override void OnAdded(IRelayConnection connection)
    {
        if (Members.Length == 1)
            map.Presence.ChannelJoined(Name);
    }

    protected override void OnRemoved(IRelayConnection connection)
    {
        if (Members.Length == 0)
            map.Presence.ChannelLeft(Name);
    }
}
