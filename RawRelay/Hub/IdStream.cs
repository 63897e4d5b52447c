namespace RawRelay.Hub;

/// <summary>What <see cref="IdStream.Subscribe"/> did.</summary>
internal enum SubscribeOutcome
{
    Subscribed,

    /// <summary>The id has <c>--max-channels</c> subscriptions already.</summary>
    TooMany,

    /// <summary>The stream was retired a moment ago: ask the registry's map again.</summary>
    Retired,
}

/// <summary>
/// One id: the stream of its connections (one user, several tabs) and its subscriptions, which belong to
/// the id, not to a connection (SPEC): every connection of the id is on every channel the id is subscribed
/// to, also those that open later, until UNSUBSCRIBE, or until the id has had no connection for the
/// subscription ttl. A connection also joins the channels it asked for when it connected. The stream is
/// retired (and the registry forgets it) once it has no connection, no subscription and nothing kept in
/// history. Thread-safe:
/// every change of its connections' channels happens under its lock, with the channel's inside.
/// </summary>
internal sealed class IdStream(string id, ConnectionRegistry registry) : Stream
{
    private string? _name;
    private Channel[]? _subscriptions;
    private int _subscriptionCount;
    private long _idleSince = Environment.TickCount64;
    private bool _awaitingExpiry;           // in the registry's queue of idle ids

    public string Id { get; } = id;

    /// <summary><c>#id</c>, written out the first time a position or a resume needs it.</summary>
    public override string Name => _name ??= "#" + Id;

    protected override int GetIndex(IRelayConnection connection) => connection.Slots.IdIndex;

    protected override void SetIndex(IRelayConnection connection, int index) => connection.Slots.IdIndex = index;

    protected override bool IsUnused() => base.IsUnused() && _subscriptionCount == 0;

    protected override void OnRetired() => registry.Forget(this);

    /// <summary>Subscribes the id to <paramref name="name"/>: every connection of it joins; returns how many are on it now.</summary>
    public SubscribeOutcome Subscribe(string name, int maxChannels, out int connections)
    {
        lock (this)
        {
            connections = 0;
            if (Retired)
                return SubscribeOutcome.Retired;
            Channel? channel = FindSubscription(name);
            if (channel is null)
            {
                if (_subscriptionCount >= maxChannels)
                    return SubscribeOutcome.TooMany;
                channel = registry.Channels.Subscribe(name);
                if (_subscriptions is null)
                    _subscriptions = new Channel[1];
                else if (_subscriptionCount == _subscriptions.Length)
                    Array.Resize(ref _subscriptions, _subscriptions.Length * 2);
                _subscriptions[_subscriptionCount++] = channel;
            }

            foreach (IRelayConnection connection in Members)
                channel.Add(connection);
            connections = Members.Length;
            if (connections == 0)
                BecomeIdle();                   // the ttl counts from the latest SUBSCRIBE
            return SubscribeOutcome.Subscribed;
        }
    }

    /// <summary>
    /// Ends the subscription to <paramref name="name"/> and takes every connection of the id off the channel
    /// (also one that asked for it when it connected); returns how many left it. True in
    /// <paramref name="retired"/> when the id is left with nothing.
    /// </summary>
    public int Unsubscribe(string name, out bool retired)
    {
        lock (this)
        {
            Channel? channel = FindSubscription(name);
            if (channel is not null)
            {
                RemoveSubscription(channel);
                registry.Channels.Unsubscribe(channel);
            }

            channel ??= registry.Channels.Find(name);
            int left = 0;
            if (channel is not null)
            {
                foreach (IRelayConnection connection in Members.ToArray())
                {
                    if (registry.Channels.Leave(channel, connection))
                        left++;
                }
            }

            retired = RetireIfUnused();
            return left;
        }
    }

    /// <summary>The names of the id's subscriptions and of every channel its connections are on, in byte order.</summary>
    public string[] ChannelNames()
    {
        lock (this)
        {
            var names = new SortedSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < _subscriptionCount; i++)
                names.Add(_subscriptions![i].Name);
            foreach (IRelayConnection connection in Members)
            {
                Channel[] on;
                lock (connection)
                    on = connection.Slots.Channels.ToArray();
                foreach (Channel channel in on)
                    names.Add(channel.Name);
            }

            return [.. names];
        }
    }

    /// <summary>
    /// Drops the subscriptions when the id has had no connection for <paramref name="ttl"/> ms; true when
    /// that retired it. False also when it is not due yet: <paramref name="due"/> then says when.
    /// </summary>
    public bool ExpireIfIdle(long now, long ttl, out long? due)
    {
        lock (this)
        {
            due = null;
            if (!Retired && Members.Length == 0 && _subscriptionCount > 0 && now - _idleSince < ttl)
            {
                due = _idleSince + ttl;         // stays in the queue, due later
                return false;
            }

            _awaitingExpiry = false;
            if (Retired || Members.Length > 0 || _subscriptionCount == 0)
                return false;                   // in use again, or nothing to expire

            while (_subscriptionCount > 0)
            {
                Channel channel = _subscriptions![_subscriptionCount - 1];
                RemoveSubscription(channel);
                registry.Channels.Unsubscribe(channel);
            }

            return RetireIfUnused();
        }
    }

    /// <summary>A connection of the id joined: it goes on the id's channels and on those it asked for.</summary>
    protected override void OnAdded(IRelayConnection connection)
    {
        for (int i = 0; i < _subscriptionCount; i++)
            _subscriptions![i].Add(connection);
        foreach (string name in connection.OwnChannels)
            registry.Channels.Join(name, connection);
    }

    /// <summary>A connection of the id left: it leaves every channel it was on.</summary>
    protected override void OnRemoved(IRelayConnection connection)
    {
        Channel[] on;
        lock (connection)
            on = connection.Slots.Channels.ToArray();
        foreach (Channel channel in on)
            registry.Channels.Leave(channel, connection);
        if (Members.Length == 0 && _subscriptionCount > 0)
            BecomeIdle();                       // the ttl counts from the last close
    }

    private void BecomeIdle()
    {
        _idleSince = Environment.TickCount64;
        if (_awaitingExpiry)
            return;
        _awaitingExpiry = true;
        registry.BecameIdle(this);
    }

    private Channel? FindSubscription(string name)
    {
        for (int i = 0; i < _subscriptionCount; i++)
        {
            if (_subscriptions![i].Name == name)
                return _subscriptions[i];
        }

        return null;
    }

    private void RemoveSubscription(Channel channel)
    {
        int at = Array.IndexOf(_subscriptions!, channel, 0, _subscriptionCount);
        _subscriptions![at] = _subscriptions[--_subscriptionCount];
        _subscriptions[_subscriptionCount] = null!;
        if (_subscriptionCount == 0)
            _subscriptions = null;
    }
}
