using RawRelay.WebSockets;

namespace RawRelay.Hub;

/// <summary>What <see cref="TryEnqueue"/> did with a frame.</summary>
internal enum EnqueueResult
{
    /// <summary>Queued; a flush already under way will send it.</summary>
    Queued,

    /// <summary>
    /// Queued, a flush is already owned elsewhere, and the queue now holds half of <c>--send-queue</c> or
    /// more: if the caller's batch owns that flush, it should flush now rather than at its end, so that
    /// batching alone never makes a client look slow.
    /// </summary>
    QueuedHalfFull,

    /// <summary>Queued, and the caller now owns the flush: call <see cref="IRelayConnection.Flush"/>.</summary>
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

    /// <summary>Queues a whole frame without waiting; the bytes must not change afterwards.</summary>
    EnqueueResult TryEnqueue(ReadOnlyMemory<byte> frame);

    /// <summary>Sends what is queued without waiting for a slow peer; only after <see cref="EnqueueResult.QueuedNeedsFlush"/>.</summary>
    void Flush();

    /// <summary>Starts the closing handshake with this code and reason.</summary>
    void Close(CloseCode code, string reason);
}
