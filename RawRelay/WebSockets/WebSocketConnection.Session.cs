namespace RawRelay.WebSockets;

/// <summary>A connection that speaks another protocol inside WebSocket (see <see cref="IConnectionSession"/>).</summary>
internal sealed partial class WebSocketConnection
{
    /// <summary>The protocol this connection speaks inside WebSocket; null for a native connection.</summary>
    private readonly IConnectionSession? _session;

    /// <summary>Queues a text message of this connection's own (a Pusher reply), copied into its queue, without waiting.</summary>
    public void SendText(ReadOnlySpan<byte> text) => EnqueueOwn(Opcode.Text, text);
}
