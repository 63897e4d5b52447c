namespace RawRelay.Hub;

/// <summary>
/// A dense unordered list of members (connections) with O(1) add and remove: removing moves the last member into
/// the freed slot, and the caller updates that member's index. It shrinks when it is mostly empty, so a
/// burst leaves no large array behind. A mutable struct embedded in its owner; the owner's lock guards it.
/// </summary>
internal struct MemberList<T>
    where T : class
{
    private const int InitialCapacity = 1;   // most ids have one connection
    private T[]? _items;

    public int Count { get; private set; }

    public readonly ReadOnlySpan<T> Members => _items is null ? [] : _items.AsSpan(0, Count);

    /// <summary>Adds a member; returns its index.</summary>
    public int Add(T connection)
    {
        if (_items is null)
            _items = new T[InitialCapacity];
        else if (Count == _items.Length)
            Array.Resize(ref _items, _items.Length * 2);
        _items[Count] = connection;
        return Count++;
    }

    /// <summary>
    /// Removes the member at <paramref name="index"/>; returns the member that moved into that index, or
    /// null when the removed one was the last.
    /// </summary>
    public T? RemoveAt(int index)
    {
        T[] items = _items!;
        int last = --Count;
        T? moved = null;
        if (index != last)
        {
            moved = items[last];
            items[index] = moved;
        }

        items[last] = null!;
        if (Count == 0)
            _items = null;
        else if (items.Length > 64 && Count < items.Length / 4)
            Array.Resize(ref _items, items.Length / 2);
        return moved;
    }

    public readonly T At(int index) => _items![index];

    /// <summary>A copy of the members, for work that must not run under the owner's lock.</summary>
    public readonly T[] ToArray() => Members.ToArray();
}
