namespace RawRelay.Hub;

/// <summary>
/// What history keeps of one stream: its last messages, oldest first, with consecutive offsets (a ring that
/// grows by doubling up to <c>--history</c>), and a pin that keeps the stream's epoch alive after a
/// POSITION. Entries evicted by the history's memory bound or ttl (always the oldest) are let go here at
/// the next trim. Guarded by its stream's lock.
/// </summary>
internal sealed class StreamHistory
{
    private HistoryEntry[] _ring = new HistoryEntry[4];
    private int _start;
    private int _count;
    private long _oldestSerial;             // the serial of _ring[_start] while _count > 0: tells an eviction without reading it
    private HistoryEntry? _pin;

    /// <summary>True when nothing is kept and no pin holds the stream.</summary>
    public bool IsEmpty => _count == 0 && _pin is null;

    /// <summary>Keeps a message's entry; past <c>--history</c> entries the oldest is let go.</summary>
    public void Append(HistoryEntry entry, HistoryStore history)
    {
        if (_count > 0 && _oldestSerial < history.HeadSerial)
            TrimEvicted();
        if (_count == history.PerStream)
        {
            history.Drop(_ring[_start]);
            RemoveOldest();
        }
        else if (_count == _ring.Length)
        {
            var grown = new HistoryEntry[Math.Min(_ring.Length * 2, Math.Max(history.PerStream, 1))];
            for (int i = 0; i < _count; i++)
                grown[i] = _ring[(_start + i) % _ring.Length];
            _ring = grown;
            _start = 0;
        }

        _ring[(_start + _count) % _ring.Length] = entry;
        if (_count++ == 0)
            _oldestSerial = entry.Serial;
    }

    /// <summary>Pins the stream for the history ttl from now (renewing a pin it has).</summary>
    public void Pin(Stream stream, HistoryStore history) => _pin = history.Pin(stream, _pin);

    /// <summary>
    /// The frames of the messages with offsets <paramref name="from"/> to <paramref name="to"/>, in order, or
    /// null when any of them is no longer kept: never part of them.
    /// </summary>
    /// <summary>Takes every kept entry out of the ring, oldest first (the caller keeps or drops each); the pin stays.</summary>
    public List<HistoryEntry> TakeAll()
    {
        TrimEvicted();
        var taken = new List<HistoryEntry>(_count);
        for (int i = 0; i < _count; i++)
            taken.Add(_ring[(_start + i) % _ring.Length]);
        _ring = new HistoryEntry[4];
        _start = 0;
        _count = 0;
        return taken;
    }

    public byte[][]? Collect(long from, long to)
    {
        TrimEvicted();
        if (_count == 0 || _ring[_start].Offset > from || _ring[(_start + _count - 1) % _ring.Length].Offset < to)
            return null;
        var frames = new byte[to - from + 1][];
        long first = _ring[_start].Offset;
        for (long offset = from; offset <= to; offset++)
        {
            byte[]? frame = _ring[(_start + (int)(offset - first)) % _ring.Length].Frame;
            if (frame is null)
                return null;                    // evicted a moment ago
            frames[offset - from] = frame;
        }

        return frames;
    }

    /// <summary>Lets go of evicted entries and an expired pin; true when nothing is left.</summary>
    public bool Trim()
    {
        TrimEvicted();
        if (_pin is { Evicted: true })
            _pin = null;
        return IsEmpty;
    }

    private void RemoveOldest()
    {
        _ring[_start] = null!;
        _start = (_start + 1) % _ring.Length;
        if (--_count > 0)
            _oldestSerial = _ring[_start].Serial;
    }

    private void TrimEvicted()
    {
        while (_count > 0 && _ring[_start].Evicted)
            RemoveOldest();

        if (_count == 0 && _ring.Length > 4)
        {
            _ring = new HistoryEntry[4];
            _start = 0;
        }
    }
}
