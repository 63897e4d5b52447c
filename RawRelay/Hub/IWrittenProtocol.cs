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

    /// <summary>
    /// A notice of the protocol's own from the cluster (a presence member's arrival or departure) for its
    /// sessions on <paramref name="channel"/> here, but the one <paramref name="except"/> names: never a
    /// message of the channel's stream (no position, no native connection gets it).
    /// </summary>
    void Notice(string channel, ReadOnlySpan<byte> payload, string except);

    /// <summary>
    /// The presence users this relay's sessions hold (channel, user, connections, user_info, the notice of its
    /// departure), to write back to a cluster that lost them.
    /// </summary>
    IEnumerable<(string Channel, string UserId, int Connections, string Info, byte[] MemberRemoved)> PresenceHeld();

    /// <summary>This relay leaves the cluster: the presence users its sessions hold leave the cluster's rosters (with their notices).</summary>
    Task DepartAsync(IClusterPresence presence);
}
