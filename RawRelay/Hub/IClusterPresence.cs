namespace RawRelay.Hub;

/// <summary>What a presence join did in the cluster: refused (the channel is full), or joined, first of its user or not, with the roster.</summary>
internal readonly record struct PresenceJoined(bool Full, bool First, IReadOnlyList<(string Id, string Info)> Members);

/// <summary>
/// A presence channel's users for the whole cluster (<c>--redis</c>): each relay's connections of each user
/// counted in Redis, so that a user is added on its first connection anywhere and removed on its last, and
/// the roster is every relay's. The notices of a user's arrival and departure go to every relay's sessions
/// on the channel as <see cref="IWrittenProtocol.Notice"/>. Implementations are thread-safe; calls fault
/// with the cluster's error when Redis does not answer.
/// </summary>
internal interface IClusterPresence
{
    /// <summary>
    /// One more connection of <paramref name="userId"/> on <paramref name="channel"/> here; when it is the
    /// user's first in the cluster, <paramref name="memberAdded"/> goes to the channel's sessions on every
    /// relay but the socket <paramref name="socketId"/>. <paramref name="memberRemoved"/> is kept, for the
    /// other relays to send if this one dies.
    /// </summary>
    Task<PresenceJoined> JoinAsync(string channel, string userId, string info, int maxMembers, byte[] memberAdded, byte[] memberRemoved, string socketId);

    /// <summary>
    /// One connection of the user less here (all of them, as this relay leaves the cluster, with
    /// <paramref name="allConnections"/>); true (and <paramref name="memberRemoved"/> sent) when that was its
    /// last in the cluster.
    /// </summary>
    Task<bool> LeaveAsync(string channel, string userId, byte[] memberRemoved, bool allConnections = false);

    /// <summary>The channel's users on live relays, with their <c>user_info</c>.</summary>
    Task<IReadOnlyList<(string Id, string Info)>> MembersAsync(string channel);
}
