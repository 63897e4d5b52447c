namespace RawRelay.Hub;

/// <summary>
/// Where the hub has put one connection: its index in the stream of all connections and in its id's
/// stream (-1 when not there), so that removing it costs O(1) however many connections share the id, and
/// whether it is listed. A mutable struct that lives in the connection; each index is read and written
/// under the lock of its stream, <see cref="State"/> with interlocked operations.
/// </summary>
internal struct HubSlots
{
    public const int New = 0;
    public const int Listed = 1;
    public const int Removed = 2;

    public int State;
    public int AllIndex;
    public int IdIndex;

    public static HubSlots Unlisted => new() { AllIndex = -1, IdIndex = -1 };
}
