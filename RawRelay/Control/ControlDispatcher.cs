using RawRelay.Diagnostics;
using RawRelay.Hub;
using RawRelay.Webhooks;

namespace RawRelay.Control;

/// <summary>
/// Runs parsed control commands against the hub and writes their replies: data lines, then exactly one
/// status line. It knows nothing of sockets or batches. Not thread-safe: one per control connection (it
/// reuses one <see cref="Message"/>, which the hub keeps no reference to).
/// </summary>
internal sealed class ControlDispatcher
{
    private readonly Relay _relay;
    private readonly RelayLog _log;
    private readonly WebhookSender? _webhook;
    private readonly ControlStats _stats;
    private readonly Message _message = new(MessageKind.Text, default);

    public ControlDispatcher(Relay relay, RelayLog log, WebhookSender? webhook = null, ControlStats? stats = null, IClusterCommands? cluster = null)
    {
        _relay = relay;
        _log = log;
        _webhook = webhook;
        _stats = stats ?? new ControlStats();
        _cluster = cluster;
    }

    private readonly IClusterCommands? _cluster;

    /// <summary>
    /// In a cluster, the command when the cluster runs it: started here, its replies written when the task
    /// completes (the caller awaits it before the next command). Null when it ran here already or on a single node.
    /// </summary>
    public Task? RunInCluster(in ControlCommand command, ReadOnlyMemory<byte> line, ControlReplies replies, CancellationToken ct)
    {
        if (_cluster is null || !_cluster.Runs(command.Kind))
            return null;
        ReadOnlyMemory<byte> body = command.Kind is CommandKind.SendMessage or CommandKind.PublishMessage or CommandKind.BroadcastMessage
            ? line[command.MessageStart..]
            : default;
        return Counted(command, _cluster.RunAsync(command, body, replies, ct), replies);
    }

    /// <summary>In a cluster, a length-prefixed command with its payload, as <see cref="RunInCluster"/>.</summary>
    public Task? RunPayloadInCluster(in ControlCommand command, ReadOnlyMemory<byte> payload, ControlReplies replies, CancellationToken ct)
    {
        if (_cluster is null || command.Kind == CommandKind.Invalid || !_cluster.Runs(command.Kind))
            return null;
        bool text = command.Kind is CommandKind.SendText or CommandKind.PublishText or CommandKind.BroadcastText;
        if (text && !WebSockets.Utf8Validator.IsValid(payload.Span))
            return null;                        // refused here, as on a single node
        return Counted(command, _cluster.RunAsync(command, payload, replies, ct), replies);
    }

    /// <summary>
    /// In a cluster, starts a SEND, PUBLISH or BROADCAST (MESSAGE form) that does not wait for the commands
    /// before it: its task gives the count, or -1 when the cluster is unavailable. Null for any other command.
    /// </summary>
    public Task<long>? StartInCluster(in ControlCommand command, ReadOnlyMemory<byte> line, CancellationToken ct) =>
        _cluster is not null && command.Kind is CommandKind.SendMessage or CommandKind.PublishMessage or CommandKind.BroadcastMessage
            ? _cluster.PublishAsync(command, line[command.MessageStart..], ct)
            : null;

    /// <summary>As <see cref="StartInCluster"/>, for the TEXT and BINARY forms with their payload (null for a TEXT payload that is not UTF-8).</summary>
    public Task<long>? StartPayloadInCluster(in ControlCommand command, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        if (_cluster is null || command.Kind is not (CommandKind.SendText or CommandKind.SendBinary or CommandKind.PublishText
                or CommandKind.PublishBinary or CommandKind.BroadcastText or CommandKind.BroadcastBinary))
            return null;
        bool text = command.Kind is CommandKind.SendText or CommandKind.PublishText or CommandKind.BroadcastText;
        return text && !WebSockets.Utf8Validator.IsValid(payload.Span) ? null : _cluster.PublishAsync(command, payload, ct);
    }

    /// <summary>The status line of a command started by <see cref="StartInCluster"/>, once its count is known.</summary>
    public void AnswerPipelined(in ControlCommand command, long count, ControlReplies replies)
    {
        if (count >= 0)
            replies.Ok(count);
        else
            replies.Error("cluster unavailable");
        _stats.Ran(command, count >= 0);
    }

    private async Task Counted(ControlCommand command, Task run, ControlReplies replies)
    {
        long errors = replies.Errors;
        await run.ConfigureAwait(false);
        _stats.Ran(command, replies.Errors == errors);
    }

    /// <summary>The relay's events, for a connection that WATCH turned into a stream of them.</summary>
    public EventBus Events => _relay.Registry.Events;

    /// <summary>Runs a command that has no payload; <paramref name="line"/> is the whole line.</summary>
    public void Run(in ControlCommand command, ReadOnlyMemory<byte> line, ControlReplies replies)
    {
        long errors = replies.Errors;
        RunLine(command, line, replies);
        _stats.Ran(command, replies.Errors == errors);
    }

    private void RunLine(in ControlCommand command, ReadOnlyMemory<byte> line, ControlReplies replies)
    {
        switch (command.Kind)
        {
            case CommandKind.Empty:
                break;
            case CommandKind.SendMessage:
                replies.Ok(_relay.Send(command.Id, Message(MessageKind.Text, line[command.MessageStart..])));
                break;
            case CommandKind.PublishMessage:
                replies.Ok(_relay.Publish(command.Channel, Message(MessageKind.Text, line[command.MessageStart..])));
                break;
            case CommandKind.BroadcastMessage:
                replies.Ok(_relay.Broadcast(Message(MessageKind.Text, line[command.MessageStart..])));
                break;
            case CommandKind.List:
                List(_relay.Registry.ListOldestFirst(), replies);
                break;
            case CommandKind.ListChannel:
                List(_relay.ListChannel(command.Channel), replies);
                break;
            case CommandKind.ListChannels:
                ListChannels(replies);
                break;
            case CommandKind.Subscribe:
                if (_relay.Subscribe(command.Id, command.Channel) is { } subscribed)
                    replies.Ok(subscribed);
                else
                    replies.Error("too many channels");
                break;
            case CommandKind.Unsubscribe:
                replies.Ok(_relay.Unsubscribe(command.Id, command.Channel));
                break;
            case CommandKind.Channels:
                string[] names = _relay.ChannelsOf(command.Id);
                foreach (string name in names)
                    replies.Line("channel " + name);
                replies.Ok(names.Length);
                break;
            case CommandKind.Position:
                replies.Line("OK " + _relay.Position(command.Channel));
                break;
            case CommandKind.Close:
                replies.Ok(_relay.Close(command.Id, command.CloseCode, command.Reason));
                break;
            case CommandKind.Disconnect:
                replies.Ok(_relay.Disconnect(command.Id, command.CloseCode, command.Reason));
                break;
            case CommandKind.Watch:
                replies.Line("OK watching");    // the connection turns into the event stream after this batch
                break;
            case CommandKind.Stats:
                Stats(replies);
                break;
            case CommandKind.Help:
                foreach (string helpLine in ControlUsage.HelpLines)
                    replies.Line(helpLine);
                replies.Line("OK");
                break;
            case CommandKind.Quit:
                replies.Line("OK bye");
                break;
            case CommandKind.Invalid or CommandKind.Fatal:
                replies.Error(command.Error);
                break;
        }
    }

    /// <summary>Runs a length-prefixed command with its payload (or answers a refused one, whose payload was skipped).</summary>
    public void RunPayload(in ControlCommand command, ReadOnlyMemory<byte> payload, ControlReplies replies)
    {
        long errors = replies.Errors;
        RunWithPayload(command, payload, replies);
        _stats.Ran(command, replies.Errors == errors);
    }

    private void RunWithPayload(in ControlCommand command, ReadOnlyMemory<byte> payload, ControlReplies replies)
    {
        if (command.Kind == CommandKind.Invalid)
        {
            replies.Error(command.Error);
            return;
        }

        bool text = command.Kind is CommandKind.SendText or CommandKind.PublishText or CommandKind.BroadcastText;
        if (text && !WebSockets.Utf8Validator.IsValid(payload.Span))
        {
            replies.Error("message is not valid UTF-8");
            return;
        }

        Message message = Message(text ? MessageKind.Text : MessageKind.Binary, payload);
        replies.Ok(command.Kind switch
        {
            CommandKind.SendText or CommandKind.SendBinary => _relay.Send(command.Id, message),
            CommandKind.PublishText or CommandKind.PublishBinary => _relay.Publish(command.Channel, message),
            _ => _relay.Broadcast(message),
        });
    }

    private Message Message(MessageKind kind, ReadOnlyMemory<byte> payload)
    {
        _message.Reset(kind, payload);
        return _message;
    }

    private static void List(IRelayConnection[] connections, ControlReplies replies)
    {
        foreach (IRelayConnection connection in connections)
        {
            replies.Append(connection.Id);
            replies.Append(" ");
            replies.Line(connection.RemoteAddress);
        }

        replies.Ok(connections.Length);
    }

    private void ListChannels(ControlReplies replies)
    {
        int count = 0;
        foreach (Channel channel in _relay.Registry.Channels.InByteOrder())
        {
            if (channel.IsRetired)
                continue;
            replies.Line($"channel {channel.Name} {channel.Count}");
            count++;
        }

        replies.Ok(count);
    }

    private void Stats(ControlReplies replies)
    {
        RelayStats stats = _relay.Stats;
        replies.Line($"connections {_relay.Registry.Count}");
        replies.Line($"connections_total {stats.ConnectionsTotal}");
        replies.Line($"messages_out {stats.MessagesOut}");
        replies.Line($"messages_in {stats.MessagesIn}");
        replies.Line($"bytes_out {stats.BytesOut}");
        replies.Line($"bytes_in {stats.BytesIn}");
        replies.Line($"slow_clients_dropped {stats.SlowClientsDropped}");
        replies.Line($"uptime_seconds {stats.UptimeSeconds}");
        replies.Line($"channels {_relay.Registry.Channels.Count}");
        replies.Line($"subscriptions {_relay.Registry.Channels.Subscriptions}");
        replies.Line($"history_messages {_relay.History.Messages}");
        replies.Line($"history_bytes {_relay.History.Bytes}");
        replies.Line($"log_lines_lost {_log.LinesLost}");
        replies.Line($"ping_timeouts {stats.PingTimeouts}");
        replies.Line($"rate_limited {stats.RateLimited}");
        replies.Line($"busy_refused {stats.Busy}");
        if (_webhook is not null)
        {
            replies.Line($"webhook_queued {_webhook.Queue.Count}");
            replies.Line($"webhook_queued_bytes {_webhook.Queue.Bytes}");
            replies.Line($"webhook_delivered {_webhook.Delivered}");
            replies.Line($"webhook_dropped {_webhook.Queue.Dropped}");
            replies.Line($"webhook_given_up {_webhook.GivenUp}");
            replies.Line($"webhook_retries {_webhook.Retries}");
        }

        replies.Line("OK");
    }
}
