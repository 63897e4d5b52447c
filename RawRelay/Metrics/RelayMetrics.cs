using RawRelay.Cluster;
using RawRelay.Control;
using RawRelay.Diagnostics;
using RawRelay.Hub;
using RawRelay.Pusher;
using RawRelay.Webhooks;
using RawRelay.WebSockets;

namespace RawRelay.Metrics;

/// <summary>
/// What <c>GET /metrics</c> shows (SPEC, Seeing it run): the relay's counters and gauges, the same ones
/// STATS shows and more, and the process metrics. Labels are a fixed set (a direction, an HTTP status, a
/// command and its result, a GC generation), never an id, a channel, a handle or anything a client wrote.
/// History and webhook families appear when those are on. Thread-safe: each scrape reads atomics and
/// takes each connection's lock once, for its queued bytes.
/// </summary>
internal sealed class RelayMetrics(ConnectionContext context, HistoryStore history, ControlStats control, WebhookSender? webhook, RelayLog log,
    PusherServer? pusher = null, ClusterNode? cluster = null)
{
    private readonly ProcessMetrics _process = new();

    public byte[] Scrape()
    {
        var text = new PrometheusText();
        RelayStats stats = context.Stats;
        ConnectionRegistry registry = context.Registry;
        text.Gauge("rawrelay_connections", "Open WebSocket connections (listed: not closing).", registry.Count);
        text.Counter("rawrelay_connections_total", "WebSocket connections accepted since the start.", stats.ConnectionsTotal);
        text.Family("rawrelay_handshakes_total", "counter", "Requests to the WebSocket endpoint by result: 101, or the refusal's HTTP status.");
        text.Sample("rawrelay_handshakes_total", stats.Handshakes().FirstOrDefault(h => h.Status == 101).Count, ("result", "101"));
        foreach ((int status, long count) in stats.Handshakes().Where(h => h.Status != 101))
            text.Sample("rawrelay_handshakes_total", count, ("result", status.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        text.Family("rawrelay_messages_total", "counter", "WebSocket messages: in from clients, out to clients.")
            .Sample("rawrelay_messages_total", stats.MessagesIn, ("direction", "in"))
            .Sample("rawrelay_messages_total", stats.MessagesOut, ("direction", "out"));
        text.Family("rawrelay_bytes_total", "counter", "WebSocket bytes on the wire after the handshake: in from clients, out to clients.")
            .Sample("rawrelay_bytes_total", stats.BytesIn, ("direction", "in"))
            .Sample("rawrelay_bytes_total", stats.BytesOut, ("direction", "out"));
        text.Counter("rawrelay_slow_clients_dropped_total", "Clients cut off as slow (their queue over --send-queue, all queues over --send-queue-total, or not emptied for --send-timeout).", stats.SlowClientsDropped);
        text.Counter("rawrelay_ping_timeouts_total", "Clients dropped for not answering a ping.", stats.PingTimeouts);
        text.Counter("rawrelay_rate_limited_total", "Clients closed with 1008 for sending over --client-rate.", stats.RateLimited);
        text.Counter("rawrelay_busy_refused_total", "Clients closed with 1013: their message in progress would have passed the shared budget.", stats.Busy);
        WriteCommands(text);
        text.Gauge("rawrelay_queued_bytes", "Bytes the send queues of all connections keep alive, and are writing.", QueuedBytes());
        text.Gauge("rawrelay_channels", "Channels that exist (a connection or a subscribed id on them).", registry.Channels.Count);
        text.Gauge("rawrelay_subscriptions", "Subscriptions of ids to channels.", registry.Channels.Subscriptions);
        if (history.Enabled)
        {
            text.Gauge("rawrelay_history_messages", "Messages kept for clients that resume.", history.Messages);
            text.Gauge("rawrelay_history_bytes", "Bytes the kept messages take.", history.Bytes);
        }

        text.Gauge("rawrelay_event_consumers", "WATCH connections and the webhook: who takes the relay's events.", registry.Events.Consumers);
        if (webhook is not null)
            WriteWebhook(text, webhook);
        if (pusher is not null)
            WritePusher(text, pusher);
        if (cluster is not null)
        {
            text.Gauge("rawrelay_redis_up", "1 while the cluster's Redis answers and this relay's state is in it (--redis), else 0.", cluster.IsUp ? 1 : 0);
            text.Gauge("rawrelay_redis_rtt_seconds", "Round trip of the last heartbeat to Redis.", cluster.RttSeconds);
            text.Gauge("rawrelay_redis_subscribed_streams", "Streams this relay is subscribed to in Redis (those it has connections on).", cluster.SubscribedStreams);
        }

        text.Counter("rawrelay_log_lines_lost_total", "Log lines that never reached standard output.", log.LinesLost);
        _process.Write(text);
        return text.Written.ToArray();
    }

    private void WriteCommands(PrometheusText text)
    {
        text.Family("rawrelay_control_commands_total", "counter", "Control commands run, by command and result.");
        for (int i = 0; i < ControlStats.Commands.Length; i++)
        {
            foreach (bool ok in (ReadOnlySpan<bool>)[true, false])
            {
                long count = control.Count(i, ok);
                if (count > 0 || ok)
                    text.Sample("rawrelay_control_commands_total", count, ("command", ControlStats.Commands[i]), ("result", ok ? "ok" : "err"));
            }
        }
    }

    /// <summary>With <c>--pusher-app</c>: its connections (also in rawrelay_connections), its HTTP API's requests by status, its webhook.</summary>
    private static void WritePusher(PrometheusText text, PusherServer pusher)
    {
        text.Gauge("rawrelay_pusher_connections", "Pusher protocol connections (they count in rawrelay_connections too).", pusher.Connections);
        text.Family("rawrelay_pusher_api_requests_total", "counter", "Pusher HTTP API requests by the status answered.");
        for (int i = 0; i < PusherServer.ApiStatuses.Length; i++)
            text.Sample("rawrelay_pusher_api_requests_total", pusher.ApiRequests(i), ("status", PusherServer.ApiStatuses[i].ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (pusher.Webhooks is { } webhooks)
            WriteWebhook(text, webhooks.Sender, "rawrelay_pusher_webhook", "the Pusher webhook");
    }

    private static void WriteWebhook(PrometheusText text, WebhookSender webhook, string prefix = "rawrelay_webhook", string what = "the webhook")
    {
        if (prefix != "rawrelay_webhook")
        {
            text.Gauge(prefix + "_queued_events", $"Events waiting for {what}.", webhook.Queue.Count);
            text.Counter(prefix + "_delivered_events_total", $"Events {what}'s endpoint took (2xx).", webhook.Delivered);
            text.Counter(prefix + "_dropped_events_total", $"Events dropped because {what}'s queue was full.", webhook.Queue.Dropped);
            text.Counter(prefix + "_given_up_events_total", "Events of batches given up on a status that is not retried.", webhook.GivenUp);
            return;
        }

        text.Gauge("rawrelay_webhook_queued_events", "Events waiting for the webhook.", webhook.Queue.Count);
        text.Gauge("rawrelay_webhook_queued_bytes", "Bytes the events waiting for the webhook take.", webhook.Queue.Bytes);
        text.Counter("rawrelay_webhook_delivered_events_total", "Events the webhook endpoint took (2xx).", webhook.Delivered);
        text.Counter("rawrelay_webhook_retries_total", "POSTs repeated after a failure.", webhook.Retries);
        text.Counter("rawrelay_webhook_dropped_events_total", "Events dropped because the webhook's queue was full.", webhook.Queue.Dropped);
        text.Counter("rawrelay_webhook_given_up_events_total", "Events of batches given up on a status that is not retried.", webhook.GivenUp);
    }

    private long QueuedBytes()
    {
        long total = 0;
        foreach (WebSocketConnection connection in context.Live.Snapshot())
            total += connection.QueuedBytes;
        return total;
    }
}
