namespace RawRelay.WebSockets;

/// <summary>
/// What only some connections need (a backlog, a message kept whole, a resume, a closing handshake under way, a rate allowance) lives in an
/// object of its own, made the first time one of its fields is set, so that an idle connection does not
/// carry it. Fields that senders use are read and written under the connection's lock; the object is only
/// ever made under it, and dropped under it when the connection starts to run with nothing left in it (the
/// channels and positions of its upgrade are of no more use then).
/// </summary>
internal sealed partial class WebSocketConnection
{
    private ConnectionExtras? _extras;
    private bool _sendsSlow;                // the extras' SlowsSending, kept here so a delivery need not read them

    private ConnectionExtras Extras
    {
        get
        {
            if (Volatile.Read(ref _extras) is { } extras)
                return extras;
            lock (this)
                return _extras ??= new ConnectionExtras();
        }
    }

    /// <summary>Environment.TickCount64 when the backlog began; 0 while none.</summary>
    private long BacklogSince
    {
        get => _extras?.BacklogSince ?? 0;
        set
        {
            if (value != 0 || _extras is not null)
                Extras.BacklogSince = value;
            _sendsSlow = _extras is { SlowsSending: true };
        }
    }

    /// <summary>This connection's share of the relay-wide SendMemory.</summary>
    private long Reserved
    {
        get => _extras?.Reserved ?? 0;
        set
        {
            if (value != 0 || _extras is not null)
                Extras.Reserved = value;
        }
    }

    /// <summary>Replayed bytes still queued: they do not count toward --send-queue.</summary>
    private long Uncounted
    {
        get => _extras?.Uncounted ?? 0;
        set
        {
            if (value != 0 || _extras is not null)
                Extras.Uncounted = value;
            _sendsSlow = _extras is { SlowsSending: true };
        }
    }

    private CutOff CutOffCause
    {
        get => _extras?.CutOffCause ?? default;
        set => Extras.CutOffCause = value;
    }

    /// <summary>The client's message coming in, kept whole (to echo it, <c>--echo</c>, or for an event), rented while it comes in.</summary>
    private byte[]? KeptMessage
    {
        get => _extras?.KeptMessage;
        set
        {
            if (value is not null || _extras is not null)
                Extras.KeptMessage = value;
        }
    }

    private int KeptLength
    {
        get => _extras?.KeptLength ?? 0;
        set
        {
            if (value != 0 || _extras is not null)
                Extras.KeptLength = value;
        }
    }
}

/// <summary>The rarely needed state of one connection (see <see cref="WebSocketConnection"/>'s <c>.Extras.cs</c>).</summary>
internal sealed class ConnectionExtras
{
    public long BacklogSince;
    public long Reserved;
    public long Uncounted;
    public WebSocketConnection.CutOff CutOffCause;
    public TaskCompletionSource? CloseSent;
    public byte[]? KeptMessage;
    public int KeptLength;
    public long KeptReserved;
    public double RateTokens;
    public long RateCheckedAt;
    public string[]? OwnChannels;
    public ResumePoint[]? Since;

    /// <summary>Whether a hub message must take the general way in: a backlog (private copies), or replayed bytes that do not count.</summary>
    public bool SlowsSending => BacklogSince != 0 || Uncounted != 0;

    /// <summary>Whether every field is as a connection without extras has it, so that the object may be dropped (under the connection's lock).</summary>
    public bool IsEmpty => BacklogSince == 0 && Reserved == 0 && Uncounted == 0 && CutOffCause == default && CloseSent is null
        && KeptMessage is null && KeptLength == 0 && KeptReserved == 0 && RateTokens == 0 && RateCheckedAt == 0 && OwnChannels is null
        && Since is null;
}
