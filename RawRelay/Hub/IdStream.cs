using System.Collections.Concurrent;

namespace RawRelay.Hub;

/// <summary>
/// The stream of one id: every connection that has it (one user, several tabs). It exists while the id
/// has a connection; once the last one leaves it is retired and dropped from the registry's map, and a
/// connection that finds a retired stream asks the map again. Thread-safe.
/// </summary>
internal sealed class IdStream : Stream
{
    private readonly ConcurrentDictionary<string, IdStream> _map;
    private bool _retired;

    public IdStream(string id, ConcurrentDictionary<string, IdStream> map)
    {
        Id = id;
        _map = map;
    }

    public string Id { get; }

    protected override ref int IndexOf(IRelayConnection connection) => ref connection.Slots.IdIndex;

    protected override bool CanJoin() => !_retired;

    protected override void OnEmpty()
    {
        _retired = true;
        _map.TryRemove(new KeyValuePair<string, IdStream>(Id, this));
    }
}
