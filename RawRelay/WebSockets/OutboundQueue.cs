using System.Runtime.CompilerServices;

namespace RawRelay.WebSockets;

/// <summary>
/// The frames waiting to be written to one connection, and what they really cost in memory. A frame is
/// normally queued by reference: the same bytes go to every connection of a fan-out, often a slice of a
/// 64 KiB arena chunk, which is fine for the moment until the next write. A connection whose socket is
/// full (a backlog) must not keep such chunks alive, so its queue holds private copies instead: the bytes of
/// every frame queued go on at the end of a private chunk (256 bytes at first, each next one twice the last,
/// up to 16 KiB, filled to the last byte before the next is taken), or into an array of their own when the
/// frame is larger than a chunk; <see cref="MakePrivate"/> copies out what was queued by reference. The queue
/// is a stream of bytes to the writer, so a frame may span two chunks. <see cref="Cost"/> counts the bytes
/// queued, the unused rest of the open chunk and the ring of entries, so that a bound on it bounds what the
/// queue keeps alive, to within the part of one chunk already written. One entry waits in a field; more go
/// into a ring that grows by doubling and is dropped once empty, so an idle connection holds no array. A
/// mutable struct embedded in its connection; the connection's lock guards it.
/// </summary>
internal struct OutboundQueue
{
    public const int ChunkSize = 16 * 1024;

    /// <summary>The first private chunk of a queue is this small (a pong); each next one doubles, up to <see cref="ChunkSize"/>.</summary>
    public const int FirstChunkSize = 256;

    private const int InitialRing = 4;
    private const int EntrySize = 16;      // a ReadOnlyMemory<byte> in the ring

    private ReadOnlyMemory<byte> _single;
    private ReadOnlyMemory<byte>[]? _ring;
    private int _head;
    private int _entries;

    // The open private chunk: bytes [_tailStart, _tailUsed) are queued after every entry, the rest is free.
    private byte[]? _tail;
    private int _tailStart;
    private int _tailUsed;

    /// <summary>True when nothing is queued.</summary>
    public readonly bool IsEmpty => _entries == 0 && _tailUsed == _tailStart;

    /// <summary>Bytes of the frames queued.</summary>
    public long Bytes { get; private set; }

    /// <summary>What the queue keeps alive: the frames, the free rest of its open chunk, its ring.</summary>
    public readonly long Cost
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Bytes + TailFree + (_ring is not null ? _ring.Length * (long)EntrySize : Math.Min(_entries, 1) * EntrySize);
    }

    private readonly int TailFree => _tail is null ? 0 : _tail.Length - _tailUsed;

    private readonly bool TailOpen => _tailUsed > _tailStart;

    /// <summary>
    /// Exactly what queuing <paramref name="length"/> more bytes, as a copy or by reference, adds to
    /// <see cref="Cost"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly long CostOf(int length, bool copy) =>
        !copy && _ring is not null && _entries + (TailOpen ? 2 : 1) <= _ring.Length
            ? length                            // the common case: by reference, and the ring has room
            : CostOfSlow(length, copy);

    private readonly long CostOfSlow(int length, bool copy)
    {
        if (copy && length <= ChunkSize)
        {
            if (length <= TailFree)
                return 0;                       // into the free rest of the open chunk, counted already
            // The open chunk is filled and sealed; the rest opens a new chunk, whose size is all it adds.
            int sealedEntries = TailOpen || TailFree > 0 ? 1 : 0;
            return NewChunkSize(length - TailFree) + RingCost(_entries + sealedEntries) - RingCost(_entries);
        }

        int entries = _entries + (TailOpen ? 1 : 0) + 1;      // the open chunk's bytes are sealed, then the frame
        return length + RingCost(entries) - RingCost(_entries);
    }

    /// <summary>Queues a frame by reference; its bytes must never change.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Enqueue(ReadOnlyMemory<byte> frame)
    {
        if (TailOpen)
            SealTail();
        Push(frame);
        Bytes += frame.Length;
    }

    /// <summary>Queues a private copy of a frame.</summary>
    public void EnqueueCopy(ReadOnlySpan<byte> frame)
    {
        Bytes += frame.Length;
        if (frame.Length > ChunkSize)
        {
            SealTail();
            Push(frame.ToArray());
            return;
        }

        int free = TailFree;
        if (frame.IsEmpty)
            return;
        if (free >= frame.Length)
        {
            frame.CopyTo(_tail.AsSpan(_tailUsed));
            _tailUsed += frame.Length;
            return;
        }

        if (free > 0)
        {
            frame[..free].CopyTo(_tail.AsSpan(_tailUsed));
            _tailUsed += free;
            frame = frame[free..];
        }

        SealTail();
        _tail = GC.AllocateUninitializedArray<byte>(NewChunkSize(frame.Length));
        frame.CopyTo(_tail);
        _tailStart = 0;
        _tailUsed = frame.Length;
    }

    /// <summary>Replaces every frame queued by reference with a private copy (a backlog begins).</summary>
    public void MakePrivate()
    {
        SealTail();
        int count = _entries;
        var frames = new ReadOnlyMemory<byte>[count];
        for (int i = 0; i < count; i++)
            frames[i] = Dequeue();
        _tail = null;
        _tailStart = _tailUsed = 0;
        foreach (ReadOnlyMemory<byte> frame in frames)
            EnqueueCopy(frame.Span);
    }

    /// <summary>
    /// Takes the next bytes to write: one large entry as it is, or as many entries as fit copied into
    /// <paramref name="gather"/> (one write for many frames; <paramref name="gathered"/> says which).
    /// </summary>
    public ReadOnlyMemory<byte> Take(byte[] gather, out bool gathered)
    {
        SealTail();
        ReadOnlyMemory<byte> first = Peek();
        gathered = first.Length <= gather.Length / 2;
        if (!gathered)
            return Dequeue();

        int length = 0;
        while (_entries > 0 && length + Peek().Length <= gather.Length)
        {
            ReadOnlyMemory<byte> frame = Dequeue();
            frame.Span.CopyTo(gather.AsSpan(length));
            length += frame.Length;
        }

        return gather.AsMemory(0, length);
    }

    /// <summary>Forgets every frame (the connection is gone).</summary>
    public void Clear() => this = default;

    /// <summary>The size of a new chunk that must take <paramref name="needed"/> bytes: twice the last one, within bounds.</summary>
    private readonly int NewChunkSize(int needed) =>
        Math.Min(ChunkSize, Math.Max(needed, _tail is null ? FirstChunkSize : 2 * _tail.Length));

    /// <summary>What the ring costs with <paramref name="entries"/> entries: none, one in the field, or the ring grown to hold them.</summary>
    private readonly long RingCost(int entries)
    {
        if (_ring is not null && entries <= _ring.Length && entries > 0)
            return _ring.Length * (long)EntrySize;      // the common case: the ring has room
        if (_ring is null && entries <= 1)
            return entries * (long)EntrySize;
        if (entries == 0)
            return 0;
        int capacity = _ring?.Length ?? InitialRing;
        while (capacity < entries)
            capacity *= 2;
        return capacity * (long)EntrySize;
    }

    /// <summary>The open chunk's queued bytes become an entry; later copies go on after them.</summary>
    private void SealTail()
    {
        if (!TailOpen)
            return;
        Push(new ReadOnlyMemory<byte>(_tail, _tailStart, _tailUsed - _tailStart));
        _tailStart = _tailUsed;
    }

    private void Push(ReadOnlyMemory<byte> frame)
    {
        if (_ring is not null && _entries < _ring.Length)
        {
            int at = _head + _entries;          // the common case: the ring has room
            _ring[at < _ring.Length ? at : at - _ring.Length] = frame;
        }
        else if (_entries == 0 && _ring is null)
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
            else if (_entries == _ring.Length)
            {
                var grown = new ReadOnlyMemory<byte>[_ring.Length * 2];
                int firstPart = _ring.Length - _head;       // from the head to the end, then the wrapped rest
                Array.Copy(_ring, _head, grown, 0, firstPart);
                Array.Copy(_ring, 0, grown, firstPart, _head);
                _ring = grown;
                _head = 0;
            }

            _ring[(_head + _entries) % _ring.Length] = frame;
        }

        _entries++;
    }

    private readonly ReadOnlyMemory<byte> Peek() => _ring is null ? _single : _ring[_head];

    private ReadOnlyMemory<byte> Dequeue()
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
            if (++_head == _ring.Length)
                _head = 0;
        }

        _entries--;
        Bytes -= frame.Length;
        if (_entries == 0)
        {
            _ring = null;
            _head = 0;
            if (!TailOpen)
                _tail = null;                   // all taken: the chunk is no longer the queue's
        }

        return frame;
    }
}
