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

    /// <summary>A bug of ours (an unexpected exception), not the peer's doing: logged as an error, closed with 1011.</summary>
    InternalError,
}
