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
    private IdSubscriptions? _subs;         // made for an id's first subscription: most ids never have one

    public string Id { get; } = id;

    /// <summary><c>#id</c>; made when asked, never kept (a message's header writes it without the string).</summary>
    public override string Name => "#" + Id;

    public override int WriteName(Span<byte> destination)
    {
        destination[0] = (byte)'#';
        return 1 + System.Text.Encoding.ASCII.GetBytes(Id, destination[1..]);
    }

    public override bool IsNamed(string name) => name.Length == Id.Length + 1 && name[0] == '#' && name.AsSpan(1).SequenceEqual(Id);

    protected override int GetIndex(IRelayConnection connection) => connection.Slots.IdIndex;

    protected override void SetIndex(IRelayConnection connection, int index) => connection.Slots.IdIndex = index;

    protected override bool IsUnused() => base.IsUnused() && SubscriptionCount == 0;

    protected override void OnRetired() => registry.Forget(this);

    protected override HistoryStore History => registry.History;

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
                if (SubscriptionCount >= maxChannels)
                    return SubscribeOutcome.TooMany;
                channel = registry.Channels.Subscribe(name);
                IdSubscriptions subs = Subs;
                if (subs.Channels is null)
                    subs.Channels = new Channel[1];
                else if (subs.Count == subs.Channels.Length)
                    Array.Resize(ref subs.Channels, subs.Channels.Length * 2);
                subs.Channels[subs.Count++] = channel;
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

    /// <summary>The names of the id's subscriptions only (not the channels its connections asked for).</summary>
    public string[] SubscriptionNames()
    {
        lock (this)
        {
            var names = new string[SubscriptionCount];
            for (int i = 0; i < names.Length; i++)
                names[i] = Subscriptions![i].Name;
            return names;
        }
    }

    /// <summary>The names of the id's subscriptions and of every channel its connections are on, in byte order.</summary>
    public string[] ChannelNames()
    {
        lock (this)
        {
            var names = new SortedSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < SubscriptionCount; i++)
                names.Add(Subscriptions![i].Name);
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
            if (!Retired && Members.Length == 0 && SubscriptionCount > 0 && now - IdleSince < ttl)
            {
                due = IdleSince + ttl;         // stays in the queue, due later
                return false;
            }

            AwaitingExpiry = false;
            if (Retired || Members.Length > 0 || SubscriptionCount == 0)
                return false;                   // in use again, or nothing to expire

            while (SubscriptionCount > 0)
            {
                Channel channel = Subscriptions![SubscriptionCount - 1];
                RemoveSubscription(channel);
                registry.Channels.Unsubscribe(channel);
            }

            return RetireIfUnused();
        }
    }

    /// <summary>A connection of the id joined: it goes on the id's channels and on those it asked for.</summary>
    protected override void OnAdded(IRelayConnection connection)
    {
        if (Members.Length == 1)
            registry.Presence.IdConnected(Id);
        for (int i = 0; i < SubscriptionCount; i++)
            Subscriptions![i].Add(connection);
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
        if (Members.Length > 0)
            return;
        registry.Presence.IdDisconnected(Id);
        if (SubscriptionCount > 0)
            BecomeIdle();                       // the ttl counts from the last close
    }

    private void BecomeIdle()
    {
        IdleSince = Environment.TickCount64;
        if (AwaitingExpiry)
            return;
        AwaitingExpiry = true;
        registry.BecameIdle(this);
    }

    private Channel[]? Subscriptions
    {
        get => _subs?.Channels;
        set => Subs.Channels = value;
    }

    private int SubscriptionCount
    {
        get => _subs?.Count ?? 0;
        set => Subs.Count = value;
    }

    /// <summary>The later of the last close and the latest SUBSCRIBE: the subscription ttl counts from it.</summary>
    private long IdleSince
    {
        get => _subs?.IdleSince ?? 0;
        set => Subs.IdleSince = value;
    }

    /// <summary>True while the id is in the registry's queue of idle ids.</summary>
    private bool AwaitingExpiry
    {
        get => _subs?.AwaitingExpiry ?? false;
        set => Subs.AwaitingExpiry = value;
    }

    private IdSubscriptions Subs => _subs ??= new IdSubscriptions();

    private Channel? FindSubscription(string name)
    {
        for (int i = 0; i < SubscriptionCount; i++)
        {
            if (Subscriptions![i].Name == name)
                return Subscriptions[i];
        }

        return null;
    }

    private void RemoveSubscription(Channel channel)
    {
        int at = Array.IndexOf(Subscriptions!, channel, 0, SubscriptionCount);
        Subscriptions![at] = Subscriptions[--SubscriptionCount];
        Subscriptions[SubscriptionCount] = null!;
        if (SubscriptionCount == 0)
            Subscriptions = null;
    }
}

/// <summary>An id's subscriptions and their ttl, made with its first subscription. Guarded by the id stream's lock.</summary>
internal sealed class IdSubscriptions
{
    public Channel[]? Channels;
    public int Count;
    public long IdleSince;
    public bool AwaitingExpiry;
}
