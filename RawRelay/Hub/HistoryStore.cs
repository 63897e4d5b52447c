using System.Diagnostics;

namespace RawRelay.Hub;

/// <summary>
/// History (SPEC, Nothing lost between pages): the last <c>--history</c> messages of every stream, each for at
/// most <c>--history-ttl</c>, all streams together in at most <c>--history-memory</c> bytes, the oldest going
/// first. Each kept message is one <see cref="HistoryEntry"/> holding the frame a resuming client gets (a
/// rawrelay.v1 frame of its own, shared by every client that replays it), linked into one list of all
/// entries in the order they were kept, so that the oldest of all is at its head. What an entry costs is
/// its frame plus <see cref="HistoryEntry.Overhead"/>. Eviction (memory, ttl) lets go of the frame at once;
/// each stream lets go of the entry at its next trim, which <see cref="Sweep"/> does for the streams
/// concerned. Off (<c>--history 0</c>), it keeps nothing and costs nothing. Thread-safe: one lock for the
/// list, always taken after a stream's.
/// </summary>
internal sealed class HistoryStore
{
    private readonly IDialect _replay;
    private readonly Lock _gate = new();
    private HistoryEntry? _oldest;
    private HistoryEntry? _newest;
    private long _bytes;
    private long _messages;
    private long _nextSerial = 1;
    private long _headSerial = 1;           // the oldest linked entry's serial (the next one's when none)
    private List<Stream> _toTrim = [];

    public HistoryStore(IDialect replay, int perStream = 0, long ttlMs = 600_000, long memoryLimit = 64L * 1024 * 1024)
    {
        _replay = replay;
        PerStream = perStream;
        TtlMs = ttlMs;
        MemoryLimit = memoryLimit;
    }

    /// <summary>Off: no history at all.</summary>
    public static HistoryStore Off { get; } = new(NoDialect.Instance);

    public bool Enabled => PerStream > 0;

    /// <summary>Messages kept per stream (<c>--history</c>).</summary>
    public int PerStream { get; }

    public long TtlMs { get; }

    public long MemoryLimit { get; }

    /// <summary>Messages kept now, in all.</summary>
    public long Messages => Interlocked.Read(ref _messages);

    /// <summary>
    /// The serial of the oldest entry still linked. Evictions (memory, ttl) take the oldest first, so an entry a
    /// stream still holds was evicted exactly when its serial is below this: a stream tells without reading
    /// the entry.
    /// </summary>
    public long HeadSerial => Volatile.Read(ref _headSerial);

    /// <summary>Bytes counted against <c>--history-memory</c> now.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Keeps <paramref name="message"/>, which its stream is publishing (under the stream's lock).</summary>
    public HistoryEntry Keep(Stream stream, Message message)
    {
        var entry = new HistoryEntry(stream, message.Offset, Environment.TickCount64, message.FrameToKeep(_replay));
        lock (_gate)
        {
            Link(entry);
            _messages++;
            _bytes += entry.Cost;
            while (_bytes > MemoryLimit && _oldest is not null)
                Evict(_oldest);
        }

        return entry;
    }

    /// <summary>A stream let go of its oldest entry (past <c>--history</c>); under the stream's lock.</summary>
    public void Drop(HistoryEntry entry)
    {
        lock (_gate)
        {
            if (entry.Evicted)
                return;
            Unlink(entry);
            _messages--;
            _bytes -= entry.Cost;
            entry.Evict();
        }
    }

    /// <summary>A pin on the stream for the ttl from now: <paramref name="pin"/> renewed, or a new one. Under the stream's lock.</summary>
    public HistoryEntry Pin(Stream stream, HistoryEntry? pin)
    {
        lock (_gate)
        {
            if (pin is { Evicted: false })
            {
                Unlink(pin);
            }
            else
            {
                pin = new HistoryEntry(stream, 0, 0, null);
                _bytes += pin.Cost;
            }

            pin.TimeMs = Environment.TickCount64;
            Link(pin);
            return pin;
        }
    }

    /// <summary>Evicts what is past the ttl, then trims the streams that evictions left with entries to let go.</summary>
    public void Sweep()
    {
        List<Stream> toTrim;
        lock (_gate)
        {
            long now = Environment.TickCount64;
            while (_oldest is not null && now - _oldest.TimeMs >= TtlMs)
                Evict(_oldest);
            toTrim = _toTrim;
            _toTrim = [];
            foreach (Stream stream in toTrim)
                stream.TrimQueued = false;
        }

        foreach (Stream stream in toTrim)
            stream.TrimHistory();
    }

    /// <summary>Evicts the entry: its frame goes now, its stream lets go of it at the next trim. Under the lock.</summary>
    private void Evict(HistoryEntry entry)
    {
        Debug.Assert(!entry.Evicted, "an evicted entry is no longer linked");
        Unlink(entry);
        if (!entry.IsPin)
            _messages--;
        _bytes -= entry.Cost;
        entry.Evict();
        if (entry.Stream.TrimQueued)
            return;
        entry.Stream.TrimQueued = true;
        _toTrim.Add(entry.Stream);
    }

    private void Link(HistoryEntry entry)
    {
        entry.Serial = _nextSerial++;
        entry.Previous = _newest;
        entry.Next = null;
        if (_newest is null)
        {
            _oldest = entry;
            Volatile.Write(ref _headSerial, entry.Serial);
        }
        else
        {
            _newest.Next = entry;
        }

        _newest = entry;
    }

    private void Unlink(HistoryEntry entry)
    {
        if (entry.Previous is null)
        {
            _oldest = entry.Next;
            Volatile.Write(ref _headSerial, _oldest?.Serial ?? _nextSerial);
        }
        else
            entry.Previous.Next = entry.Next;
        if (entry.Next is null)
            _newest = entry.Previous;
        else
            entry.Next.Previous = entry.Previous;
        entry.Previous = entry.Next = null;
    }

    /// <summary>The dialect of a history that is off: it is never asked for a frame.</summary>
    private sealed class NoDialect : IDialect
    {
        public static readonly NoDialect Instance = new();

        public ReadOnlyMemory<byte> Frame(Message message) => throw new InvalidOperationException("history is off");

        public byte[] FrameToKeep(Message message) => throw new InvalidOperationException("history is off");
    }
}
