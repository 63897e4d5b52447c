using System.Collections.Concurrent;

namespace RawRelay.Hub;

/// <summary>
/// Tracks the listed connections: all of them (<see cref="All"/>, BROADCAST's stream), each id's (several
/// may share one) with the id's subscriptions, and the channels (<see cref="Channels"/>). It only tracks:
/// fan-out is the streams' and <see cref="Relay"/>'s. Adding and removing cost O(1) whatever the number of
/// connections per id or channel; only LIST sorts. Ids that have subscriptions but no connection are
/// forgotten after the subscription ttl (<see cref="ExpireIdle"/>). Thread-safe: lookups are lock-free;
/// each stream has its own lock.
/// </summary>
internal sealed class ConnectionRegistry
{
    private readonly ConcurrentDictionary<string, IdStream> _ids = new(StringComparer.Ordinal);
    private readonly PriorityQueue<IdStream, long> _idle = new();
    private readonly Lock _idleGate = new();
    private long _nextSequence;

    public ConnectionRegistry(HistoryStore? history = null, long offlineDelayMs = 3000)
    {
        History = history ?? HistoryStore.Off;
        Presence = new Presence(Events, offlineDelayMs);
        Channels = new ChannelMap(History, Presence);
    }

    /// <summary>The relay's events: opens, closes, client messages, presence.</summary>
    public EventBus Events { get; } = new();

    /// <summary>OFFLINE, OCCUPIED and VACATED.</summary>
    public Presence Presence { get; }

    public AllStream All { get; } = new();

    public ChannelMap Channels { get; }

    /// <summary>The relay's history (off unless <c>--history</c>).</summary>
    public HistoryStore History { get; }

    public int Count => All.Count;

    /// <summary>The cluster this relay belongs to (<c>--redis</c>), told of every connection listed and removed; null on a single node.</summary>
    public IClusterMembership? Cluster { get; set; }

    /// <summary>The next sequence number for a connection about to be registered.</summary>
    public long NextSequence() => Interlocked.Increment(ref _nextSequence);

    /// <summary>
    /// Lists a connection unless <paramref name="limit"/> are listed already; it joins its id's channels and
    /// those it asked for. A connection removed while this runs (shutdown's close of all) ends up not listed.
    /// </summary>
    public bool TryAdd(IRelayConnection connection, int limit)
    {
        if (!All.Add(connection, limit))
            return false;
        while (!IdStreamOf(connection.Id).Add(connection))
        {
            // That id's stream was retired by its last leaver a moment ago: ask again.
        }

        if (Interlocked.CompareExchange(ref connection.Slots.State, HubSlots.Listed, HubSlots.New) != HubSlots.New)
            Unlist(connection);                 // removed while being added
        return true;
    }

    /// <summary>Removes a connection (from every stream); safe to call more than once, and before or while it is added.</summary>
    public void Remove(IRelayConnection connection)
    {
        if (Interlocked.Exchange(ref connection.Slots.State, HubSlots.Removed) != HubSlots.Listed)
            return;                             // from New, the adder unlists it; from Removed, it is gone
        if (Cluster is not { } cluster)
        {
            Unlist(connection);
            return;
        }

        string[] channels = ChannelNamesOf(connection);
        Unlist(connection);
        cluster.Removed(connection, channels);
    }

    /// <summary>The names of the channels a connection is on now.</summary>
    public static string[] ChannelNamesOf(IRelayConnection connection)
    {
        Channel[] on;
        lock (connection)
            on = connection.Slots.Channels.ToArray();
        return Array.ConvertAll(on, static c => c.Name);
    }

    /// <summary>Every id that has connections or subscriptions here.</summary>
    public IdStream[] Ids() => [.. _ids.Values];

    /// <summary>The id's stream, or null when the id has no connection and no subscription.</summary>
    public IdStream? Find(string id) => _ids.TryGetValue(id, out IdStream? stream) ? stream : null;

    /// <summary>Subscribes an id (which may have no connection yet) to a channel; the id's open connections join it.</summary>
    public SubscribeOutcome Subscribe(string id, string channel, int maxChannels, out int connections)
    {
        while (true)
        {
            SubscribeOutcome outcome = IdStreamOf(id).Subscribe(channel, maxChannels, out connections);
            if (outcome != SubscribeOutcome.Retired)
                return outcome;
        }
    }

    /// <summary>Ends an id's subscription to a channel and takes its connections off it; returns how many left.</summary>
    public int Unsubscribe(string id, string channel)
    {
        if (Find(id) is not { } stream)
            return 0;
        int left = stream.Unsubscribe(channel, out bool retired);
        if (retired)
            Forget(stream);
        return left;
    }

    /// <summary>Every listed connection that is not closing, oldest first (for LIST: only it needs the order).</summary>
    public IRelayConnection[] ListOldestFirst() => OldestFirst(All);

    /// <summary>The listed connections of one stream that are not closing, oldest first.</summary>
    public static IRelayConnection[] OldestFirst(Stream stream)
    {
        IRelayConnection[] members = Array.FindAll(stream.Snapshot(), static c => !c.IsClosing);
        Array.Sort(members, static (a, b) => a.Sequence.CompareTo(b.Sequence));
        return members;
    }

    /// <summary>Forgets the subscriptions of ids that have had no connection for <paramref name="ttl"/> ms.</summary>
    public void ExpireIdle(long ttl)
    {
        long now = Environment.TickCount64;
        while (true)
        {
            IdStream stream;
            lock (_idleGate)
            {
                if (!_idle.TryPeek(out stream!, out long since) || now - since < ttl)
                    return;
                _idle.Dequeue();
            }

            if (stream.ExpireIfIdle(now, ttl, out long? due))
                Forget(stream);
            else if (due is { } later)
                lock (_idleGate)
                    _idle.Enqueue(stream, later - ttl);  // a SUBSCRIBE or a close since: due later
        }
    }

    /// <summary>The id's stream, made (and, with history on, pinned) when there is none; for POSITION.</summary>
    public StreamPosition Pin(string id, HistoryStore history)
    {
        while (true)
        {
            if (IdStreamOf(id).Pin(history) is { } position)
                return position;
        }
    }

    /// <summary>An id without connections got subscriptions or lost its last connection: its ttl runs.</summary>
    internal void BecameIdle(IdStream stream)
    {
        lock (_idleGate)
            _idle.Enqueue(stream, Environment.TickCount64);
    }

    /// <summary>Forgets a retired id stream (a fresh one may already have taken its id).</summary>
    internal void Forget(IdStream stream) => _ids.TryRemove(new KeyValuePair<string, IdStream>(stream.Id, stream));

    private IdStream IdStreamOf(string id)
    {
        while (true)
        {
            IdStream stream = _ids.GetOrAdd(id, static (key, registry) => new IdStream(key, registry), this);
            if (!stream.IsRetired)
                return stream;
            Forget(stream);                     // retired a moment ago
        }
    }

    private void Unlist(IRelayConnection connection)
    {
        All.Remove(connection);
        if (Find(connection.Id) is { } stream && stream.Remove(connection))
            Forget(stream);                     // retired: it takes no member again
    }
}
