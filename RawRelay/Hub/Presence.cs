namespace RawRelay.Hub;

/// <summary>
/// When ids go offline and channels are occupied or vacated (SPEC): <c>OFFLINE &lt;id&gt;</c> comes
/// <c>--offline-delay</c> after the last connection of an id closed, and not at all when the id reconnects
/// within that time (a page navigation is not a departure); <c>OCCUPIED</c> comes when a channel gets a
/// connection while vacant (never occupied, or vacated since), <c>VACATED</c> when its last connection has been
/// gone for the delay. It is told each transition by the streams (under their locks: it only notes them) and
/// decides on <see cref="Tick"/>. State is kept by name, so a stream object that is forgotten and made again
/// changes nothing. Thread-safe: one short lock.
/// </summary>
internal sealed class Presence(EventBus events, long delayMs)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, long> _goingOffline = new(StringComparer.Ordinal);      // id -> when its last connection closed
    private readonly Dictionary<string, long> _occupied = new(StringComparer.Ordinal);          // channel -> 0, or when it became empty
    private readonly PriorityQueue<(string Name, bool Channel, long Since), long> _due = new();

    public long DelayMs => delayMs;

    /// <summary>An id got its first connection (again).</summary>
    public void IdConnected(string id)
    {
        lock (_gate)
            _goingOffline.Remove(id);
    }

    /// <summary>An id's last connection closed.</summary>
    public void IdDisconnected(string id)
    {
        long now = Environment.TickCount64;
        lock (_gate)
        {
            _goingOffline[id] = now;
            _due.Enqueue((id, false, now), now + delayMs);
        }
    }

    /// <summary>A channel got its first connection (again): OCCUPIED unless it was occupied and not yet vacated.</summary>
    public void ChannelJoined(string channel)
    {
        bool wasVacant;
        lock (_gate)
        {
            wasVacant = !_occupied.ContainsKey(channel);
            _occupied[channel] = 0;
        }

        if (wasVacant && events.IsWanted)
            events.Publish(new RelayEvent { EventId = events.NextId(), Kind = RelayEventKind.Occupied, Time = EventBus.Now(), Channel = channel });
    }

    /// <summary>A channel's last connection left.</summary>
    public void ChannelLeft(string channel)
    {
        long now = Environment.TickCount64;
        lock (_gate)
        {
            _occupied[channel] = now;
            _due.Enqueue((channel, true, now), now + delayMs);
        }
    }

    /// <summary>Sends the OFFLINE and VACATED events that are due.</summary>
    public void Tick()
    {
        List<RelayEvent>? due = null;
        long now = Environment.TickCount64;
        lock (_gate)
        {
            while (_due.TryPeek(out (string Name, bool Channel, long Since) item, out long at) && at <= now)
            {
                _due.Dequeue();
                Dictionary<string, long> states = item.Channel ? _occupied : _goingOffline;
                if (!states.TryGetValue(item.Name, out long since) || since != item.Since)
                    continue;                   // back in time (or left again later: a newer entry decides)
                states.Remove(item.Name);
                (due ??= []).Add(item.Channel
                    ? new RelayEvent { EventId = events.NextId(), Kind = RelayEventKind.Vacated, Time = EventBus.Now(), Channel = item.Name }
                    : new RelayEvent { EventId = events.NextId(), Kind = RelayEventKind.Offline, Time = EventBus.Now(), Id = item.Name });
            }
        }

        if (due is null || !events.IsWanted)
            return;
        foreach (RelayEvent relayEvent in due)
            events.Publish(relayEvent);
    }
}
