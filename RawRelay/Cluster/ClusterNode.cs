using System.Collections.Concurrent;
using System.Diagnostics;
using RawRelay.Diagnostics;
using RawRelay.Hub;
using StackExchange.Redis;

namespace RawRelay.Cluster;

/// <summary>
/// This relay as a member of a cluster on Redis (<c>--redis</c>). It keeps in Redis, for its own
/// connections, a heartbeat and a count per stream (<see cref="ClusterScripts"/>), subscribes to the pub/sub
/// channel of each stream it has connections on and of nothing else, delivers what comes on them to the
/// local <see cref="Relay"/>, answers other relays' requests (SUBSCRIBE, CLOSE, LIST ...), and runs the
/// control commands for the whole cluster (<c>ClusterNode.Commands.cs</c>). When Redis goes and comes back
/// (also empty, after a restart) it restores what its connections need. StackExchange.Redis calls are
/// awaited, never blocked on. Thread-safe.
/// </summary>
internal sealed partial class ClusterNode : IClusterMembership, IAsyncDisposable
{
    /// <summary>How long a command waits for Redis and for the other relays' replies (the SPEC allows 2 s for ERR).</summary>
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(1.5);

    private readonly RedisAddress _address;
    private readonly Relay _relay;
    private readonly RelayLog _log;
    private readonly long _nodeTimeoutMs;
    private readonly long _subscriptionTtlMs;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, StreamSubscription> _streams = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, PendingReplies> _pending = new();
    private ConnectionMultiplexer? _redis;
    private long _nextRequest;
    private volatile bool _up;
    private volatile bool _needsRestore = true;
    private long _rttTicks;

    public ClusterNode(RedisAddress address, string name, TimeSpan nodeTimeout, int subscriptionTtlSeconds, Relay relay, RelayLog log)
    {
        _address = address;
        Name = name;
        _nodeTimeoutMs = (long)nodeTimeout.TotalMilliseconds;
        _subscriptionTtlMs = Math.Max(1, subscriptionTtlSeconds * 1000L);
        _relay = relay;
        _log = log;
    }

    /// <summary>This relay's name in the cluster (<c>--node-name</c>): LIST's third field.</summary>
    public string Name { get; }

    /// <summary>True while Redis answers and this relay's state is in it (<c>rawrelay_redis_up</c>).</summary>
    public bool IsUp => _up;

    /// <summary>The last heartbeat's round trip to Redis (<c>rawrelay_redis_rtt_seconds</c>).</summary>
    public double RttSeconds => TimeSpan.FromTicks(Interlocked.Read(ref _rttTicks)).TotalSeconds;

    /// <summary>Streams this relay is subscribed to in Redis now.</summary>
    public int SubscribedStreams
    {
        get
        {
            lock (_gate)
                return _streams.Count;
        }
    }

    private ConnectionMultiplexer Redis => _redis ?? throw new ClusterUnavailableException("not started");

    private IDatabase Db => Redis.GetDatabase(_address.Database);

    /// <summary>Connects (without waiting for Redis to be there: a relay starts while Redis is down) and listens on its own channels.</summary>
    public async Task StartAsync()
    {
        var options = new ConfigurationOptions
        {
            AbortOnConnectFail = false,
            ConnectTimeout = 2000,
            AsyncTimeout = (int)CommandTimeout.TotalMilliseconds,
            SyncTimeout = (int)CommandTimeout.TotalMilliseconds,
            ConnectRetry = 1,
            KeepAlive = 1,
            // Reconnect with backoff: 250 ms doubling to at most 5 s.
            ReconnectRetryPolicy = new ExponentialRetry(250, 5000),
            // A command while Redis is away fails at once (ERR cluster unavailable) instead of waiting in a
            // backlog that would deliver it later, after its ERR.
            BacklogPolicy = BacklogPolicy.FailFast,
            ClientName = "rawrelay-" + Name,
            DefaultDatabase = _address.Database,
            Password = _address.Password,
        };
        options.EndPoints.Add(_address.EndPoint);
        _redis = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
        _redis.ConnectionFailed += (_, e) =>
        {
            _needsRestore = true;
            SetUp(false, $"{e.FailureType} on the {e.ConnectionType.ToString().ToLowerInvariant()} connection to {_address}");
        };
        ISubscriber subscriber = _redis.GetSubscriber();
        // Kept for the relay's life: its replies, requests for its handles, requests for every relay. Handlers
        // (not queues: their order does not matter), so that a subscription made while Redis is away stays
        // registered and is renewed by the client when Redis is back.
        await SubscribeForLifeAsync(subscriber, ClusterWire.ReplyChannel(Name), (_, value) => OnReply(value)).ConfigureAwait(false);
        await SubscribeForLifeAsync(subscriber, ClusterWire.HandleChannel(Handles.RelayPrefix), (channel, value) => _ = OnRequestAsync(channel, value)).ConfigureAwait(false);
        await SubscribeForLifeAsync(subscriber, ClusterWire.AllNodesChannel, (channel, value) => _ = OnRequestAsync(channel, value)).ConfigureAwait(false);
        await BeatAsync().ConfigureAwait(false);
        if (!_up)
            SetUp(false, "no answer from " + _address);
    }

    private async Task SubscribeForLifeAsync(ISubscriber subscriber, string channel, Action<RedisChannel, RedisValue> handler)
    {
        try
        {
            await subscriber.SubscribeAsync(RedisChannel.Literal(channel), handler).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            _log.Debug($"cluster: {channel} subscribed once Redis is there: {e.Message}");
        }
    }

    /// <summary>The heartbeat, every fifth of --node-timeout (at most 3 s): it notices Redis come and go and restores this relay's state.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        TimeSpan period = TimeSpan.FromMilliseconds(Math.Clamp(_nodeTimeoutMs / 5, 100, 3000));
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
                await BeatAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    private async Task BeatAsync()
    {
        try
        {
            long started = Stopwatch.GetTimestamp();
            RedisResult alive = await Db.ScriptEvaluateAsync(ClusterScripts.Heartbeat, values: [Name, _nodeTimeoutMs, _subscriptionTtlMs]).ConfigureAwait(false);
            Interlocked.Exchange(ref _rttTicks, Stopwatch.GetElapsedTime(started).Ticks);
            if ((long)alive == 0 && !_needsRestore)
            {
                // Redis forgot this relay (it restarted in less than a heartbeat, or this relay missed its
                // heartbeats for --node-timeout and was pruned): its counts are gone, write them again.
                _log.Warn("cluster: this relay's state was gone from Redis; restoring it");
                _needsRestore = true;
            }

            if (_needsRestore)
            {
                // Up again only once pub/sub answers too (the subscriptions are renewed on their own connection).
                if ((await AskAsync(ClusterWire.HandleChannel(Handles.RelayPrefix), "ping", "").ConfigureAwait(false)).Length == 0)
                    throw new ClusterUnavailableException("subscriptions not renewed yet");
                _needsRestore = false;
                int restored = await RestoreAsync().ConfigureAwait(false);
                SetUp(true, $"connected to {_address} as {Name}, {restored} connection(s) restored");
            }
            else
            {
                SetUp(true, $"connected to {_address} as {Name}");
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ClusterUnavailableException)
        {
            _needsRestore = true;
            SetUp(false, Reason(e));
        }
    }

    /// <summary>Why a call failed, in a few words (the client's messages carry its whole state).</summary>
    private string Reason(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Net.Sockets.SocketException socket)
                return $"{_address}: {socket.Message}";
        }

        return e.Message.Split(';')[0];
    }

    /// <summary>One log line per change of state.</summary>
    private void SetUp(bool up, string why)
    {
        lock (_gate)
        {
            if (_up == up && (up || _loggedDown))
                return;
            _up = up;
            _loggedDown = !up;
        }

        if (up)
            _log.Info($"redis up: {why}");
        else
            _log.Warn($"redis down: {why}; control commands answer ERR cluster unavailable until it is back");
    }

    private bool _loggedDown;

    /// <summary>
    /// Writes this relay's part of the cluster state again, as after a Redis restart: its counts and presence
    /// users (its old ones dropped first) and the subscriptions of the ids it has connections of. Returns its
    /// connections.
    /// </summary>
    private async Task<int> RestoreAsync()
    {
        var streams = new List<string> { "*" };
        var subscriptions = new List<(string Id, string[] Channels)>();
        foreach (IdStream id in _relay.Registry.Ids())
        {
            if (id.Count == 0)
                continue;
            streams.Add(id.Name);
            if (id.SubscriptionNames() is { Length: > 0 } names)
                subscriptions.Add((id.Id, names));
        }

        foreach (Channel channel in _relay.Registry.Channels.InByteOrder())
        {
            if (channel.Count > 0)
                streams.Add(channel.Name);
        }

        foreach ((string id, string[] channels) in subscriptions)
        {
            await Db.ScriptEvaluateAsync(ClusterScripts.RestoreSubscriptions, [SubscriptionsKey(id)],
                Array.ConvertAll(channels, static c => (RedisValue)c)).ConfigureAwait(false);
        }

        await SyncAsync(streams, null, reset: true).ConfigureAwait(false);
        await RestorePresenceAsync().ConfigureAwait(false);
        return _relay.Registry.Count;
    }

    private static RedisKey SubscriptionsKey(string id) => ClusterWire.Prefix + "subs:" + id;

    private static RedisKey CountKey(string stream) => ClusterWire.Prefix + "count:" + stream;

    public async ValueTask DisposeAsync()
    {
        if (_redis is not { } redis)
            return;
        try
        {
            // Leave at once rather than after --node-timeout: the presence users (with their member_removed),
            // then the heartbeat and the counts go.
            if (_relay.Written is { } written)
                await written.DepartAsync(this).WaitAsync(CommandTimeout).ConfigureAwait(false);
            await SyncAsync(["*"], null, reset: true).WaitAsync(CommandTimeout).ConfigureAwait(false);
            await Db.KeyDeleteAsync(ClusterWire.Prefix + "node:" + Name).WaitAsync(CommandTimeout).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            _log.Debug($"cluster: not left cleanly: {e.Message}");
        }

        await redis.CloseAsync().ConfigureAwait(false);
        await redis.DisposeAsync().ConfigureAwait(false);
    }
}
