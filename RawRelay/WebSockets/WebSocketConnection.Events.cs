using RawRelay.Hub;

namespace RawRelay.WebSockets;

/// <summary>
/// What a connection tells the relay's event consumers (SPEC, What browsers say reaches PHP): its open, each
/// message of its client, and its close with the code of the first close frame sent or received. Each is made
/// only while a consumer wants events. Also the client's message rate (<c>--client-rate</c>).
/// </summary>
internal sealed partial class WebSocketConnection
{
    /// <summary>The code of the first close frame sent or received; none yet while <see cref="CloseCode.None"/>.</summary>
    private CloseCode _firstClose;

    /// <summary>The connection's handle: unique in the relay's life and across relays (see <see cref="Handles"/>).</summary>
    public string Handle => Handles.Format(Sequence);

    private EventBus Events => _context.Registry.Events;

    /// <summary>Whether the client's message now coming in is kept whole: to echo it, or for an event.</summary>
    private bool KeepsMessage => _context.Options.Echo || Events.IsWanted || _session is not null;

    private void PublishOpen()
    {
        if (!Events.IsWanted)
            return;
        Events.Publish(new RelayEvent
        {
            EventId = Events.NextId(), Kind = RelayEventKind.Open, Time = EventBus.Now(),
            Handle = Handle, Id = Id, Peer = RemoteAddress,
        });
    }

    private void PublishClose()
    {
        if (!Events.IsWanted)
            return;
        CloseCode code;
        lock (this)
            code = _firstClose == CloseCode.None ? CloseCode.Abnormal : _firstClose;
        Events.Publish(new RelayEvent
        {
            EventId = Events.NextId(), Kind = RelayEventKind.Close, Time = EventBus.Now(),
            Handle = Handle, Id = Id, Peer = RemoteAddress, Code = (int)code,
        });
    }

    /// <summary>A whole message of the client, kept while it came in; for nobody when no one wants events.</summary>
    private void PublishMessage(Opcode opcode, ReadOnlySpan<byte> payload)
    {
        if (!Events.IsWanted)
            return;
        Events.Publish(new RelayEvent
        {
            EventId = Events.NextId(), Kind = RelayEventKind.Message, Time = EventBus.Now(),
            Handle = Handle, Id = Id, Peer = RemoteAddress, Binary = opcode == Opcode.Binary, Payload = payload.ToArray(),
        });
    }

    /// <summary>Notes a close frame sent (ours) or received (the client's), under the connection's lock; the first one counts.</summary>
    private void NoteCloseLocked(CloseCode code)
    {
        if (_firstClose == CloseCode.None)
            _firstClose = code;
    }

    /// <summary>
    /// Takes one message from the client's allowance (<c>--client-rate</c>: R a second on average, bursts of
    /// max(1, R)); false when it has none left. A token bucket, kept only by connections that send.
    /// </summary>
    private bool TakeMessageAllowance()
    {
        double rate = _context.Options.ClientRate;
        if (rate <= 0)
            return true;
        double burst = Math.Max(1, rate);
        long now = Environment.TickCount64;
        ConnectionExtras extras = Extras;
        if (extras.RateCheckedAt == 0)
            extras.RateTokens = burst;
        else
            extras.RateTokens = Math.Min(burst, extras.RateTokens + (now - extras.RateCheckedAt) * rate / 1000.0);
        extras.RateCheckedAt = now;
        if (extras.RateTokens < 1)
            return false;
        extras.RateTokens -= 1;
        return true;
    }
}
