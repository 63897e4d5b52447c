using RawRelay.Hub;
using StackExchange.Redis;

namespace RawRelay.Cluster;

/// <summary>
/// Presence channels' users for the whole cluster (<see cref="IClusterPresence"/>), kept in Redis per relay
/// (<c>pres:&lt;channel&gt;</c>, <see cref="ClusterScripts.PresenceJoin"/>): the roster and the member notices
/// are the cluster's, and a relay's users go with its heartbeat.
/// </summary>
internal sealed partial class ClusterNode : IClusterPresence
{
    public IClusterPresence Presence => this;

    public async Task<PresenceJoined> JoinAsync(string channel, string userId, string info, int maxMembers, byte[] memberAdded, byte[] memberRemoved,
        string socketId)
    {
        var result = (RedisResult[])(await RestoringOnFailure(Db.ScriptEvaluateAsync(ClusterScripts.PresenceJoin, [PresenceKey(channel), PresenceChannelsKey],
            [Name, userId, info, maxMembers, ClusterWire.StreamChannel(channel), ClusterWire.Notice(socketId, memberAdded), ClusterWire.Notice("", memberRemoved)]))
            .ConfigureAwait(false))!;
        long outcome = (long)result[0];
        return outcome < 0 ? new PresenceJoined(true, false, []) : new PresenceJoined(false, outcome == 1, Members(result, 1));
    }

    public async Task<bool> LeaveAsync(string channel, string userId, byte[] memberRemoved, bool allConnections = false)
    {
        RedisResult left = await RestoringOnFailure(Db.ScriptEvaluateAsync(ClusterScripts.PresenceLeave, [PresenceKey(channel), PresenceChannelsKey],
            [Name, userId, ClusterWire.StreamChannel(channel), ClusterWire.Notice("", memberRemoved), allConnections ? "1" : "0"])).ConfigureAwait(false);
        return (long)left == 1;
    }

    /// <summary>
    /// A presence change Redis did not confirm in time may still be applied there: the next heartbeat then
    /// writes this relay's users again as its sessions hold them (its old ones dropped first).
    /// </summary>
    private async Task<RedisResult> RestoringOnFailure(Task<RedisResult> call)
    {
        try
        {
            return await call.WaitAsync(CommandTimeout).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            _needsRestore = true;
            throw;
        }
    }

    public async Task<IReadOnlyList<(string Id, string Info)>> MembersAsync(string channel)
    {
        var result = (RedisResult[])(await Db.ScriptEvaluateAsync(ClusterScripts.PresenceMembers, [PresenceKey(channel)])
            .WaitAsync(CommandTimeout).ConfigureAwait(false))!;
        return Members(result, 0);
    }

    /// <summary>After Redis lost this relay's state: its presence users, as its sessions hold them, written back.</summary>
    private async Task RestorePresenceAsync()
    {
        if (_relay.Written is not { } written)
            return;
        foreach ((string channel, string userId, int connections, string info, byte[] removed) in written.PresenceHeld())
        {
            await Db.ScriptEvaluateAsync(ClusterScripts.PresenceRestore, [PresenceKey(channel), PresenceChannelsKey],
                [Name, userId, connections, info, ClusterWire.Notice("", removed)]).ConfigureAwait(false);
        }
    }

    private static List<(string Id, string Info)> Members(RedisResult[] result, int from)
    {
        var members = new List<(string, string)>((result.Length - from) / 2);
        for (int i = from; i + 1 < result.Length; i += 2)
            members.Add(((string)result[i]!, (string)result[i + 1]!));
        return members;
    }

    private static RedisKey PresenceKey(string channel) => ClusterWire.Prefix + "pres:" + channel;

    private RedisKey PresenceChannelsKey => ClusterWire.Prefix + "pchans:" + Name;
}
