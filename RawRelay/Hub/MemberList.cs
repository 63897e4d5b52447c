using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RawRelay.Hub;

/// <summary>
/// A dense unordered list of members (connections) with O(1) add and remove: removing moves the last member
/// into the freed slot, and the caller updates that member's index. A lone member (most ids have one
/// connection) waits in a field, so it costs no array and a lookup one hop less; more go into an array that
/// grows by doubling and shrinks when it is mostly empty, so a burst leaves no large array behind. A mutable
/// struct embedded in its owner; the owner's lock guards it.
/// </summary>
internal struct MemberList<T>
    where T : class
{
    private object? _store;                 // the lone member (a T), or the array of members (a T[])

    public int Count { get; private set; }

    /// <summary>The members; valid until the next change. The owner must be a field of a heap object (it is).</summary>
    [UnscopedRef]
    public ReadOnlySpan<T> Members =>
        _store is T[] items ? items.AsSpan(0, Count)
        : Count == 1 ? MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<object?, T>(ref _store), 1) : [];

    /// <summary>Adds a member; returns its index.</summary>
    public int Add(T member)
    {
        if (Count == 0)
        {
            _store = member;
            return Count++;
        }

        if (_store is not T[] items)
        {
            items = new T[4];
            items[0] = (T)_store!;
            _store = items;
        }
        else if (Count == items.Length)
        {
            Array.Resize(ref items, items.Length * 2);
            _store = items;
        }

        items[Count] = member;
        return Count++;
    }

    /// <summary>
    /// Removes the member at <paramref name="index"/>; returns the member that moved into that index, or
    /// null when the removed one was the last.
    /// </summary>
    public T? RemoveAt(int index)
    {
        if (_store is not T[] items)
        {
            _store = null;
            Count = 0;
            return null;
        }

        int last = --Count;
        T? moved = null;
        if (index != last)
        {
            moved = items[last];
            items[index] = moved;
        }

        items[last] = null!;
        if (Count == 0)
        {
            _store = null;
        }
        else if (items.Length > 64 && Count < items.Length / 4)
        {
            Array.Resize(ref items, items.Length / 2);
            _store = items;
        }

        return moved;
    }

    /// <summary>A copy of the members, for work that must not run under the owner's lock.</summary>
    [UnscopedRef]
    public T[] ToArray() => Members.ToArray();
}
