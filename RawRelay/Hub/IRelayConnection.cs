namespace RawRelay.Hub;

/// <summary>What a connection did with a message handed to it.</summary>
internal enum DeliveryResult
{
    /// <summary>Queued; the connection's own writer sends it.</summary>
    Queued,

    /// <summary>
    /// Not queued: this message would have taken the connection over its send-queue bound, so it is cut
    /// off as a slow client (it still counts in the command's <c>OK &lt;n&gt;</c>, as the SPEC says).
    /// </summary>
    CutOff,

    /// <summary>Not queued and not counted: the connection was already closing.</summary>
    Dropped,
}

/// <summary>
/// A client connection as the hub sees it: who it is, and a way to hand it messages and to close it. The
/// hub never sees how or when bytes reach the socket. Implementations are thread-safe.
/// </summary>
internal interface IRelayConnection
{
    string Id { get; }

    /// <summary>Order of registration; LIST shows the oldest first.</summary>
    long Sequence { get; }

    /// <summary>The channels the connection asked for when it connected (SPEC): its own, for as long as it lives.</summary>
    string[] OwnChannels { get; }

    /// <summary>The client's address as LIST shows it: <c>1.2.3.4:port</c> or <c>[::1]:port</c>.</summary>
    string RemoteAddress { get; }

    /// <summary>True once the connection has started to close: it takes no more messages.</summary>
    bool IsClosing { get; }

    /// <summary>The hub's bookkeeping of where this connection is listed; only the hub touches it, under its locks.</summary>
    ref HubSlots Slots { get; }

    /// <summary>Queues the message in this connection's dialect without waiting.</summary>
    DeliveryResult Deliver(Message message);

    /// <summary>True while the connection has positions to resume from (a rawrelay.v1 client's <c>since</c>, before it is on its streams).</summary>
    bool HasResume { get; }

    /// <summary>The streams the client named in <c>since</c> (a cluster reads their history from Redis before the connection joins them).</summary>
    string[] ResumeStreams => [];

    /// <summary>The position the client asked to resume <paramref name="stream"/> from, if any.</summary>
    StreamPosition? ResumeFrom(Stream stream);

    /// <summary>Queues a kept frame the client missed (it does not count toward <c>--send-queue</c>).</summary>
    void Replay(byte[] frame);

    /// <summary>Queues a notice to the client (<c>!reset ...</c>), a text message without a header line.</summary>
    void Notice(byte[] text);

    /// <summary>Starts the closing handshake with this close code (RFC 6455 §7.4) and reason.</summary>
    void Close(int code, string reason);
}
