namespace RawRelay.Hub;

/// <summary>
/// A protocol whose messages come written in its own dialect (Pusher's events, <see cref="Message.WrittenIn"/>),
/// as the cluster carries them between relays: the dialect they are written in, and the connection a message
/// leaves out, found by the key its sender named (a Pusher socket id) on the relay that holds it. Set on the
/// <see cref="Relay"/> by that protocol's server; implementations are thread-safe.
/// </summary>
internal interface IWrittenProtocol
{
    IDialect Dialect { get; }

    /// <summary>The connection named <paramref name="key"/> on this relay, or null (it is on another, or gone).</summary>
    IRelayConnection? Find(string key);
}
