using RawRelay.Hub;

namespace RawRelay.Pusher;

/// <summary>
/// Who is on each presence channel: its users (in the order they came, each with its <c>user_info</c> and how
/// many of its connections are there) and the Pusher sessions subscribed. A user is added on the first of its
/// connections to subscribe and removed when the last one leaves; <c>member_added</c> and
/// <c>member_removed</c> go to the channel's other sessions under the roster's lock, so they arrive in the
/// order of the changes. At most <see cref="MaxMembers"/> users per channel (Pusher's limit). In a cluster
/// (<c>--redis</c>) the users are the cluster's (<see cref="IClusterPresence"/>): this roster then keeps this
/// relay's sessions, to hand them the cluster's member notices, and its users, to write them back to a Redis
/// that lost them. Thread-safe: one lock.
/// </summary>
internal sealed class PresenceRoster(PusherWebhooks? webhooks = null, Func<IClusterPresence?>? cluster = null)
{
    /// <summary>Users one presence channel may have.</summary>
    public const int MaxMembers = 100;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, ChannelMembers> _channels = new(StringComparer.Ordinal);

    private sealed class ChannelMembers
    {
        public readonly List<string> Order = [];
        public readonly Dictionary<string, (string Info, int Connections)> Users = new(StringComparer.Ordinal);
        public readonly HashSet<PusherSession> Sessions = [];
    }

    /// <summary>
    /// Adds a session's user to a channel; false when the channel has <see cref="MaxMembers"/> other users. On
    /// success, the members as the joiner is to see them (itself included).
    /// </summary>
    public bool Join(string channel, PusherSession session, string userId, string infoJson, out List<(string Id, string InfoJson)> members)
    {
        lock (_gate)
        {
            members = [];
            if (!_channels.TryGetValue(channel, out ChannelMembers? on))
                _channels[channel] = on = new ChannelMembers();
            bool known = on.Users.TryGetValue(userId, out (string Info, int Connections) user);
            if (!known && on.Users.Count >= MaxMembers)
            {
                if (on.Sessions.Count == 0)
                    _channels.Remove(channel);
                return false;
            }

            if (!on.Sessions.Add(session))
                return true;                    // subscribed already
            on.Users[userId] = (known ? user.Info : infoJson, user.Connections + 1);
            if (!known)
            {
                on.Order.Add(userId);
                webhooks?.MemberAdded(channel, userId);
                byte[] added = PusherJson.MemberAdded(channel, userId, infoJson);
                foreach (PusherSession other in on.Sessions)
                {
                    if (other != session)
                        other.Send(added);
                }
            }

            foreach (string id in on.Order)
                members.Add((id, on.Users[id].Info));
            return true;
        }
    }

    /// <summary>Takes a session's user off a channel; <c>member_removed</c> goes to the others when that was its last connection there.</summary>
    public void Leave(string channel, PusherSession session, string userId)
    {
        lock (_gate)
        {
            if (!RemoveLocal(channel, session, userId, out ChannelMembers? on, out bool last) || !last)
                return;
            webhooks?.MemberRemoved(channel, userId);
            byte[] removed = PusherJson.MemberRemoved(channel, userId);
            foreach (PusherSession other in on.Sessions)
                other.Send(removed);
        }
    }

    /// <summary>The ids of a presence channel's users, in the order they came.</summary>
    public string[] UserIds(string channel)
    {
        lock (_gate)
            return _channels.TryGetValue(channel, out ChannelMembers? on) ? [.. on.Order] : [];
    }

    /// <summary>How many users a presence channel has.</summary>
    public int UserCount(string channel)
    {
        lock (_gate)
            return _channels.TryGetValue(channel, out ChannelMembers? on) ? on.Users.Count : 0;
    }

    /// <summary>In a cluster, the cluster's presence (the rosters are the cluster's); null on a single relay.</summary>
    public IClusterPresence? Cluster => cluster?.Invoke();

    /// <summary>
    /// In a cluster: the session's user joins the channel for the whole cluster (<c>member_added</c> goes to the
    /// channel's sessions on every relay when it is the user's first connection anywhere); the roster as the
    /// joiner is to see it, or null when the channel has <see cref="MaxMembers"/> other users. Until its
    /// subscription succeeded the session keeps the notices that come for it (<see cref="PusherSession.Notify"/>).
    /// Faults when Redis does not answer (then the session is on nothing).
    /// </summary>
    public async Task<IReadOnlyList<(string Id, string InfoJson)>?> JoinClusterAsync(IClusterPresence presence, string channel, PusherSession session,
        string userId, string infoJson)
    {
        lock (_gate)
            AddLocal(channel, session, userId, infoJson);
        PresenceJoined joined;
        try
        {
            joined = await presence.JoinAsync(channel, userId, infoJson, MaxMembers, PusherJson.MemberAdded(channel, userId, infoJson),
                PusherJson.MemberRemoved(channel, userId), session.SocketId).ConfigureAwait(false);
        }
        catch
        {
            lock (_gate)
                RemoveLocal(channel, session, userId, out _, out _);
            throw;
        }

        if (joined.Full)
        {
            lock (_gate)
                RemoveLocal(channel, session, userId, out _, out _);
            return null;
        }

        if (joined.First)
            webhooks?.MemberAdded(channel, userId);
        return joined.Members;
    }

    /// <summary>In a cluster: the session's user leaves the channel; <c>member_removed</c> goes out when that was its last connection anywhere.</summary>
    public async Task LeaveClusterAsync(IClusterPresence presence, string channel, PusherSession session, string userId)
    {
        lock (_gate)
        {
            if (!RemoveLocal(channel, session, userId, out _, out _))
                return;
        }

        if (await presence.LeaveAsync(channel, userId, PusherJson.MemberRemoved(channel, userId)).ConfigureAwait(false))
            webhooks?.MemberRemoved(channel, userId);
    }

    /// <summary>A member notice from the cluster for this relay's sessions on the channel, but the socket it leaves out.</summary>
    public void Notice(string channel, ReadOnlySpan<byte> payload, string except)
    {
        byte[] notice = payload.ToArray();
        lock (_gate)
        {
            if (!_channels.TryGetValue(channel, out ChannelMembers? on))
                return;
            foreach (PusherSession session in on.Sessions)
            {
                if (session.SocketId != except)
                    session.Notify(channel, notice);
            }
        }
    }

    /// <summary>This relay leaves the cluster: each user its sessions hold leaves the cluster's roster (<c>member_removed</c> where it was the last).</summary>
    public async Task DepartAsync(IClusterPresence presence)
    {
        foreach ((string channel, string userId, _, _) in Held())
        {
            if (await presence.LeaveAsync(channel, userId, PusherJson.MemberRemoved(channel, userId), allConnections: true).ConfigureAwait(false))
                webhooks?.MemberRemoved(channel, userId);
        }
    }

    /// <summary>The users this relay's sessions hold on each presence channel, with their connections here.</summary>
    public List<(string Channel, string UserId, int Connections, string Info)> Held()
    {
        lock (_gate)
            return [.. _channels.SelectMany(c => c.Value.Users.Select(u => (c.Key, u.Key, u.Value.Connections, u.Value.Info)))];
    }

    /// <summary>The ids of a presence channel's users: the cluster's in a cluster, in the order Redis has them.</summary>
    public async Task<string[]> UserIdsAsync(string channel) =>
        Cluster is { } presence ? [.. (await presence.MembersAsync(channel).ConfigureAwait(false)).Select(static m => m.Id)] : UserIds(channel);

    /// <summary>How many users a presence channel has: the cluster's in a cluster.</summary>
    public async Task<int> UserCountAsync(string channel) =>
        Cluster is { } presence ? (await presence.MembersAsync(channel).ConfigureAwait(false)).Count : UserCount(channel);

    /// <summary>Under the lock: the session on the channel's local list, its user counted here.</summary>
    private void AddLocal(string channel, PusherSession session, string userId, string infoJson)
    {
        if (!_channels.TryGetValue(channel, out ChannelMembers? on))
            _channels[channel] = on = new ChannelMembers();
        if (!on.Sessions.Add(session))
            return;
        bool known = on.Users.TryGetValue(userId, out (string Info, int Connections) user);
        on.Users[userId] = (known ? user.Info : infoJson, user.Connections + 1);
        if (!known)
            on.Order.Add(userId);
    }

    /// <summary>
    /// Under the lock: undoes <see cref="AddLocal"/>; false when the session was not on the channel. <paramref name="last"/>
    /// says whether it was its user's last session here; <paramref name="on"/> is the channel's (forgotten when empty).
    /// </summary>
    private bool RemoveLocal(string channel, PusherSession session, string userId,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ChannelMembers? on, out bool last)
    {
        last = false;
        if (!_channels.TryGetValue(channel, out on) || !on.Sessions.Remove(session))
            return false;
        if (on.Users.TryGetValue(userId, out (string Info, int Connections) user))
        {
            last = user.Connections == 1;
            if (last)
            {
                on.Users.Remove(userId);
                on.Order.Remove(userId);
            }
            else
            {
                on.Users[userId] = (user.Info, user.Connections - 1);
            }
        }

        if (on.Sessions.Count == 0)
            _channels.Remove(channel);
        return true;
    }
}
