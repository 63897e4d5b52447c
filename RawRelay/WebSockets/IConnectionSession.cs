namespace RawRelay.WebSockets;

/// <summary>
/// A protocol spoken inside a WebSocket connection (Pusher's): it is told when the connection starts, each
/// whole message of its client, and the end, and answers through the connection's own queue
/// (<see cref="WebSocketConnection.SendText"/>). A connection without one is a native RawRelay connection.
/// Called on the connection's receive loop, one call at a time, except <see cref="OnEnded"/>, which comes once
/// when the connection is gone.
/// </summary>
internal interface IConnectionSession
{
    /// <summary>The connection is registered and its 101 queued; what is sent now follows the 101.</summary>
    void OnStarted(WebSocketConnection connection);

    /// <summary>A whole message of the client (the connection keeps it while it comes in, up to <c>--max-message</c>).</summary>
    void OnMessage(WebSocketConnection connection, Opcode opcode, ReadOnlySpan<byte> payload);

    /// <summary>The connection has left the registry and its socket is closed.</summary>
    void OnEnded(WebSocketConnection connection);
}
