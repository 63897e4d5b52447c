using System.Globalization;

namespace RawRelay.Hub;

/// <summary>
/// Hands each event to every consumer (any number of WATCH connections, the webhook). Producers ask
/// <see cref="IsWanted"/> first, so that no event, and no copy of a client's message, is made for nobody.
/// Event ids are a prefix drawn at start (so a restart never repeats one) and a counter. Thread-safe:
/// consumers are an array replaced on change, read without a lock.
/// </summary>
internal sealed class EventBus
{
    private static readonly string Prefix = RandomWords.Alphanumeric(8);
    private readonly Lock _gate = new();
    private IEventConsumer[] _consumers = [];
    private long _nextId;

    /// <summary>Consumers now (WATCH connections and the webhook).</summary>
    public int Consumers => Volatile.Read(ref _consumers).Length;

    /// <summary>True while some consumer takes events.</summary>
    public bool IsWanted => Volatile.Read(ref _consumers).Length > 0;

    public void Add(IEventConsumer consumer)
    {
        lock (_gate)
            Volatile.Write(ref _consumers, [.. _consumers, consumer]);
    }

    public void Remove(IEventConsumer consumer)
    {
        lock (_gate)
            Volatile.Write(ref _consumers, Array.FindAll(_consumers, c => c != consumer));
    }

    /// <summary>A new event id.</summary>
    public string NextId() => Prefix + "-" + Interlocked.Increment(ref _nextId).ToString("x", CultureInfo.InvariantCulture);

    /// <summary>Now, in unix seconds with fractions.</summary>
    public static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    public void Publish(RelayEvent relayEvent)
    {
        foreach (IEventConsumer consumer in Volatile.Read(ref _consumers))
            consumer.OnEvent(relayEvent);
    }
}
