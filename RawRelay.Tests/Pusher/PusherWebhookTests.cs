using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using RawRelay.Pusher;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Pusher;

/// <summary>
/// <c>--pusher-webhook</c>: Pusher-format webhooks to an independent endpoint, signed with the app's secret
/// (<c>X-Pusher-Key</c>, <c>X-Pusher-Signature</c>), for a presence user's first join and last leave, a client
/// event, and a channel's occupation and vacancy (after <c>--offline-delay</c>).
/// </summary>
[TestFixture]
public sealed class PusherWebhookTests
{
    [Test, CancelAfter(20_000)]
    public async Task Occupied_member_added_client_event_member_removed_and_vacated_arrive_signed_in_pushers_format(CancellationToken ct)
    {
        await using WebhookEndpoint endpoint = WebhookEndpoint.Start();
        await using RelayFixture relay = RelayFixture.Start(o => o with
        {
            PusherApp = PusherWireClient.App,
            PusherClientEvents = true,
            PusherWebhook = endpoint.Url,
            OfflineDelay = 0.2,
        });
        var events = new List<string>();
        async Task CollectUntilAsync(int count)
        {
            while (events.Count < count)
            {
                WebhookPost post = await endpoint.NextAsync();
                post.Header("X-Pusher-Key").Should().Be(PusherWireClient.Key);
                post.Header("X-Pusher-Signature").Should().Be(
                    Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(PusherWireClient.Secret), post.Body)));
                post.Header("Content-Type").Should().StartWith("application/json");
                using JsonDocument body = JsonDocument.Parse(post.Body);
                body.RootElement.GetProperty("time_ms").GetInt64().Should().BeCloseTo(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 10_000);
                foreach (JsonElement e in body.RootElement.GetProperty("events").EnumerateArray())
                    events.Add(e.GetRawText());
            }
        }

        await using (PusherWireClient ann = await PusherWireClient.ConnectAsync(relay.Port, ct))
        {
            await using PusherWireClient bob = await PusherWireClient.ConnectAsync(relay.Port, ct);
            (await ann.SubscribeAsync("presence-room", ct, "{\"user_id\":\"ann\"}")).Event.Should().Be("pusher_internal:subscription_succeeded");
            await CollectUntilAsync(2);
            events.Should().Equal(
                "{\"name\":\"channel_occupied\",\"channel\":\"presence-room\"}",
                "{\"name\":\"member_added\",\"channel\":\"presence-room\",\"user_id\":\"ann\"}");

            await ann.SubscribeAsync("private-chat", ct);
            await bob.SubscribeAsync("private-chat", ct);
            await CollectUntilAsync(3);
            await bob.SendAsync("{\"event\":\"client-typing\",\"channel\":\"private-chat\",\"data\":{\"on\":true}}", ct);
            (await ann.ReceiveAsync(ct)).Event.Should().Be("client-typing");
            await CollectUntilAsync(4);
            events[2].Should().Be("{\"name\":\"channel_occupied\",\"channel\":\"private-chat\"}");
            events[3].Should().Be($"{{\"name\":\"client_event\",\"channel\":\"private-chat\",\"event\":\"client-typing\",\"data\":\"{{\\\"on\\\":true}}\",\"socket_id\":\"{bob.SocketId}\"}}");
        }

        // Both closed: ann leaves the room (member_removed at once), the channels are vacated after the delay.
        await CollectUntilAsync(7);
        events[4].Should().Be("{\"name\":\"member_removed\",\"channel\":\"presence-room\",\"user_id\":\"ann\"}");
        events.Skip(5).Should().BeEquivalentTo([
            "{\"name\":\"channel_vacated\",\"channel\":\"presence-room\"}",
            "{\"name\":\"channel_vacated\",\"channel\":\"private-chat\"}",
        ]);
    }
}
