namespace RawRelay.Hub;

/// <summary>The stream every connection is on: BROADCAST's, and the registry's list of all. Thread-safe.</summary>
internal sealed class AllStream : Stream
{
    protected override ref int IndexOf(IRelayConnection connection) => ref connection.Slots.AllIndex;
}
