namespace RawRelay.Hub;

/// <summary>
/// One kept message (or a pin that keeps a stream's epoch alive for a while, with no frame): its stream,
/// offset, time and the frame a resuming client gets, linked into the history's global list, oldest
/// first. The links and <see cref="Evicted"/> are guarded by the history's lock; <see cref="Frame"/> is read
/// under the stream's lock and cleared (volatile) when the entry is evicted.
/// </summary>
internal sealed class HistoryEntry(Stream stream, long offset, long timeMs, byte[]? frame)
{
    /// <summary>What an entry costs beside its frame: this object, its slot in the stream's ring, the frame's array header.</summary>
    public const int Overhead = 120;

    private byte[]? _frame = frame;

    public Stream Stream { get; } = stream;

    public long Offset { get; } = offset;

    public long TimeMs { get; set; } = timeMs;

    /// <summary>The kept frame; null for a pin, and once evicted.</summary>
    public byte[]? Frame => Volatile.Read(ref _frame);

    /// <summary>Bytes counted against <c>--history-memory</c>.</summary>
    public long Cost { get; } = Overhead + (frame?.Length ?? 0);

    public bool IsPin => Offset == 0;

    /// <summary>Its place in the history's order of all entries, set when it is linked (under the history's lock).</summary>
    public long Serial { get; set; }

    public bool Evicted { get; private set; }

    public HistoryEntry? Previous { get; set; }

    public HistoryEntry? Next { get; set; }

    /// <summary>Under the history's lock: the frame is let go at once, the entry leaves its stream at its next trim.</summary>
    public void Evict()
    {
        Evicted = true;
        Volatile.Write(ref _frame, null);
    }
}
