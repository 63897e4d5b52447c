namespace RawRelay.Hub;

/// <summary>
/// The hub's commands: send to an id, broadcast, close an id's connections. A message is handed to each
/// connection of its stream, which frames it in its dialect (once per dialect) and queues it without
/// waiting; the relay never sees how bytes reach a socket. Thread-safe: any number of callers at once.
/// </summary>
internal sealed class Relay
{
    public Relay(ConnectionRegistry registry, RelayStats stats)
    {
        Registry = registry;
        Stats = stats;
    }

    public ConnectionRegistry Registry { get; }

    public RelayStats Stats { get; }

    /// <summary>Hands the message to every connection with <paramref name="id"/>; returns how many count.</summary>
    public int Send(string id, Message message) => Count(Registry.Find(id)?.Publish(message) ?? default);

    /// <summary>Hands the message to every connection; returns how many count.</summary>
    public int Broadcast(Message message) => Count(Registry.All.Publish(message));

    /// <summary>Starts the closing handshake on every connection with <paramref name="id"/>.</summary>
    public int Close(string id, int code, string reason)
    {
        if (Registry.Find(id) is not { } stream)
            return 0;
        int closed = 0;
        foreach (IRelayConnection connection in stream.Snapshot())    // closing leaves the stream: not under its lock
        {
            if (connection.IsClosing)
                continue;
            connection.Close(code, reason);
            closed++;
        }

        return closed;
    }

    private int Count(FanOut fanOut)
    {
        Stats.MessagesSent(fanOut.Queued);
        return fanOut.Counted;
    }
}
