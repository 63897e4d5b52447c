using RawRelay.Hub;

namespace RawRelay.Webhooks;

/// <summary>
/// The events waiting for the webhook, oldest first, bounded in count (<c>--webhook-queue</c>) and in bytes
/// (<c>--webhook-memory</c>): an event past either bound is dropped and counted, so an endpoint that is down
/// or hangs costs bounded memory and never slows the relay. Producers (any thread, some under a stream's lock)
/// only append. Thread-safe: one consumer, any number of producers.
/// </summary>
internal sealed class WebhookQueue(int maxEvents, long maxBytes) : IEventConsumer
{
    private readonly Lock _gate = new();
    private readonly Queue<RelayEvent> _events = new();
    private readonly SemaphoreSlim _ready = new(0, 1);
    private long _bytes;
    private long _dropped;
    private bool _waiting;
    private bool _completed;

    public int Count
    {
        get
        {
            lock (_gate)
                return _events.Count;
        }
    }

    /// <summary>What the queued events cost, as <see cref="Cost"/> counts it.</summary>
    public long Bytes
    {
        get
        {
            lock (_gate)
                return _bytes;
        }
    }

    /// <summary>Events dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>
    /// The memory an event holds while queued: the object and its strings (UTF-16) and its payload. An
    /// estimate from above of what the runtime allocates for them.
    /// </summary>
    public static long Cost(RelayEvent relayEvent) =>
        160 + 2L * (relayEvent.EventId.Length + relayEvent.Handle.Length + relayEvent.Id.Length + relayEvent.Peer.Length
            + relayEvent.Channel.Length) + relayEvent.Payload.Length;

    public void OnEvent(RelayEvent relayEvent)
    {
        long cost = Cost(relayEvent);
        bool wake;
        lock (_gate)
        {
            if (_completed || _events.Count >= maxEvents || _bytes + cost > maxBytes)
            {
                Interlocked.Increment(ref _dropped);
                return;
            }

            _events.Enqueue(relayEvent);
            _bytes += cost;
            wake = _waiting;
            _waiting = false;
        }

        if (wake)
            _ready.Release();
    }

    /// <summary>Takes no more events; <see cref="TakeAsync"/> returns an empty batch once the queue is empty.</summary>
    public void Complete()
    {
        bool wake;
        lock (_gate)
        {
            _completed = true;
            wake = _waiting;
            _waiting = false;
        }

        if (wake)
            _ready.Release();
    }

    /// <summary>
    /// The oldest events, at most <paramref name="maxEvents"/> and, past the first, no more than
    /// <paramref name="maxBytes"/> in all; waits while there are none. Empty once completed and empty.
    /// </summary>
    public async Task<List<RelayEvent>> TakeAsync(int maxEvents, long maxBytes, CancellationToken ct)
    {
        while (true)
        {
            lock (_gate)
            {
                if (_events.Count > 0 || _completed)
                    return TakeLocked(maxEvents, maxBytes);
                _waiting = true;
            }

            await _ready.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    private List<RelayEvent> TakeLocked(int maxEvents, long maxBytes)
    {
        var batch = new List<RelayEvent>(Math.Min(maxEvents, _events.Count));
        long taken = 0;
        while (batch.Count < maxEvents && _events.TryPeek(out RelayEvent? next))
        {
            long cost = Cost(next);
            if (batch.Count > 0 && taken + cost > maxBytes)
                break;
            _events.Dequeue();
            batch.Add(next);
            taken += cost;
            _bytes -= cost;
        }

        return batch;
    }
}
