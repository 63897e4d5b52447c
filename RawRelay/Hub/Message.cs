namespace RawRelay.Hub;

/// <summary>
/// One message on its way out: its kind and payload, its stream and position (given by the stream as it
/// publishes it), and the frames the dialects made of it, so that each dialect frames it once however
/// many connections get it. It lives for one fan-out: the payload may be the caller's buffer, and nothing
/// keeps the message afterwards (a caller may <see cref="Reset"/> it for the next one; history keeps a
/// frame of its own). Not thread-safe: one fan-out at a time.
/// </summary>
internal sealed class Message
{
    private IDialect? _dialect0;
    private ReadOnlyMemory<byte> _frame0;
    private IDialect? _dialect1;
    private ReadOnlyMemory<byte> _frame1;
    private List<(IDialect Dialect, ReadOnlyMemory<byte> Frame)>? _more;

    public Message(MessageKind kind, ReadOnlyMemory<byte> payload) => Reset(kind, payload);

    public MessageKind Kind { get; private set; }

    public ReadOnlyMemory<byte> Payload { get; private set; }

    /// <summary>The stream the message is on (its name and epoch are read while it is published, under its lock).</summary>
    public Stream? Stream { get; private set; }

    /// <summary>The message's offset on its stream, from 1.</summary>
    public long Offset { get; private set; }

    /// <summary>A connection the message is not for (a Pusher event's <c>socket_id</c>, a client event's sender); null for none.</summary>
    public IRelayConnection? Except { get; set; }

    /// <summary>
    /// The dialect whose form the payload already has (a Pusher event arrives as its Pusher envelope), which
    /// frames it as it is; null for a payload in no dialect's form (a control socket's message).
    /// </summary>
    public IDialect? WrittenIn { get; set; }

    /// <summary>Called by the stream as it publishes the message, under its lock.</summary>
    public void SetPosition(Stream stream, long offset)
    {
        Stream = stream;
        Offset = offset;
    }

    /// <summary>Makes this object the next message; frames of the previous one are forgotten.</summary>
    public void Reset(MessageKind kind, ReadOnlyMemory<byte> payload)
    {
        Kind = kind;
        Payload = payload;
        Stream = null;
        Offset = 0;
        Except = null;
        WrittenIn = null;
        _dialect0 = _dialect1 = null;
        _frame0 = _frame1 = default;
        _more?.Clear();
    }

    /// <summary>The frame of this message in <paramref name="dialect"/>, made on first use.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public ReadOnlyMemory<byte> FrameFor(IDialect dialect) => ReferenceEquals(_dialect0, dialect) ? _frame0 : FrameForOther(dialect);

    private ReadOnlyMemory<byte> FrameForOther(IDialect dialect)
    {
        if (_dialect0 is null)
        {
            _frame0 = dialect.Frame(this);      // the first dialect: the common case
            _dialect0 = dialect;
            return _frame0;
        }

        if (ReferenceEquals(_dialect1, dialect))
            return _frame1;
        if (_more is not null)
        {
            foreach ((IDialect known, ReadOnlyMemory<byte> frame) in _more)
            {
                if (ReferenceEquals(known, dialect))
                    return frame;
            }
        }

        return Remember(dialect, dialect.Frame(this));
    }

    /// <summary>
    /// The frame of this message in <paramref name="dialect"/> in an array of its own, which may be kept
    /// (history keeps it); later <see cref="FrameFor"/> calls for that dialect hand out the same bytes.
    /// </summary>
    public byte[] FrameToKeep(IDialect dialect)
    {
        byte[] kept = dialect.FrameToKeep(this);
        Remember(dialect, kept);
        return kept;
    }

    private ReadOnlyMemory<byte> Remember(IDialect dialect, ReadOnlyMemory<byte> made)
    {
        if (ReferenceEquals(_dialect0, dialect))
            _frame0 = made;
        else if (ReferenceEquals(_dialect1, dialect))
            _frame1 = made;
        else if (_dialect0 is null)
            (_dialect0, _frame0) = (dialect, made);
        else if (_dialect1 is null)
            (_dialect1, _frame1) = (dialect, made);
        else
            (_more ??= []).Add((dialect, made));
        return made;
    }
}
