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
}
