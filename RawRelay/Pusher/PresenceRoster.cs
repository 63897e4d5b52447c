namespace RawRelay.Pusher;

/// <summary>
/// Who is on each presence channel: its users (in the order they came, each with its <c>user_info</c> and how
/// many of its connections are there) and the Pusher sessions subscribed. A user is added on the first of its
/// connections to subscribe and removed when the last one leaves; <c>member_added</c> and
/// <c>member_removed</c> go to the channel's other sessions under the roster's lock, so they arrive in the
/// order of the changes. At most <see cref="MaxMembers"/> users per channel (Pusher's limit). Thread-safe: one lock.
/// </summary>
internal sealed class PresenceRoster(PusherWebhooks? webhooks = null)
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
            if (!_channels.TryGetValue(channel, out ChannelMembers? on) || !on.Sessions.Remove(session))
                return;
            if (on.Users.TryGetValue(userId, out (string Info, int Connections) user))
            {
                if (user.Connections > 1)
                {
                    on.Users[userId] = (user.Info, user.Connections - 1);
                }
                else
                {
                    on.Users.Remove(userId);
                    on.Order.Remove(userId);
                    webhooks?.MemberRemoved(channel, userId);
                    byte[] removed = PusherJson.MemberRemoved(channel, userId);
                    foreach (PusherSession other in on.Sessions)
                        other.Send(removed);
                }
            }

            if (on.Sessions.Count == 0)
                _channels.Remove(channel);
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
}
