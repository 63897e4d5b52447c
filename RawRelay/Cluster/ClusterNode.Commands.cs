using System.Globalization;
using RawRelay.Control;
using StackExchange.Redis;

namespace RawRelay.Cluster;

internal sealed partial class ClusterNode : IClusterCommands
{
    public bool Runs(CommandKind kind) => kind is CommandKind.SendMessage or CommandKind.SendText or CommandKind.SendBinary
        or CommandKind.PublishMessage or CommandKind.PublishText or CommandKind.PublishBinary
        or CommandKind.BroadcastMessage or CommandKind.BroadcastText or CommandKind.BroadcastBinary
        or CommandKind.List or CommandKind.ListChannel or CommandKind.ListChannels or CommandKind.Subscribe
        or CommandKind.Unsubscribe or CommandKind.Channels or CommandKind.Position or CommandKind.Close or CommandKind.Disconnect;

    public async Task RunAsync(ControlCommand command, ReadOnlyMemory<byte> body, ControlReplies replies, CancellationToken ct)
    {
        // Copied before the first await: the body is the control connection's buffer.
        byte[]? message = command.Kind switch
        {
            CommandKind.SendMessage or CommandKind.SendText or CommandKind.PublishMessage or CommandKind.PublishText
                or CommandKind.BroadcastMessage or CommandKind.BroadcastText => ClusterWire.Message(false, body.Span),
            CommandKind.SendBinary or CommandKind.PublishBinary or CommandKind.BroadcastBinary => ClusterWire.Message(true, body.Span),
            _ => null,
        };
        if (!_up)
        {
            replies.Error("cluster unavailable");
            return;
        }

        try
        {
            // Written to a buffer of its own: a command that times out may still finish later, and must not
            // write into replies that have moved on.
            var own = new ControlReplies();
            await RunInClusterAsync(command, message, own).WaitAsync(CommandTimeout, ct).ConfigureAwait(false);
            replies.Append(own);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ClusterUnavailableException)
        {
            _log.Debug($"cluster: command failed: {e.Message}");
            replies.Error("cluster unavailable");
        }
    }

    /// <summary>Runs the command, writing its replies to a buffer of its own.</summary>
    private async Task RunInClusterAsync(ControlCommand command, byte[]? message, ControlReplies replies)
    {
        switch (command.Kind)
        {
            case CommandKind.SendMessage or CommandKind.SendText or CommandKind.SendBinary:
                replies.Ok(await PublishAsync("#" + command.Id, message!).ConfigureAwait(false));
                break;
            case CommandKind.PublishMessage or CommandKind.PublishText or CommandKind.PublishBinary:
                replies.Ok(await PublishAsync(command.Channel, message!).ConfigureAwait(false));
                break;
            case CommandKind.BroadcastMessage or CommandKind.BroadcastText or CommandKind.BroadcastBinary:
                replies.Ok(await PublishAsync("*", message!).ConfigureAwait(false));
                break;
            case CommandKind.List:
                WriteLines(await AskAsync(ClusterWire.StreamChannel("*"), "list", "*").ConfigureAwait(false), replies);
                break;
            case CommandKind.ListChannel:
                WriteLines(await AskAsync(ClusterWire.StreamChannel(command.Channel), "list", command.Channel).ConfigureAwait(false), replies);
                break;
            case CommandKind.ListChannels:
                await ListChannelsAsync(replies).ConfigureAwait(false);
                break;
            case CommandKind.Subscribe:
                await SubscribeAsync(command.Id, command.Channel, replies).ConfigureAwait(false);
                break;
            case CommandKind.Unsubscribe:
            {
                string stream = "#" + command.Id;
                ClusterReply[] answers = await AskAsync(ClusterWire.StreamChannel(stream), "unsub", command.Id + " " + command.Channel,
                    request => Db.ScriptEvaluateAsync(ClusterScripts.Unsubscribe, [SubscriptionsKey(command.Id)],
                        [command.Channel, ClusterWire.StreamChannel(stream), request])).ConfigureAwait(false);
                replies.Ok(answers.Sum(static a => a.Count));
                break;
            }

            case CommandKind.Channels:
                await ChannelsAsync(command.Id, replies).ConfigureAwait(false);
                break;
            case CommandKind.Position:
                if (_relay.History.Enabled)
                {
                    // The stream's position in Redis, the same on every relay (the stream made, and kept for the ttl, when Redis has none).
                    RedisResult[] at = (RedisResult[])(await Db.ScriptEvaluateAsync(ClusterScripts.Position, [PositionKey(command.Channel)],
                        [ClusterWire.NewEpoch(), _relay.History.TtlMs]).ConfigureAwait(false))!;
                    replies.Line($"OK {(string)at[0]!}:{(long)at[1]}");
                }
                else
                {
                    // Without history positions are this relay's own (asked only while Redis is up).
                    replies.Line("OK " + _relay.Position(command.Channel));
                }

                break;
            case CommandKind.Close:
            {
                ClusterReply[] answers = await AskAsync(ClusterWire.StreamChannel("#" + command.Id), "close",
                    $"{command.Id} {command.CloseCode.ToString(CultureInfo.InvariantCulture)} {command.Reason}").ConfigureAwait(false);
                replies.Ok(answers.Sum(static a => a.Count));
                break;
            }

            case CommandKind.Disconnect:
            {
                int dot = command.Id.IndexOf('.', StringComparison.Ordinal);
                if (dot <= 0)
                {
                    replies.Ok(0);
                    break;
                }

                ClusterReply[] answers = await AskAsync(ClusterWire.HandleChannel(command.Id[..dot]), "disc",
                    $"{command.Id} {command.CloseCode.ToString(CultureInfo.InvariantCulture)} {command.Reason}").ConfigureAwait(false);
                replies.Ok(answers.Sum(static a => a.Count));
                break;
            }
        }
    }

    public Task<long> PublishAsync(ControlCommand command, ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        bool binary = command.Kind is CommandKind.SendBinary or CommandKind.PublishBinary or CommandKind.BroadcastBinary;
        string stream = command.Kind switch
        {
            CommandKind.SendMessage or CommandKind.SendText or CommandKind.SendBinary => "#" + command.Id,
            CommandKind.PublishMessage or CommandKind.PublishText or CommandKind.PublishBinary => command.Channel,
            _ => "*",
        };
        return PublishOrUnavailable(stream, ClusterWire.Message(binary, body.Span), ct);
    }

    public Task<long> PublishWrittenAsync(string channel, byte[] payload, string? except) =>
        PublishOrUnavailable(channel, ClusterWire.WrittenMessage(except, payload), CancellationToken.None);

    /// <summary>Sends the message to Redis now, in the caller's order: its count, or -1 when the cluster is unavailable.</summary>
    private Task<long> PublishOrUnavailable(string stream, byte[] message, CancellationToken ct)
    {
        if (!_up)
            return Task.FromResult(-1L);
        Task<long> published;
        try
        {
            published = PublishAsync(stream, message);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return Task.FromResult(-1L);
        }

        return CountOrUnavailableAsync(published, ct);
    }

    private async Task<long> CountOrUnavailableAsync(Task<long> published, CancellationToken ct)
    {
        try
        {
            return await published.WaitAsync(CommandTimeout, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            _log.Debug($"cluster: message not published: {e.Message}");
            return -1;
        }
    }

    /// <summary>Counts the stream's connections cluster-wide and publishes the message to their relays, in one script.</summary>
    private async Task<long> PublishAsync(string stream, byte[] message)
    {
        RedisResult result = _relay.History.Enabled
            ? await Db.ScriptEvaluateAsync(ClusterScripts.PublishKept, [CountKey(stream), PositionKey(stream), KeptKey(stream)],
                [ClusterWire.StreamChannel(stream), message, _relay.History.PerStream, _relay.History.TtlMs, ClusterWire.NewEpoch()]).ConfigureAwait(false)
            : await Db.ScriptEvaluateAsync(ClusterScripts.Publish, [CountKey(stream)], [ClusterWire.StreamChannel(stream), message]).ConfigureAwait(false);
        return (long)result;
    }

    private async Task SubscribeAsync(string id, string channel, ControlReplies replies)
    {
        string stream = "#" + id;
        bool tooMany = false;
        ClusterReply[] answers = await AskAsync(ClusterWire.StreamChannel(stream), "sub", id + " " + channel, async request =>
        {
            RedisResult result = await Db.ScriptEvaluateAsync(ClusterScripts.Subscribe, [SubscriptionsKey(id), CountKey(stream)],
                [channel, _relay.MaxChannels, _subscriptionTtlMs, ClusterWire.StreamChannel(stream), request]).ConfigureAwait(false);
            long receivers = (long)result;
            tooMany = receivers < 0;
            return RedisResult.Create((RedisValue)Math.Max(0, receivers));
        }).ConfigureAwait(false);
        if (tooMany)
            replies.Error("too many channels");
        else
            replies.Ok(answers.Sum(static a => a.Count));
    }

    public async Task<IReadOnlyDictionary<string, long>> ChannelCountsAsync() =>
        await CountsAsync().WaitAsync(CommandTimeout).ConfigureAwait(false);

    public async Task<long> ConnectionsAsync(string channel) =>
        (long)await Db.ScriptEvaluateAsync(ClusterScripts.Count, [CountKey(channel)]).WaitAsync(CommandTimeout).ConfigureAwait(false);

    /// <summary>Every relay's channels that have connections, the connections added up, in byte order.</summary>
    private async Task<SortedDictionary<string, long>> CountsAsync()
    {
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (ClusterReply answer in await AskAsync(ClusterWire.AllNodesChannel, "chans", "").ConfigureAwait(false))
        {
            foreach (string line in answer.Lines)
            {
                if (ClusterWire.TryParseCount(line, out string name, out long count))
                    counts[name] = counts.GetValueOrDefault(name) + count;
            }
        }

        return counts;
    }

    private async Task ListChannelsAsync(ControlReplies replies)
    {
        SortedDictionary<string, long> counts = await CountsAsync().ConfigureAwait(false);
        foreach (string name in await SubscribedChannelsAsync().ConfigureAwait(false))
            counts.TryAdd(name, 0);             // subscribed to by ids with no connection on any relay (SPEC: listed)
        foreach ((string name, long count) in counts)
            replies.Line($"channel {name} {count}");
        replies.Ok(counts.Count);
    }

    /// <summary>
    /// The channels of every id's subscriptions kept in Redis: a SCAN over the subscription sets (in pages, so
    /// Redis is never blocked for long), then their members, pipelined. Expired sets are not returned.
    /// </summary>
    private async Task<HashSet<string>> SubscribedChannelsAsync()
    {
        IServer server = Redis.GetServer(Redis.GetEndPoints()[0]);
        var sets = new List<Task<RedisValue[]>>();
        await foreach (RedisKey key in server.KeysAsync(_address.Database, (string)SubscriptionsKey("*")!, pageSize: 1000).ConfigureAwait(false))
            sets.Add(Db.SetMembersAsync(key));
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (RedisValue[] members in await Task.WhenAll(sets).ConfigureAwait(false))
        {
            foreach (RedisValue member in members)
                names.Add((string)member!);
        }

        return names;
    }

    private async Task ChannelsAsync(string id, ControlReplies replies)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (RedisValue member in await Db.SetMembersAsync(SubscriptionsKey(id)).ConfigureAwait(false))
            names.Add((string)member!);
        foreach (ClusterReply answer in await AskAsync(ClusterWire.StreamChannel("#" + id), "of", id).ConfigureAwait(false))
            names.UnionWith(answer.Lines);
        foreach (string name in names)
            replies.Line("channel " + name);
        replies.Ok(names.Count);
    }

    private static void WriteLines(ClusterReply[] answers, ControlReplies replies)
    {
        long count = 0;
        foreach (ClusterReply answer in answers)
        {
            foreach (string line in answer.Lines)
            {
                replies.Line(line);
                count++;
            }
        }

        replies.Ok(count);
    }

    private Task<ClusterReply[]> AskAsync(string channel, string op, string args) =>
        AskAsync(channel, op, args, async request =>
            RedisResult.Create((RedisValue)await Redis.GetSubscriber().PublishAsync(RedisChannel.Literal(channel), request).ConfigureAwait(false)));

    /// <summary>
    /// Sends a request (by <paramref name="send"/>, which returns how many relays got it) and waits for their
    /// replies. A relay that got it and died before it replied is waited for until the command's timeout;
    /// then the replies that came are the answer, unless Redis itself is the one that is away.
    /// </summary>
    private async Task<ClusterReply[]> AskAsync(string channel, string op, string args, Func<byte[], Task<RedisResult>> send)
    {
        long number = Interlocked.Increment(ref _nextRequest);
        var pending = new PendingReplies();
        _pending[number] = pending;
        try
        {
            byte[] request = ClusterWire.EncodeRequest(new ClusterRequest(op, Name, number, args));
            RedisResult receivers = await send(request).ConfigureAwait(false);
            pending.Expect((long)receivers);
            try
            {
                await pending.Done.WaitAsync(CommandTimeout - TimeSpan.FromMilliseconds(300)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                if (!_up)
                    throw new ClusterUnavailableException($"no replies on {channel}");
                _log.Debug($"cluster: {op} on {channel}: not every relay replied in time");
            }

            return pending.Replies();
        }
        finally
        {
            _pending.TryRemove(number, out _);
        }
    }
}
