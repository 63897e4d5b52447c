namespace RawRelay.WebSockets;

/// <summary>Why a connection ended; the first reason given wins.</summary>
internal enum EndReason
{
    None,
    PeerClosed,
    PeerVanished,
    ProtocolError,
    SlowClient,
    PingTimeout,
    ClosedByCommand,
    ServerShutdown,
    RateLimited,

    /// <summary>The shared budget of messages kept whole while they come in was spent: closed with 1013.</summary>
    Busy,

    /// <summary>A bug of ours (an unexpected exception), not the peer's doing: logged as an error, closed with 1011.</summary>
    InternalError,
}

/// <summary>How a receive loop's failure ends its connection. Pure; thread-safe (static).</summary>
internal static class EndReasons
{
    /// <summary>
    /// A broken or closed socket is an ordinary end (the peer vanished); any other exception is a bug of
    /// ours: an internal error, closed with 1011, never blamed on the peer as a protocol error.
    /// </summary>
    public static (EndReason Reason, CloseCode Code) Classify(Exception? failure) => failure switch
    {
        null => (EndReason.None, CloseCode.None),
        System.Net.Sockets.SocketException or ObjectDisposedException => (EndReason.PeerVanished, CloseCode.None),
        _ => (EndReason.InternalError, CloseCode.InternalError),
    };
}
