namespace RawRelay.WebSockets;

/// <summary>
/// A FIFO of whole frames waiting to be written, with their byte count. A ring that grows by doubling;
/// once empty, a grown ring is dropped, so a burst does not leave a large array behind. A mutable struct
/// embedded in its connection; the connection's lock guards it.
/// </summary>
internal struct OutboundQueue
{
    private const int InitialCapacity = 4;
    private const int KeepCapacity = 16;
    private ReadOnlyMemory<byte>[]? _items;
    private int _head;

    public int Count { get; private set; }

    /// <summary>Bytes of all queued frames.</summary>
    public long Bytes { get; private set; }

    public void Enqueue(ReadOnlyMemory<byte> frame)
    {
        if (_items is null)
        {
            _items = new ReadOnlyMemory<byte>[InitialCapacity];
        }
        else if (Count == _items.Length)
        {
            var grown = new ReadOnlyMemory<byte>[_items.Length * 2];
            for (int i = 0; i < Count; i++)
                grown[i] = _items[(_head + i) % _items.Length];
            _items = grown;
            _head = 0;
        }

        _items[(_head + Count) % _items.Length] = frame;
        Count++;
        Bytes += frame.Length;
    }

    public readonly ReadOnlyMemory<byte> Peek() => _items![_head];

    public void Dequeue()
    {
        ReadOnlyMemory<byte> frame = _items![_head];
        _items[_head] = default;
        _head = (_head + 1) % _items.Length;
        Count--;
        Bytes -= frame.Length;
        if (Count == 0)
        {
            _head = 0;
            if (_items.Length > KeepCapacity)
                _items = null;
        }
    }

    /// <summary>Forgets every frame (the connection is gone).</summary>
    public void Clear()
    {
        _items = null;
        _head = 0;
        Count = 0;
        Bytes = 0;
    }
}
