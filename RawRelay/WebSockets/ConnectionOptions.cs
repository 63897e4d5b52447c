namespace RawRelay.WebSockets;

/// <summary>The limits and timeouts every WebSocket connection of one relay works under. Immutable.</summary>
internal sealed record ConnectionOptions
{
    public long MaxMessage { get; init; } = 1024 * 1024;

    /// <summary>What one client's queue may keep alive before the client is cut off as slow (<c>--send-queue</c>).</summary>
    public long SendQueueLimit { get; init; } = 1024 * 1024;

    /// <summary>What all backlogged clients' queues together may keep alive (<c>--send-queue-total</c>).</summary>
    public long SendQueueTotal { get; init; } = 256L * 1024 * 1024;

    /// <summary>How long a client's queue may stay non-empty before it is cut off as slow (<c>--send-timeout</c>); zero for never.</summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public bool Echo { get; init; }

    /// <summary>Messages a client may send a second on average, in bursts of max(1, R) (<c>--client-rate</c>); 0 for no limit.</summary>
    public double ClientRate { get; init; }

    /// <summary>How long a closing connection may take before its TCP connection is closed anyway.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long to wait for the client's close after the server shut down.</summary>
    public TimeSpan ShutdownCloseTimeout { get; init; } = TimeSpan.FromSeconds(3);
}
