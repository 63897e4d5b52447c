namespace RawRelay.WebSockets;

/// <summary>This connection's side of the <see cref="Keepalive"/>: its pings and the pongs that answer them.</summary>
internal sealed partial class WebSocketConnection
{
    private bool _awaitingPong;

    /// <summary>Sends this round's ping, or ends the connection when the last one went unanswered.</summary>
    public void Ping(byte[] pingFrame)
    {
        if (Volatile.Read(ref _awaitingPong))
        {
            _context.Stats.PingTimedOut();
            Shutdown(EndReason.PingTimeout, CloseCode.GoingAway, "ping timeout");
            return;
        }

        Volatile.Write(ref _awaitingPong, true);
        Enqueue(pingFrame, default);            // shared by every connection; counts toward --send-queue like any frame
    }

    /// <summary>A pong that echoes one of our recent pings keeps the connection; any other is ignored (RFC 6455 §5.5.3).</summary>
    private void OnPong(ReadOnlySpan<byte> payload)
    {
        if (_context.Keepalive.IsAnswer(payload))
            Volatile.Write(ref _awaitingPong, false);
    }
}
