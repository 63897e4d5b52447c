using System.Collections.Concurrent;
using System.Diagnostics;
using RawRelay.Diagnostics;
using RawRelay.Hub;
using StackExchange.Redis;

namespace RawRelay.Cluster;

/// <summary>
/// The cluster's membership of this relay's connections (<see cref="IClusterMembership"/>): before and after a
/// connection is listed, when it leaves, and when a Pusher subscription changes its channels, Redis is brought
/// in line with this relay's counts and stream subscriptions.
/// </summary>
internal sealed partial class ClusterNode
{
    /// <summary>The connections this relay has on a stream.</summary>
    private int LocalCount(string stream)
    {
        if (stream == "*")
            return _relay.Registry.Count;
        if (stream.StartsWith('#'))
            return _relay.Registry.Find(stream[1..])?.Count ?? 0;
        return _relay.Registry.Channels.Find(stream)?.Count ?? 0;
    }

    public async ValueTask BeforeAddAsync(IRelayConnection connection, CancellationToken ct)
    {
        if (!_up)
            return;                             // restored when Redis is back
        string id = connection.Id;
        try
        {
            RedisValue[] members = await Db.SetMembersAsync(SubscriptionsKey(id)).WaitAsync(CommandTimeout, ct).ConfigureAwait(false);
            Mirror(id, Array.ConvertAll(members, static m => (string)m!));
            if (_relay.History.Enabled && connection.ResumeStreams is { Length: > 0 } resumes)
                await SeedAsync(connection, resumes, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            _needsRestore = true;
            _log.Debug($"cluster: subscriptions of {id} not read: {e.Message}");
        }
    }

    /// <summary>Makes this relay's copy of an id's subscriptions what the cluster says they are.</summary>
    private void Mirror(string id, string[] cluster)
    {
        string[] local = _relay.Registry.Find(id)?.SubscriptionNames() ?? [];
        foreach (string channel in cluster)
        {
            if (Array.IndexOf(local, channel) < 0)
                _relay.Registry.Subscribe(id, channel, int.MaxValue, out _);
        }

        foreach (string channel in local)
        {
            if (Array.IndexOf(cluster, channel) < 0)
                _relay.Registry.Unsubscribe(id, channel);
        }
    }

    public async ValueTask AddedAsync(IRelayConnection connection, CancellationToken ct)
    {
        if (!_up)
        {
            Unpin(connection);
            return;
        }

        try
        {
            var streams = new List<string> { "*", "#" + connection.Id };
            streams.AddRange(ConnectionRegistry.ChannelNamesOf(connection));
            // A SUBSCRIBE elsewhere between reading the id's subscriptions and counting this connection: the
            // count's script returns them again; a new one is joined (and subscribed to) before the 101.
            for (int round = 0; round < 8; round++)
            {
                RedisResult result = await SyncAsync(streams, connection.Id, reset: false).WaitAsync(CommandTimeout, ct).ConfigureAwait(false);
                string[] cluster = (string[])result!;
                string[] local = _relay.Registry.Find(connection.Id)?.SubscriptionNames() ?? [];
                string[] missing = Array.FindAll(cluster, c => Array.IndexOf(local, c) < 0);
                if (missing.Length == 0)
                    break;
                foreach (string channel in missing)
                    _relay.Registry.Subscribe(connection.Id, channel, int.MaxValue, out _);
                streams = [.. missing];
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            _needsRestore = true;
            _log.Debug($"cluster: connection {connection.Id} not registered yet: {e.Message}");
        }
        finally
        {
            Unpin(connection);
        }
    }

    public void Removed(IRelayConnection connection, string[] channels)
    {
        if (_redis is null)
            return;
        Unpin(connection);
        _ = SyncInBackgroundAsync(["*", "#" + connection.Id, .. channels]);
    }

    public Task ChannelChangedAsync(string channel) => _redis is null ? Task.CompletedTask : SyncInBackgroundAsync([channel]);

    private async Task SyncInBackgroundAsync(List<string> streams)
    {
        try
        {
            await SyncAsync(streams, null, reset: false).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            _needsRestore = true;               // the heartbeat writes every count again once Redis answers
            _log.Debug($"cluster: counts not updated: {e.Message}");
        }
    }

    /// <summary>
    /// Brings Redis in line with this relay's connections on <paramref name="streams"/>: first subscribes to
    /// each stream it now has connections on (so a message counted for one is delivered), then writes the
    /// counts, then unsubscribes from those it has none on any more. Counts are read and their writes
    /// issued under one lock, so Redis applies them in the order they were read: the last write is the latest count.
    /// </summary>
    private async Task<RedisResult> SyncAsync(List<string> streams, string? subscriptionsOf, bool reset)
    {
        List<Task>? subscribing = null;
        lock (_gate)
        {
            foreach (string stream in streams)
            {
                if (!_streams.ContainsKey(stream) && LocalCount(stream) > 0)
                {
                    var subscription = new StreamSubscription(stream);
                    _streams[stream] = subscription;
                    subscription.Queue = SubscribeAsync(subscription);
                    (subscribing ??= []).Add(subscription.Queue);
                }
                else if (_streams.TryGetValue(stream, out StreamSubscription? pending) && !pending.Queue.IsCompleted)
                {
                    (subscribing ??= []).Add(pending.Queue);
                }
            }
        }

        if (subscribing is not null)
            await Task.WhenAll(subscribing).ConfigureAwait(false);
        Task<RedisResult> written;
        lock (_gate)
        {
            var values = new List<RedisValue>(4 + streams.Count * 2) { Name, _subscriptionTtlMs, reset ? "1" : "0", subscriptionsOf ?? "" };
            foreach (string stream in streams)
            {
                int count = LocalCount(stream);
                values.Add(stream);
                values.Add(count);
                if (count == 0 && _streams.TryGetValue(stream, out StreamSubscription? gone) && gone.Pins == 0)
                {
                    _streams.Remove(stream);
                    gone.Retired = true;
                    _ = UnsubscribeAsync(gone);
                }
            }

            written = Db.ScriptEvaluateAsync(ClusterScripts.Sync, values: [.. values]);
        }

        return await written.ConfigureAwait(false);
    }
}
