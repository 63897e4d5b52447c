namespace RawRelay.WebSockets;

/// <summary>
/// A FIFO of whole frames waiting to be written, with their byte count. One frame waits in a field; more
/// go into a ring that grows by doubling and is dropped once empty, so an idle connection holds no array
/// and a lone message allocates nothing. A mutable struct embedded in its connection; the connection's
/// lock guards it.
/// </summary>
internal struct OutboundQueue
{
    private const int InitialRing = 4;
    private ReadOnlyMemory<byte> _single;
    private ReadOnlyMemory<byte>[]? _ring;
    private int _head;

    public int Count { get; private set; }

    /// <summary>Bytes of all queued frames.</summary>
    public long Bytes { get; private set; }

    public void Enqueue(ReadOnlyMemory<byte> frame)
    {
        if (Count == 0 && _ring is null)
        {
            _single = frame;
        }
        else
        {
            if (_ring is null)
            {
                _ring = new ReadOnlyMemory<byte>[InitialRing];
                _ring[0] = _single;
                _single = default;
                _head = 0;
            }
            else if (Count == _ring.Length)
            {
                var grown = new ReadOnlyMemory<byte>[_ring.Length * 2];
                for (int i = 0; i < Count; i++)
                    grown[i] = _ring[(_head + i) % _ring.Length];
                _ring = grown;
                _head = 0;
            }

            _ring[(_head + Count) % _ring.Length] = frame;
        }

        Count++;
        Bytes += frame.Length;
    }

    public readonly ReadOnlyMemory<byte> Peek() => _ring is null ? _single : _ring[_head];

    public void Dequeue()
    {
        ReadOnlyMemory<byte> frame;
        if (_ring is null)
        {
            frame = _single;
            _single = default;
        }
        else
        {
            frame = _ring[_head];
            _ring[_head] = default;
            _head = (_head + 1) % _ring.Length;
        }

        Count--;
        Bytes -= frame.Length;
        if (Count == 0)
        {
            _ring = null;
            _head = 0;
        }
    }

    /// <summary>Forgets every frame (the connection is gone).</summary>
    public void Clear()
    {
        _single = default;
        _ring = null;
        _head = 0;
        Count = 0;
        Bytes = 0;
    }
}
