using System.Text;
using RawRelay.Diagnostics;
using RawRelay.Hub;
using RawRelay.Webhooks;

namespace RawRelay.Pusher;

/// <summary>
/// Pusher-format webhooks (<c>--pusher-webhook</c>; Pusher's "Webhooks" reference): <c>channel_occupied</c>,
/// <c>channel_vacated</c> (the relay's OCCUPIED and VACATED, so after <c>--offline-delay</c>), <c>member_added</c>,
/// <c>member_removed</c> (a presence user's first join and last leave) and <c>client_event</c>, in a body
/// <c>{"time_ms":...,"events":[...]}</c> signed with the app's secret (<c>X-Pusher-Key</c>,
/// <c>X-Pusher-Signature</c>: hex HMAC-SHA256 of the body). Delivered as <c>--webhook</c> is (batches of 100,
/// in order, retries, bounded queue), by a <see cref="WebhookSender"/> of its own. Thread-safe.
/// </summary>
internal sealed class PusherWebhooks : IEventConsumer, IWebhookFormat
{
    private readonly PusherApp _app;

    public PusherWebhooks(PusherApp app, WebhookOptions options, RelayLog log)
    {
        _app = app;
        Sender = new WebhookSender(options, log, this);
    }

    public WebhookSender Sender { get; }

    public string Label => "pusher webhook";

    /// <summary>OCCUPIED and VACATED from the relay's events become channel_occupied and channel_vacated; the rest is not Pusher's.</summary>
    public void OnEvent(RelayEvent relayEvent)
    {
        if (relayEvent.Kind is RelayEventKind.Occupied or RelayEventKind.Vacated
            && !relayEvent.Channel.StartsWith(PusherServer.UserChannelPrefix, StringComparison.Ordinal))
            Sender.Queue.OnEvent(relayEvent);
    }

    public void MemberAdded(string channel, string userId) => Queue(RelayEventKind.MemberAdded, channel, userId);

    public void MemberRemoved(string channel, string userId) => Queue(RelayEventKind.MemberRemoved, channel, userId);

    public void ClientEvent(string channel, string name, string data, string socketId, string? userId) =>
        Sender.Queue.OnEvent(new RelayEvent
        {
            EventId = "", Kind = RelayEventKind.ClientEvent, Time = EventBus.Now(), Channel = channel, Name = name,
            Payload = Encoding.UTF8.GetBytes(data), Handle = socketId, Id = userId ?? "",
        });

    private void Queue(RelayEventKind kind, string channel, string userId) =>
        Sender.Queue.OnEvent(new RelayEvent { EventId = "", Kind = kind, Time = EventBus.Now(), Channel = channel, Id = userId });

    public byte[] Body(IReadOnlyList<RelayEvent> batch) =>
        PusherJson.Write(w =>
        {
            w.WriteNumber("time_ms", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            w.WriteStartArray("events");
            foreach (RelayEvent e in batch)
            {
                w.WriteStartObject();
                w.WriteString("name", e.Kind switch
                {
                    RelayEventKind.Occupied => "channel_occupied",
                    RelayEventKind.Vacated => "channel_vacated",
                    RelayEventKind.MemberAdded => "member_added",
                    RelayEventKind.MemberRemoved => "member_removed",
                    _ => "client_event",
                });
                w.WriteString("channel", e.Channel);
                if (e.Kind is RelayEventKind.MemberAdded or RelayEventKind.MemberRemoved)
                    w.WriteString("user_id", e.Id);
                if (e.Kind == RelayEventKind.ClientEvent)
                {
                    w.WriteString("event", e.Name);
                    w.WriteString("data", Encoding.UTF8.GetString(e.Payload));
                    w.WriteString("socket_id", e.Handle);
                    if (e.Id.Length > 0)
                        w.WriteString("user_id", e.Id);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
        });

    public IEnumerable<KeyValuePair<string, string>> Signature(byte[] body) =>
        [new("X-Pusher-Key", _app.Key), new("X-Pusher-Signature", PusherSignatures.Sign(_app.Secret, body))];
}
