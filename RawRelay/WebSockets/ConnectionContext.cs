using RawRelay.Diagnostics;
using RawRelay.Hub;

namespace RawRelay.WebSockets;

/// <summary>
/// What every WebSocket connection of one relay uses: its options, the registry it is listed in, the
/// counters, the log, the set of live connections, the relay-wide send memory, the budget of kept messages and the keepalive. One per
/// relay, referenced by each connection. Thread-safe.
/// </summary>
internal sealed class ConnectionContext
{
    public ConnectionContext(ConnectionOptions options, ConnectionRegistry registry, RelayStats stats, RelayLog log)
    {
        Options = options;
        Registry = registry;
        Stats = stats;
        Log = log;
        SendMemory = new SendMemory(options.SendQueueTotal);
        KeptMessages = new MemoryBudget(MemoryBudget.ForMessagesUpTo(options.MaxMessage));
    }

    public ConnectionOptions Options { get; }

    public ConnectionRegistry Registry { get; }

    public RelayStats Stats { get; }

    public RelayLog Log { get; }

    /// <summary>Connections whose socket is still open, listed or not.</summary>
    public LiveConnections Live { get; } = new();

    public SendMemory SendMemory { get; }

    /// <summary>What clients' messages that are still coming in, kept whole for an event or an echo, may hold beyond 64 KiB each.</summary>
    public MemoryBudget KeptMessages { get; }

    public Keepalive Keepalive { get; } = new();
}
