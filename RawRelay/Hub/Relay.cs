namespace RawRelay.Hub;

/// <summary>
/// The hub's commands: send to an id, publish to a channel, broadcast, subscribe ids to channels, close an
/// id's connections. A message is handed to each connection of its stream, which frames it in its dialect
/// (once per dialect) and queues it without waiting; the relay never sees how bytes reach a socket.
/// Thread-safe: any number of callers at once.
/// </summary>
internal sealed class Relay
{
    public Relay(ConnectionRegistry registry, RelayStats stats, int maxChannels = 128)
    {
        Registry = registry;
        Stats = stats;
        MaxChannels = maxChannels;
    }

    public ConnectionRegistry Registry { get; }

    public RelayStats Stats { get; }

    /// <summary>Subscriptions one id may have (<c>--max-channels</c>).</summary>
    public int MaxChannels { get; }

    public HistoryStore History => Registry.History;

    /// <summary>The protocol whose messages come written in its own dialect (Pusher, with <c>--pusher-app</c>); null without.</summary>
    public IWrittenProtocol? Written { get; set; }

    /// <summary>Hands the message to every connection with <paramref name="id"/> (stream <c>#id</c>); returns how many count.</summary>
    public int Send(string id, Message message) => Count(Registry.Find(id)?.Publish(message, History) ?? default);

    /// <summary>Hands the message to every connection on <paramref name="channel"/>; returns how many count.</summary>
    public int Publish(string channel, Message message) => Count(Registry.Channels.Find(channel)?.Publish(message, History) ?? default);

    /// <summary>
    /// A message written in <see cref="Written"/>'s dialect to every connection on <paramref name="channel"/>,
    /// except the one <paramref name="except"/> names: on this relay, or in a cluster on every relay (but a
    /// Pusher user's channel, whose users are each relay's). The count, or -1 when the cluster is unavailable.
    /// </summary>
    public Task<long> PublishWrittenAsync(string channel, byte[] payload, string? except)
    {
        // A name the cluster reads as a stream of its own kind (a Pusher user's "#server-to-user-<id>" would
        // be the id stream of "server-to-user-<id>") stays on this relay, as signed-in users do.
        if (Registry.Cluster is { } cluster && !channel.StartsWith('#'))
            return cluster.PublishWrittenAsync(channel, payload, except);
        return Task.FromResult((long)DeliverWritten(channel, payload, except));
    }

    /// <summary>On this relay only: a message written in <see cref="Written"/>'s dialect (from the cluster, or of this relay's own).</summary>
    public int DeliverWritten(string channel, ReadOnlyMemory<byte> payload, string? except) => Publish(channel, WrittenMessage(payload, except));

    /// <summary>A message written in <see cref="Written"/>'s dialect, leaving out the connection <paramref name="except"/> names here (if any).</summary>
    public Message WrittenMessage(ReadOnlyMemory<byte> payload, string? except) => new(MessageKind.Text, payload)
    {
        WrittenIn = Written?.Dialect,
        Except = except is { Length: > 0 } key ? Written?.Find(key) : null,
    };

    /// <summary>Hands the message to every connection (stream <c>*</c>); returns how many count.</summary>
    public int Broadcast(Message message) => Count(Registry.All.Publish(message, History));

    /// <summary>
    /// In a cluster with history, a message from Redis at the position Redis gave it, to this relay's
    /// connections on <paramref name="stream"/> (<c>*</c>, <c>#id</c> or a channel); returns how many count.
    /// </summary>
    public int PublishAt(string stream, Message message, string epoch, long offset)
    {
        Stream? found = stream == "*" ? Registry.All : stream.StartsWith('#') ? Registry.Find(stream[1..]) : Registry.Channels.Find(stream);
        return found is null ? 0 : Count(found.PublishAt(message, epoch, offset, History));
    }

    /// <summary>
    /// In a cluster with history, what Redis keeps of a stream, made this relay's before a connection resumes
    /// on it here (the stream is made, and pinned for the history ttl, when this relay has none).
    /// </summary>
    public void Seed(string stream, string epoch, long last, IReadOnlyList<(long Offset, MessageKind Kind, byte[] Payload)> kept) =>
        Prepare(stream)?.Seed(epoch, last, kept, History);

    /// <summary>
    /// In a cluster with history, the stream made here (and pinned for the history ttl) before this relay
    /// subscribes to it for a resume, so that every message that comes from then on is kept here.
    /// </summary>
    public Stream? Prepare(string stream)
    {
        if (stream == "*")
            return Registry.All;
        if (stream.StartsWith('#'))
        {
            Registry.Pin(stream[1..], History);
            return Registry.Find(stream[1..]);
        }

        Registry.Channels.Pin(stream, History);
        return Registry.Channels.Find(stream);
    }

    /// <summary>
    /// The position of a stream's last message (<c>POSITION</c>): <c>*</c>, <c>#id</c> or a channel. With history
    /// on, the stream is made when there is none and kept for the history ttl, so that a page rendered with
    /// the position resumes from it; with history off, a stream that does not exist gets a fresh epoch.
    /// </summary>
    public StreamPosition Position(string stream)
    {
        if (stream == "*")
            return Registry.All.Position;
        bool id = stream.StartsWith('#');
        if (History.Enabled)
            return id ? Registry.Pin(stream[1..], History) : Registry.Channels.Pin(stream, History);
        Stream? found = id ? Registry.Find(stream[1..]) : Registry.Channels.Find(stream);
        return found?.Position ?? new StreamPosition(Epochs.Format(Epochs.NewSerial()), 0);
    }

    /// <summary>Subscribes an id to a channel; null when the id has <see cref="MaxChannels"/> already, else its connections on it now.</summary>
    public int? Subscribe(string id, string channel) =>
        Registry.Subscribe(id, channel, MaxChannels, out int connections) == SubscribeOutcome.Subscribed ? connections : null;

    /// <summary>
    /// Puts one connection on a channel, as its own (a Pusher <c>subscribe</c>), until <see cref="Leave"/> or its
    /// close; false when the connection is gone already (it is then not on the channel).
    /// </summary>
    public bool Join(IRelayConnection connection, string channel)
    {
        Registry.Channels.Join(channel, connection);
        // Removed while joining: its id stream's leave of all its channels may have run before the join.
        if (Volatile.Read(ref connection.Slots.State) != HubSlots.Removed)
            return true;
        Leave(connection, channel);
        return false;
    }

    /// <summary>
    /// After <see cref="Join"/> or <see cref="Leave"/>: in a cluster, completes once the other relays count the
    /// change and deliver this channel's messages here; at once on a single relay.
    /// </summary>
    public Task AnnounceAsync(string channel) => Registry.Cluster?.ChannelChangedAsync(channel) ?? Task.CompletedTask;

    /// <summary>Takes one connection off a channel (a Pusher <c>unsubscribe</c>); true when it was on it.</summary>
    public bool Leave(IRelayConnection connection, string channel) =>
        Registry.Channels.Find(channel) is { } found && Registry.Channels.Leave(found, connection);

    /// <summary>Ends an id's subscription; returns how many of its connections left the channel.</summary>
    public int Unsubscribe(string id, string channel) => Registry.Unsubscribe(id, channel);

    /// <summary>The channels of an id: its subscriptions and its connections' channels, in byte order.</summary>
    public string[] ChannelsOf(string id) => Registry.Find(id)?.ChannelNames() ?? [];

    /// <summary>The connections on a channel that are not closing, oldest first.</summary>
    public IRelayConnection[] ListChannel(string channel) =>
        Registry.Channels.Find(channel) is { } found ? ConnectionRegistry.OldestFirst(found) : [];

    /// <summary>Starts the closing handshake on every connection with <paramref name="id"/>.</summary>
    public int Close(string id, int code, string reason)
    {
        if (Registry.Find(id) is not { } stream)
            return 0;
        int closed = 0;
        foreach (IRelayConnection connection in stream.Snapshot())    // closing leaves the stream: not under its lock
        {
            if (connection.IsClosing)
                continue;
            connection.Close(code, reason);
            closed++;
        }

        return closed;
    }

    /// <summary>Starts the closing handshake on the one connection with <paramref name="handle"/>: 1, or 0 when it is gone.</summary>
    public int Disconnect(string handle, int code, string reason)
    {
        if (!Handles.TryParse(handle, out long sequence) || Registry.All.Find(sequence) is not { IsClosing: false } connection)
            return 0;
        connection.Close(code, reason);     // outside the stream's lock: closing leaves it
        return 1;
    }

    private int Count(FanOut fanOut)
    {
        Stats.MessagesSent(fanOut.Queued);
        return fanOut.Counted;
    }
}
