namespace RawRelay.Hub;

/// <summary>
/// Where the hub has put one connection: its index in the stream of all connections and in its id's
/// stream (-1 when not there), the channels it is on with its index in each, and whether it is listed,
/// so that removing it costs O(1) however many connections share a stream. A mutable struct that lives
/// in the connection. <see cref="AllIndex"/> and <see cref="IdIndex"/> are read and written under the lock
/// of their stream, <see cref="State"/> with interlocked operations, and <see cref="Channels"/> under the
/// connection object's monitor (its own send lock, a leaf: nothing else is locked while it is held).
/// </summary>
internal struct HubSlots
{
    public const int New = 0;
    public const int Listed = 1;
    public const int Removed = 2;

    public int State;
    public int AllIndex;
    public int IdIndex;
    public ChannelSlots Channels;

    public static HubSlots Unlisted => new() { AllIndex = -1, IdIndex = -1 };
}
