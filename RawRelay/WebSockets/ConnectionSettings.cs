using RawRelay.Hosting;
using RawRelay.Hub;

namespace RawRelay.WebSockets;

/// <summary>
/// What every WebSocket connection of one relay shares: limits, the registry, counters and the log. One
/// instance per relay, referenced by each connection. Immutable; thread-safe.
/// </summary>
internal sealed class ConnectionSettings
{
    public required long MaxMessage { get; init; }
    public required long SendQueueLimit { get; init; }
    public required bool Echo { get; init; }
    public required ConnectionRegistry Registry { get; init; }
    public required RelayStats Stats { get; init; }
    public required RelayLog Log { get; init; }

    /// <summary>Connections whose socket is still open, listed or not.</summary>
    public LiveConnections Live { get; } = new();

    /// <summary>How long a closing connection may take before its TCP connection is closed anyway.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long to wait for the client's close after the server shut down.</summary>
    public TimeSpan ShutdownCloseTimeout { get; init; } = TimeSpan.FromSeconds(3);
}
