using System.Collections.Concurrent;

namespace RawRelay.Hub;

/// <summary>
/// Tracks the listed connections: all of them (<see cref="All"/>, BROADCAST's stream) and each id's
/// (several may share one). It only tracks: fan-out is the streams' and <see cref="Relay"/>'s. Adding
/// and removing cost O(1) whatever the number of connections per id; only LIST sorts, by sequence.
/// Thread-safe: lookups by id are lock-free; each stream has its own lock.
/// </summary>
internal sealed class ConnectionRegistry
{
    private readonly ConcurrentDictionary<string, IdStream> _ids = new(StringComparer.Ordinal);
    private long _nextSequence;

    public AllStream All { get; } = new();

    public int Count => All.Count;

    /// <summary>The next sequence number for a connection about to be registered.</summary>
    public long NextSequence() => Interlocked.Increment(ref _nextSequence);

    /// <summary>
    /// Lists a connection unless <paramref name="limit"/> are listed already. A connection removed while
    /// this runs (shutdown's close of all) ends up not listed.
    /// </summary>
    public bool TryAdd(IRelayConnection connection, int limit)
    {
        if (!All.Add(connection, limit))
            return false;
        while (true)
        {
            IdStream stream = _ids.GetOrAdd(connection.Id, static id => new IdStream(id));
            if (stream.Add(connection))
                break;
            _ids.TryRemove(new KeyValuePair<string, IdStream>(connection.Id, stream));   // retired a moment ago
        }

        if (Interlocked.CompareExchange(ref connection.Slots.State, HubSlots.Listed, HubSlots.New) != HubSlots.New)
            Unlist(connection);                 // removed while being added
        return true;
    }

    /// <summary>Removes a connection; safe to call more than once, and before or while it is added.</summary>
    public void Remove(IRelayConnection connection)
    {
        if (Interlocked.Exchange(ref connection.Slots.State, HubSlots.Removed) == HubSlots.Listed)
            Unlist(connection);                 // from New, the adder unlists it; from Removed, it is gone
    }

    /// <summary>The id's stream, or null when the id has no connection.</summary>
    public IdStream? Find(string id) => _ids.TryGetValue(id, out IdStream? stream) ? stream : null;

    /// <summary>Every listed connection that is not closing, oldest first (for LIST: only it needs the order).</summary>
    public IRelayConnection[] ListOldestFirst()
    {
        IRelayConnection[] all = Array.FindAll(All.Snapshot(), static c => !c.IsClosing);
        Array.Sort(all, static (a, b) => a.Sequence.CompareTo(b.Sequence));
        return all;
    }

    private void Unlist(IRelayConnection connection)
    {
        All.Remove(connection);
        if (Find(connection.Id) is { } stream && stream.Remove(connection))
            _ids.TryRemove(new KeyValuePair<string, IdStream>(connection.Id, stream));   // retired: it takes no member again
    }
}
