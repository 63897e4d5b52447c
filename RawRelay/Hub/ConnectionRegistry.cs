using System.Collections.Concurrent;

namespace RawRelay.Hub;

/// <summary>
/// Tracks open connections by id (several may share one) and in order of registration. It only tracks:
/// fan-out lives in <see cref="Relay"/>. Thread-safe: lookups are lock-free; adds and removes take a
/// short lock and replace the per-id array, so a lookup always sees a consistent set.
/// </summary>
internal sealed class ConnectionRegistry
{
    private readonly ConcurrentDictionary<string, IRelayConnection[]> _byId = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _nextSequence;
    private int _count;
    private long _version;
    private ListSnapshot _snapshot = new(0, []);

    public int Count => Volatile.Read(ref _count);

    /// <summary>The next sequence number for a connection about to be registered.</summary>
    public long NextSequence() => Interlocked.Increment(ref _nextSequence);

    /// <summary>Adds a connection unless <paramref name="limit"/> connections are already registered.</summary>
    public bool TryAdd(IRelayConnection connection, int limit)
    {
        lock (_gate)
        {
            if (_count >= limit)
                return false;
            _byId[connection.Id] = _byId.TryGetValue(connection.Id, out IRelayConnection[]? existing)
                ? [.. existing, connection]
                : [connection];
            _count++;
            _version++;
            return true;
        }
    }

    /// <summary>Removes a connection; safe to call more than once.</summary>
    public void Remove(IRelayConnection connection)
    {
        lock (_gate)
        {
            if (!_byId.TryGetValue(connection.Id, out IRelayConnection[]? existing) || Array.IndexOf(existing, connection) < 0)
                return;
            if (existing.Length == 1)
                _byId.TryRemove(connection.Id, out _);
            else
                _byId[connection.Id] = Array.FindAll(existing, c => c != connection);
            _count--;
            _version++;
        }
    }

    /// <summary>The connections with this id, oldest first; empty when none.</summary>
    public IRelayConnection[] Find(string id) =>
        _byId.TryGetValue(id, out IRelayConnection[]? connections) ? connections : [];

    /// <summary>Every connection, oldest first, as of a moment; cached until the next add or remove.</summary>
    public IRelayConnection[] Snapshot()
    {
        ListSnapshot snapshot = Volatile.Read(ref _snapshot);
        if (snapshot.Version == Interlocked.Read(ref _version))
            return snapshot.Connections;
        lock (_gate)
        {
            var all = new IRelayConnection[_count];
            int filled = 0;
            foreach (IRelayConnection[] sameId in _byId.Values)
            {
                sameId.CopyTo(all, filled);
                filled += sameId.Length;
            }

            Array.Sort(all, (a, b) => a.Sequence.CompareTo(b.Sequence));
            Volatile.Write(ref _snapshot, new ListSnapshot(_version, all));
            return all;
        }
    }

    private sealed record ListSnapshot(long Version, IRelayConnection[] Connections);
}
