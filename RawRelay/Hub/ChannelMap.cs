using System.Collections.Concurrent;

namespace RawRelay.Hub;

/// <summary>
/// The channels that exist (those with a connection or a subscribed id), by name, and how many id
/// subscriptions there are in all. Joining a channel that was retired a moment ago asks the map again.
/// Thread-safe: lookups are lock-free.
/// </summary>
internal sealed class ChannelMap(HistoryStore history, Presence presence)
{
    private readonly ConcurrentDictionary<string, Channel> _channels = new(StringComparer.Ordinal);
    private long _subscriptions;

    /// <summary>The relay's history, which channels keep their messages in.</summary>
    public HistoryStore History { get; } = history;

    /// <summary>Told when a channel gets its first connection and loses its last.</summary>
    public Presence Presence { get; } = presence;

    /// <summary>Channels that exist now.</summary>
    public int Count => _channels.Count;

    /// <summary>Subscriptions of ids to channels, in all.</summary>
    public long Subscriptions => Interlocked.Read(ref _subscriptions);

    public Channel? Find(string name) => _channels.TryGetValue(name, out Channel? channel) ? channel : null;

    /// <summary>Every channel that exists, in byte order of their names.</summary>
    public Channel[] InByteOrder()
    {
        Channel[] all = _channels.Values.ToArray();
        Array.Sort(all, static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return all;
    }

    /// <summary>Puts <paramref name="connection"/> on the channel, creating it when needed.</summary>
    public void Join(string name, IRelayConnection connection)
    {
        while (true)
        {
            Channel channel = _channels.GetOrAdd(name, static (n, map) => new Channel(n, map), this);
            if (channel.Add(connection))
                return;
            Forget(channel);                    // retired a moment ago
        }
    }

    /// <summary>The channel with one more subscribed id, creating it when needed.</summary>
    public Channel Subscribe(string name)
    {
        while (true)
        {
            Channel channel = _channels.GetOrAdd(name, static (n, map) => new Channel(n, map), this);
            if (channel.TryAddSubscriber())
            {
                Interlocked.Increment(ref _subscriptions);
                return channel;
            }

            Forget(channel);
        }
    }

    /// <summary>One subscribed id less on the channel; it is dropped when that leaves it unused.</summary>
    public void Unsubscribe(Channel channel)
    {
        Interlocked.Decrement(ref _subscriptions);
        channel.RemoveSubscriber();             // a retired channel forgets itself
    }

    /// <summary>Takes <paramref name="connection"/> off the channel; true when it was on it.</summary>
    public bool Leave(Channel channel, IRelayConnection connection)
    {
        return channel.Remove(connection, out _);
    }

    /// <summary>The channel with this name, made (and, with history on, pinned) when there is none; for POSITION.</summary>
    public StreamPosition Pin(string name, HistoryStore history)
    {
        while (true)
        {
            Channel channel = _channels.GetOrAdd(name, static (n, map) => new Channel(n, map), this);
            if (channel.Pin(history) is { } position)
                return position;
            Forget(channel);
        }
    }

    /// <summary>Forgets a retired channel (a fresh one may already have taken its name).</summary>
    public void Forget(Channel channel) => _channels.TryRemove(new KeyValuePair<string, Channel>(channel.Name, channel));
}
