using RawRelay.WebSockets;

namespace RawRelay.Hub;

/// <summary>What <see cref="TryEnqueue"/> did with a frame.</summary>
internal enum EnqueueResult
{
    /// <summary>Queued; a flush already under way will send it.</summary>
    Queued,

    /// <summary>
    /// Queued; the caller already owns the flush, and the queue now holds half of <c>--send-queue</c> or
    /// more: flush now rather than at the end of the batch, so that batching alone never makes a client
    /// look slow.
    /// </summary>
    QueuedHalfFull,

    /// <summary>Queued, and the caller now owns the flush: call <see cref="IRelayConnection.Flush"/> with the same owner.</summary>
    QueuedNeedsFlush,

    /// <summary>Not queued: the connection is closing, or was cut off as a slow client just now.</summary>
    Dropped,
}

/// <summary>A WebSocket connection as the hub sees it. Implementations are thread-safe.</summary>
internal interface IRelayConnection
{
    string Id { get; }

    /// <summary>Order of registration; LIST shows the oldest first.</summary>
    long Sequence { get; }

    /// <summary>The client's address as LIST shows it: <c>1.2.3.4:port</c> or <c>[::1]:port</c>.</summary>
    string RemoteAddress { get; }

    /// <summary>
    /// Queues a whole frame without waiting; the bytes must not change afterwards. When nobody owns the
    /// connection's flush, <paramref name="owner"/> (any object that stands for the caller) gets it.
    /// </summary>
    EnqueueResult TryEnqueue(ReadOnlyMemory<byte> frame, object owner);

    /// <summary>
    /// Sends what is queued without waiting for a slow peer, if <paramref name="owner"/> owns the flush;
    /// otherwise does nothing (whoever owns it will send), so it is safe to call more than once.
    /// </summary>
    void Flush(object owner);

    /// <summary>Starts the closing handshake with this code and reason.</summary>
    void Close(CloseCode code, string reason);
}
