namespace RawRelay.WebSockets;

/// <summary>
/// Server pings (<c>--ping-interval</c>): every round sends each live connection a ping whose payload is
/// new and random, and closes the connections that have not answered the round before with its payload
/// (RFC 6455 §5.5.3: a pong echoes its ping). A client that sends pongs of its own, without reading what
/// it is sent, cannot guess the payload and so cannot keep itself alive. Thread-safe.
/// </summary>
internal sealed class Keepalive
{
    private const int PayloadLength = 8;
    private byte[] _current = [];
    private byte[] _previous = [];

    /// <summary>
    /// Whether a pong answers one of the last two rounds (the one before too, for a pong that crosses the
    /// start of a new round).
    /// </summary>
    public bool IsAnswer(ReadOnlySpan<byte> pong) =>
        pong.Length == PayloadLength && (pong.SequenceEqual(Volatile.Read(ref _current)) || pong.SequenceEqual(Volatile.Read(ref _previous)));

    /// <summary>Pings every live connection each <paramref name="interval"/> until <paramref name="ct"/> fires.</summary>
    public async Task RunAsync(LiveConnections live, TimeSpan interval, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
                PingAll(live.Snapshot());
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    /// <summary>One round: a fresh payload, then a ping (or the close of a silent one) for each connection.</summary>
    public void PingAll(WebSocketConnection[] connections)
    {
        // Guid.NewGuid reads the system's CSPRNG without loading libcrypto (as the handshake's own SHA-1 avoids it).
        byte[] payload = Guid.NewGuid().ToByteArray()[..PayloadLength];
        Volatile.Write(ref _previous, _current);
        Volatile.Write(ref _current, payload);
        byte[] frame = FrameWriter.Frame(Opcode.Ping, payload);
        using (SendScheduler.Cork())
        {
            foreach (WebSocketConnection connection in connections)
                connection.Ping(frame);
        }
    }
}
