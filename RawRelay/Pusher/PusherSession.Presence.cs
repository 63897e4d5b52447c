using RawRelay.Diagnostics;
using RawRelay.Hub;

namespace RawRelay.Pusher;

/// <summary>
/// A session's presence in a cluster (<c>--redis</c>): its joins and leaves of the cluster's rosters, one
/// after another per channel in the order the client sent them, and the member notices it holds until its
/// subscription succeeded.
/// </summary>
internal sealed partial class PusherSession
{
    private readonly Dictionary<string, Task> _presenceOps = new(StringComparer.Ordinal);       // a channel's last presence join or leave
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _presenceRound = new(StringComparer.Ordinal); // subscribes so far, per channel
    private readonly Dictionary<string, List<byte[]>> _heldNotices = new(StringComparer.Ordinal); // notices before the subscription succeeded (locked)

    /// <summary>
    /// A member notice from the cluster for a presence channel: sent, or kept until the channel's
    /// subscription_succeeded has gone (so the roster comes first, and no later arrival is lost to it).
    /// </summary>
    public void Notify(string channel, byte[] notice)
    {
        lock (_heldNotices)
        {
            if (_heldNotices.TryGetValue(channel, out List<byte[]>? held))
            {
                held.Add(notice);
                return;
            }
        }

        Send(notice);
    }

    /// <summary>
    /// In a cluster: once this relay gets the channel's messages and notices, the user joins the cluster's
    /// roster, and subscription_succeeded goes with it, then the notices that came meanwhile. A full channel
    /// or an unavailable cluster gets subscription_error and leaves the connection off the channel (unless it
    /// subscribed again meanwhile). A channel's joins and leaves run one after another, in the client's order,
    /// so the cluster's count of this session follows what the client did.
    /// </summary>
    private async Task JoinClusterPresenceAsync(Task previous, IClusterPresence presence, string channel, string userId, string info, int round)
    {
        await previous.ConfigureAwait(false);   // never faults
        IReadOnlyList<(string Id, string InfoJson)>? members = null;
        string? failure = null;
        lock (_heldNotices)
            _heldNotices[channel] = [];
        try
        {
            await _server.Relay.AnnounceAsync(channel).ConfigureAwait(false);
            members = await _server.Presence.JoinClusterAsync(presence, channel, this, userId, info).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            failure = e.Message;
            _server.Log.Warn($"pusher: presence join of {channel} failed: {e.Message}", LogField.Of("reason", e.Message));
        }

        if (members is null)
        {
            lock (_heldNotices)
                _heldNotices.Remove(channel);
            if (_presenceRound.GetValueOrDefault(channel) == round)
            {
                // Not subscribed (it may subscribe again); a subscribe that came meanwhile keeps its own.
                _channels.TryRemove(channel, out _);
                _server.Relay.Leave(_connection!, channel);
                _ = _server.Relay.AnnounceAsync(channel);
            }

            Send(failure is null
                ? PusherJson.SubscriptionError(channel, 403, $"presence channel has {PresenceRoster.MaxMembers} members")
                : PusherJson.SubscriptionError(channel, 503, "cluster unavailable"));
            return;
        }

        lock (_heldNotices)
        {
            // Under the lock, so that a notice coming now waits behind those held (their order is the cluster's).
            Send(PusherJson.PresenceSucceeded(channel, members));
            _heldNotices.Remove(channel, out List<byte[]>? held);
            foreach (byte[] notice in held ?? [])
                Send(notice);
        }
    }

    /// <summary>The user leaves a presence channel's roster: at once on a single relay; in a cluster after the channel's join, without waiting.</summary>
    private void LeavePresence(string channel, string userId)
    {
        if (_server.Presence.Cluster is not { } presence)
        {
            _server.Presence.Leave(channel, this, userId);
            return;
        }

        _presenceOps[channel] = LeaveClusterPresenceAsync(Previous(channel), presence, channel, userId);
    }

    /// <summary>The channel's last presence join or leave, which the next waits for.</summary>
    private Task Previous(string channel) => _presenceOps.GetValueOrDefault(channel) ?? Task.CompletedTask;

    private async Task LeaveClusterPresenceAsync(Task previous, IClusterPresence presence, string channel, string userId)
    {
        try
        {
            await previous.ConfigureAwait(false);
            await _server.Presence.LeaveClusterAsync(presence, channel, this, userId).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Redis is away: the heartbeat's restore writes this relay's users back as its sessions hold them.
            _server.Log.Debug($"pusher: presence leave of {channel} not written: {e.Message}");
        }
    }
}
