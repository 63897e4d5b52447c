namespace RawRelay.Hub;

/// <summary>The stream every connection is on: BROADCAST's (<c>*</c>), and the registry's list of all. Never retired. Thread-safe.</summary>
internal sealed class AllStream : Stream
{
    public override string Name => "*";

    protected override int GetIndex(IRelayConnection connection) => connection.Slots.AllIndex;

    protected override void SetIndex(IRelayConnection connection, int index) => connection.Slots.AllIndex = index;

    protected override bool IsUnused() => false;

    /// <summary>The listed connection with this sequence number (its handle's), or null. O(connections).</summary>
    public IRelayConnection? Find(long sequence)
    {
        lock (this)
        {
            foreach (IRelayConnection connection in Members)
            {
                if (connection.Sequence == sequence)
                    return connection;
            }
        }

        return null;
    }
}
