using System.Globalization;
using RawRelay.Hub;
using RawRelay.WebSockets;
using StackExchange.Redis;

namespace RawRelay.Cluster;

/// <summary>One stream's Redis subscription, while this relay has connections on it.</summary>
internal sealed class StreamSubscription(string stream)
{
    public string Stream { get; } = stream;

    public Task<ChannelMessageQueue> Queue { get; set; } = null!;

    /// <summary>Set (under the node's lock) once the relay has no connection on the stream: what still comes is not delivered.</summary>
    public volatile bool Retired;

    /// <summary>Connections about to resume on the stream: it stays subscribed for them, with no connection on it yet (under the node's lock).</summary>
    public int Pins;
}

internal sealed partial class ClusterNode
{
    private async Task<ChannelMessageQueue> SubscribeAsync(StreamSubscription subscription)
    {
        var channel = RedisChannel.Literal(ClusterWire.StreamChannel(subscription.Stream));
        ISubscriber subscriber = Redis.GetSubscriber();
        try
        {
            ChannelMessageQueue queue = await subscriber.SubscribeAsync(channel).ConfigureAwait(false);
            _ = PumpAsync(queue, subscription);
            return queue;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // The client registered the queue before Redis refused: drop the channel's registration (its
            // queue, which nobody would read, would be renewed with it) and forget the stream, so that the
            // restore subscribes it afresh once Redis is back.
            lock (_gate)
            {
                if (_streams.TryGetValue(subscription.Stream, out StreamSubscription? current) && current == subscription)
                    _streams.Remove(subscription.Stream);
            }

            subscription.Retired = true;
            _needsRestore = true;
            try
            {
                subscriber.Unsubscribe(channel, null, CommandFlags.FireAndForget);
            }
            catch (RedisException)
            {
                // Redis is away: the registration is dropped here all the same.
            }

            throw;
        }
    }

    /// <summary>
    /// Hands what comes on a stream's channel to the relay, in Redis's order: every message already there in
    /// one send round (each connection gets one write for all of them, as for pipelined commands), a
    /// request after the messages before it are flushed.
    /// </summary>
    private async Task PumpAsync(ChannelMessageQueue queue, StreamSubscription subscription)
    {
        try
        {
            while (true)
            {
                ChannelMessage message = await queue.ReadAsync().ConfigureAwait(false);
                Task pending;
                using (SendScheduler.Cork())
                {
                    pending = OnStreamMessageAsync(message, subscription);
                    while (pending.IsCompleted && queue.TryRead(out message))
                        pending = OnStreamMessageAsync(message, subscription);
                }

                await pending.ConfigureAwait(false);
            }
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
            // Unsubscribed (this relay has no connection on the stream any more), or the relay is stopping.
        }
        catch (Exception e)
        {
            _log.Error($"cluster: delivery from {subscription.Stream} stopped", e);
        }
    }

    private async Task UnsubscribeAsync(StreamSubscription subscription)
    {
        try
        {
            ChannelMessageQueue queue = await subscription.Queue.ConfigureAwait(false);
            await queue.UnsubscribeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Redis is away: it forgets this connection's subscriptions itself, and the retired queue delivers nothing.
            _log.Debug($"cluster: unsubscribing {subscription.Stream}: {e.Message}");
        }
    }

    /// <summary>Delivers a message (completed at once) or runs a request (under way when this returns).</summary>
    private Task OnStreamMessageAsync(ChannelMessage message, StreamSubscription subscription)
    {
        byte[]? bytes = (byte[]?)message.Message;
        if (bytes is not { Length: > 0 })
            return Task.CompletedTask;
        if (subscription.Retired)
        {
            // Redis counted this relay as a receiver of a request: someone waits for its reply, unless a
            // fresh subscription of the same stream (which Redis counts as the same receiver) answers it.
            bool current;
            lock (_gate)
                current = _streams.ContainsKey(subscription.Stream);
            return bytes[0] == ClusterWire.Request && !current ? OnRequestAsync(message.Channel, bytes, answerEmpty: true) : Task.CompletedTask;
        }

        switch (bytes[0])
        {
            case ClusterWire.Text or ClusterWire.Binary or ClusterWire.Written:
                if (ClusterWire.TryParseBody(bytes, 0, out MessageBody body))
                    Deliver(subscription.Stream, MessageOf(bytes, body));
                else
                    _log.Warn($"cluster: unreadable message on {subscription.Stream}");
                return Task.CompletedTask;
            case ClusterWire.NoticeKind:
                if (_relay.Written is { } written && ClusterWire.TryParseNotice(bytes, out string except, out int start))
                    written.Notice(subscription.Stream, bytes.AsSpan(start), except);

                return Task.CompletedTask;
            case ClusterWire.Positioned:
                if (ClusterWire.TryParsePositioned(bytes, withEpoch: true, out string epoch, out long offset, out MessageBody positioned))
                    _relay.PublishAt(subscription.Stream, MessageOf(bytes, positioned), epoch, offset);
                else
                    _log.Warn($"cluster: unreadable message on {subscription.Stream}");
                return Task.CompletedTask;
            case ClusterWire.Request:
                return OnRequestAsync(message.Channel, bytes, answerEmpty: false);
            case ClusterWire.MarkerKind:
                if (_markers.TryGetValue(System.Text.Encoding.ASCII.GetString(bytes, 1, bytes.Length - 1), out TaskCompletionSource? back))
                    back.TrySetResult();
                return Task.CompletedTask;
            default:
                return Task.CompletedTask;
        }
    }

    /// <summary>A message from Redis to this relay's connections on the stream, framed once per dialect as a local one is (in the caller's send round).</summary>
    /// <summary>The message a body read off the wire is: one written in a protocol's dialect is that protocol's here.</summary>
    private Message MessageOf(byte[] bytes, in MessageBody body) => body.IsWritten
        ? _relay.WrittenMessage(bytes.AsMemory(body.PayloadStart), body.Except)
        : new Message(body.Binary ? MessageKind.Binary : MessageKind.Text, bytes.AsMemory(body.PayloadStart));

    private void Deliver(string stream, Message message)
    {
        if (stream == "*")
            _relay.Broadcast(message);
        else if (stream.StartsWith('#'))
            _relay.Send(stream[1..], message);
        else
            _relay.Publish(stream, message);
    }

    /// <summary>A request on one of the relay's own channels (its handles', every relay's).</summary>
    private async Task OnRequestAsync(RedisChannel channel, RedisValue value)
    {
        try
        {
            byte[]? bytes = (byte[]?)value;
            if (bytes is { Length: > 0 } && bytes[0] == ClusterWire.Request)
                await OnRequestAsync(channel, bytes, answerEmpty: false).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _log.Error($"cluster: request on {channel} failed", e);
        }
    }

    /// <summary>Runs another relay's request (or this one's own) on this relay's connections and replies with the count and lines.</summary>
    private async Task OnRequestAsync(RedisChannel channel, byte[] bytes, bool answerEmpty)
    {
        if (!ClusterWire.TryParseRequest(bytes.AsSpan(1), out ClusterRequest request))
        {
            _log.Warn($"cluster: unreadable request on {channel}");
            return;
        }

        long count = 0;
        string[] lines = [];
        if (!answerEmpty)
            (count, lines) = await RunRequestAsync(request).ConfigureAwait(false);
        try
        {
            await Redis.GetSubscriber().PublishAsync(RedisChannel.Literal(ClusterWire.ReplyChannel(request.From)),
                ClusterWire.EncodeReply(new ClusterReply(request.Number, Name, count, lines))).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            _log.Debug($"cluster: reply to {request.From} lost: {e.Message}");
        }
    }

    private async Task<(long Count, string[] Lines)> RunRequestAsync(ClusterRequest request)
    {
        string[] args = request.Args.Split(' ', 3);
        switch (request.Op)
        {
            case "sub" when args.Length == 2:
            {
                int joined = _relay.Registry.Subscribe(args[0], args[1], int.MaxValue, out int connections) == SubscribeOutcome.Subscribed ? connections : 0;
                await SyncOrRestoreAsync([args[1]]).ConfigureAwait(false);
                return (joined, []);
            }

            case "unsub" when args.Length == 2:
            {
                int left = _relay.Unsubscribe(args[0], args[1]);
                await SyncOrRestoreAsync([args[1]]).ConfigureAwait(false);
                return (left, []);
            }

            case "close" when args.Length >= 2:
                return (_relay.Close(args[0], int.Parse(args[1], CultureInfo.InvariantCulture), args.Length == 3 ? args[2] : ""), []);
            case "disc" when args.Length >= 2:
                return (_relay.Disconnect(args[0], int.Parse(args[1], CultureInfo.InvariantCulture), args.Length == 3 ? args[2] : ""), []);
            case "list":
            {
                IRelayConnection[] connections = request.Args == "*" ? _relay.Registry.ListOldestFirst() : _relay.ListChannel(request.Args);
                return (connections.Length, Array.ConvertAll(connections, c => ClusterWire.ListLine(c.Id, c.RemoteAddress, Name)));
            }

            case "chans":
            {
                var lines = new List<string>();
                foreach (Channel channel in _relay.Registry.Channels.InByteOrder())
                {
                    if (!channel.IsRetired && channel.Count > 0)
                        lines.Add($"{channel.Name} {channel.Count}");
                }

                return (lines.Count, [.. lines]);
            }

            case "of":
            {
                string[] names = _relay.ChannelsOf(request.Args);
                return (names.Length, names);
            }

            case "ping":
                return (1, []);
            default:
                _log.Warn($"cluster: unknown request {request.Op} from {request.From}");
                return (0, []);
        }
    }

    private async Task SyncOrRestoreAsync(List<string> streams)
    {
        try
        {
            await SyncAsync(streams, null, reset: false).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            _needsRestore = true;
            _log.Debug($"cluster: counts not updated: {e.Message}");
        }
    }

    private void OnReply(RedisValue value)
    {
        byte[]? bytes = (byte[]?)value;
        if (bytes is null || !ClusterWire.TryParseReply(bytes, out ClusterReply reply))
        {
            _log.Warn("cluster: unreadable reply");
            return;
        }

        if (_pending.TryGetValue(reply.Number, out PendingReplies? pending))
            pending.Add(reply);
    }
}
