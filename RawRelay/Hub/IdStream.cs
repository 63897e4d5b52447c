namespace RawRelay.Hub;

/// <summary>
/// The stream of one id: every connection that has it (one user, several tabs). It exists while the id
/// has a connection; once the last one leaves it is retired (it takes no member again) and the registry
/// drops it from its map, and a connection that finds a retired stream asks the map again. Thread-safe.
/// </summary>
internal sealed class IdStream(string id) : Stream
{
    private bool _retired;

    public string Id { get; } = id;

    protected override ref int IndexOf(IRelayConnection connection) => ref connection.Slots.IdIndex;

    protected override bool CanJoin() => !_retired;

    protected override void OnEmpty() => _retired = true;
}
