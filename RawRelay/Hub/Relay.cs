using RawRelay.WebSockets;

namespace RawRelay.Hub;

/// <summary>
/// Fans messages out to connections: each message is framed once and the same bytes go to every queue.
/// Never waits for a client. Thread-safe: any number of control connections may call it at once, each
/// with its own <see cref="FrameArena"/> and <see cref="FlushBatch"/>.
/// </summary>
internal sealed class Relay
{
    private readonly ConnectionRegistry _registry;
    private readonly RelayStats _stats;

    public Relay(ConnectionRegistry registry, RelayStats stats)
    {
        _registry = registry;
        _stats = stats;
    }

    public ConnectionRegistry Registry => _registry;

    public RelayStats Stats => _stats;

    /// <summary>Queues one frame for every connection with <paramref name="id"/>; returns how many.</summary>
    public int Send(string id, Opcode opcode, ReadOnlySpan<byte> payload, FrameArena arena, FlushBatch batch)
    {
        IRelayConnection[] targets = _registry.Find(id);
        return FanOut(targets, opcode, payload, arena, batch);
    }

    /// <summary>Queues one frame for every connection; returns how many.</summary>
    public int Broadcast(Opcode opcode, ReadOnlySpan<byte> payload, FrameArena arena, FlushBatch batch) =>
        FanOut(_registry.Snapshot(), opcode, payload, arena, batch);

    /// <summary>Starts the closing handshake on every connection with <paramref name="id"/>.</summary>
    public int Close(string id, CloseCode code, string reason)
    {
        IRelayConnection[] targets = _registry.Find(id);
        foreach (IRelayConnection connection in targets)
            connection.Close(code, reason);
        return targets.Length;
    }

    private int FanOut(IRelayConnection[] targets, Opcode opcode, ReadOnlySpan<byte> payload, FrameArena arena, FlushBatch batch)
    {
        if (targets.Length == 0)
            return 0;
        ReadOnlyMemory<byte> frame = arena.Frame(opcode, payload);
        foreach (IRelayConnection connection in targets)
            batch.Enqueue(connection, frame);
        _stats.MessagesSent(targets.Length);
        return targets.Length;
    }
}
