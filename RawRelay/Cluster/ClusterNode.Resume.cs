using System.Collections.Concurrent;
using RawRelay.Hub;
using StackExchange.Redis;

namespace RawRelay.Cluster;

/// <summary>A resume on this relay from what Redis keeps (--history with --redis).</summary>
internal sealed partial class ClusterNode
{
    /// <summary>
    /// Before a connection resumes here: this relay subscribes to each stream it resumes (and is on), so that
    /// what is published from now on reaches it, then reads what Redis keeps of the stream and makes it its
    /// own; the replay comes from that when the connection joins, then the live messages: none missing,
    /// none twice (a message both read and received is kept once, by its offset).
    /// </summary>
    private async Task SeedAsync(IRelayConnection connection, string[] resumes, CancellationToken ct)
    {
        var on = new HashSet<string>(StringComparer.Ordinal) { "*", "#" + connection.Id };
        on.UnionWith(connection.OwnChannels);
        on.UnionWith(_relay.Registry.Find(connection.Id)?.SubscriptionNames() ?? []);
        string[] streams = [.. resumes.Where(on.Contains).Distinct(StringComparer.Ordinal)];
        if (streams.Length == 0)
            return;
        List<Task> subscribing = [];
        foreach (string stream in streams)
            _relay.Prepare(stream);             // before the subscription: what it brings has a stream to be kept in
        lock (_gate)
        {
            foreach (string stream in streams)
            {
                if (!_streams.TryGetValue(stream, out StreamSubscription? subscription))
                {
                    subscription = new StreamSubscription(stream);
                    _streams[stream] = subscription;
                    subscription.Queue = SubscribeAsync(subscription);
                }

                subscription.Pins++;
                subscribing.Add(subscription.Queue);
            }
        }

        _resumePins[connection] = streams;
        await Task.WhenAll(subscribing).WaitAsync(CommandTimeout, ct).ConfigureAwait(false);
        foreach (string stream in streams)
        {
            // A marker through the stream's channel: once it is back, every message published after it
            // reaches this relay, so what Redis keeps (read next) and what comes live leave no gap.
            string marker = Name + "/" + Interlocked.Increment(ref _nextRequest).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var back = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _markers[marker] = back;
            try
            {
                await Redis.GetSubscriber().PublishAsync(RedisChannel.Literal(ClusterWire.StreamChannel(stream)), ClusterWire.Marker(marker)).ConfigureAwait(false);
                await back.Task.WaitAsync(CommandTimeout, ct).ConfigureAwait(false);
            }
            finally
            {
                _markers.TryRemove(marker, out _);
            }

            RedisResult[] kept = (RedisResult[])(await Db.ScriptEvaluateAsync(ClusterScripts.Kept, [PositionKey(stream), KeptKey(stream)])
                .WaitAsync(CommandTimeout, ct).ConfigureAwait(false))!;
            if (kept[0].IsNull)
            {
                // Redis has no such stream (never made, or lost): it starts under a new epoch, which this
                // relay takes too (dropping a copy of an older life), so the resume gets !reset.
                RedisResult[] made = (RedisResult[])(await Db.ScriptEvaluateAsync(ClusterScripts.Position, [PositionKey(stream)],
                    [ClusterWire.NewEpoch(), _relay.History.TtlMs]).WaitAsync(CommandTimeout, ct).ConfigureAwait(false))!;
                _relay.Seed(stream, (string)made[0]!, (long)made[1], []);
                continue;
            }
            var entries = new List<(long, MessageKind, byte[])>(kept.Length - 2);
            for (int i = 2; i < kept.Length; i++)
            {
                byte[] entry = (byte[])kept[i]!;
                // A kept Pusher event replays to a resuming (rawrelay.v1) client as its envelope, as it is live.
                if (ClusterWire.TryParsePositioned(entry, withEpoch: false, out _, out long offset, out MessageBody body))
                    entries.Add((offset, body.Binary ? MessageKind.Binary : MessageKind.Text, entry[body.PayloadStart..]));
            }

            _relay.Seed(stream, (string)kept[0]!, (long)kept[1], entries);
        }
    }

    /// <summary>Markers sent through a stream's channel, completed when they come back.</summary>
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _markers = new(StringComparer.Ordinal);

    /// <summary>The streams a connection about to resume holds subscribed, until it is listed (or refused).</summary>
    private readonly ConcurrentDictionary<IRelayConnection, string[]> _resumePins = new();

    private void Unpin(IRelayConnection connection)
    {
        if (!_resumePins.TryRemove(connection, out string[]? streams))
            return;
        lock (_gate)
        {
            foreach (string stream in streams)
            {
                if (_streams.TryGetValue(stream, out StreamSubscription? subscription) && subscription.Pins > 0)
                    subscription.Pins--;
            }
        }
    }

    private static RedisKey PositionKey(string stream) => ClusterWire.Prefix + "pos:" + stream;

    private static RedisKey KeptKey(string stream) => ClusterWire.Prefix + "kept:" + stream;
}
