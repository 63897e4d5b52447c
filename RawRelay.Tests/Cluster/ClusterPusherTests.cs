using System.Text.Json;
using RawRelay.Tests.Infrastructure;
using RawRelay.Tests.Pusher;

namespace RawRelay.Tests.Cluster;

/// <summary>
/// Pusher in a cluster (SPEC Part 2: the cluster serves both protocols): once a Pusher client has its
/// subscription_succeeded, a native PUBLISH on any relay reaches it and counts it; once it has unsubscribed,
/// it is counted no more. An HTTP API event posted to any relay, and a client event sent on any relay,
/// reach the channel's connections on every relay, leaving out the socket it names wherever that is; with
/// Redis gone, the HTTP API answers 503. A presence channel's roster and member events are the cluster's.
/// </summary>
[TestFixture, NonParallelizable]
public sealed class ClusterPusherTests
{
    [Test, CancelAfter(60_000)]
    public async Task Http_api_and_client_events_reach_the_channels_connections_on_every_relay_but_the_socket_they_leave_out(CancellationToken ct)
    {
        await using RelayCluster cluster = await StartTwoAsync(ct, "--pusher-client-events");
        RelayProcess[] n = cluster.Relays;
        string channel = "private-room-" + Guid.NewGuid().ToString("N")[..8];
        await using PusherWireClient ann = await PusherWireClient.ConnectAsync(n[0].Port, ct);
        await using PusherWireClient bob = await PusherWireClient.ConnectAsync(n[1].Port, ct);
        await using PusherWireClient cat = await PusherWireClient.ConnectAsync(n[1].Port, ct);
        foreach (PusherWireClient client in (PusherWireClient[])[ann, bob, cat])
            (await client.SubscribeAsync(channel, ct)).Event.Should().Be("pusher_internal:subscription_succeeded");
        await using RawWebSocketClient native = await RawWebSocketClient.ConnectAsync(n[1].Port, "nat", ct, query: "&channel=" + channel);
        string Event(string name, string data) => $"{{\"event\":\"{name}\",\"channel\":\"{channel}\",\"data\":\"{data}\"}}";

        HttpReply listed = await PusherApiRequests.SendAsync(n[0].Port, "GET", $"/apps/{PusherWireClient.AppId}/channels", query: "filter_by_prefix=private-room-", ct: ct);
        listed.BodyText.Should().Be($"{{\"channels\":{{\"{channel}\":{{}}}}}}", "the channels of every relay are listed");
        HttpReply counted = await PusherApiRequests.SendAsync(n[0].Port, "GET", $"/apps/{PusherWireClient.AppId}/channels/{channel}", query: "info=subscription_count", ct: ct);
        counted.BodyText.Should().Be("{\"occupied\":true,\"subscription_count\":4}", "ann on n1, bob, cat and the native client on n2");

        (await PusherApiRequests.TriggerAsync(n[0].Port, channel, "order", "one", ct)).Status.Should().Be(200);
        foreach (PusherWireClient client in (PusherWireClient[])[ann, bob, cat])
            (await client.ReceiveAsync(ct)).Json.Should().Be(Event("order", "one"), "an event posted to n1 reaches the channel on both relays");
        (await native.ReceiveTextAsync(ct).WithTimeout()).Should().Be(Event("order", "one"), "a native client gets the event's envelope");

        (await PusherApiRequests.TriggerAsync(n[0].Port, channel, "order", "two", ct, socketId: bob.SocketId)).Status.Should().Be(200);
        (await ann.ReceiveAsync(ct)).Json.Should().Be(Event("order", "two"));
        (await cat.ReceiveAsync(ct)).Json.Should().Be(Event("order", "two"));
        await cat.SendAsync($"{{\"event\":\"client-typing\",\"channel\":\"{channel}\",\"data\":{{\"on\":true}}}}", ct);
        string typing = $"{{\"event\":\"client-typing\",\"channel\":\"{channel}\",\"data\":{{\"on\":true}}}}";
        (await ann.ReceiveAsync(ct)).Json.Should().Be(typing, "a client event on n2 reaches the channel's member on n1");
        (await bob.ReceiveAsync(ct)).Json.Should().Be(typing, "bob, left out of the event posted on n1 with his socket id, gets what follows");
        await cat.SendAsync("{\"event\":\"pusher:ping\",\"data\":{}}", ct);
        (await cat.ReceiveAsync(ct)).Event.Should().Be("pusher:pong", "its own client event did not come back to cat");

        string batch = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["batch"] = new[] { "b1", "b2", "b3" }.Select(d => new Dictionary<string, string> { ["name"] = "order", ["channel"] = channel, ["data"] = d }).ToArray(),
        }, TestJson.Options);
        (await PusherApiRequests.SendAsync(n[1].Port, "POST", $"/apps/{PusherWireClient.AppId}/batch_events", batch, ct: ct)).Status.Should().Be(200);
        foreach (PusherWireClient client in (PusherWireClient[])[ann, bob, cat])
        {
            foreach (string data in (string[])["b1", "b2", "b3"])
                (await client.ReceiveAsync(ct)).Json.Should().Be(Event("order", data), "a batch posted to n2 reaches both relays in its order");
        }

        // A signed-in user's own channel stays the relay's (signed-in users are each relay's): an event to it
        // posted to the user's relay reaches it, and no native connection of the id "server-to-user-<id>" gets it.
        string user = "u" + Guid.NewGuid().ToString("N")[..8];
        string userData = $"{{\"id\":\"{user}\"}}";
        await bob.SendAsync(JsonSerializer.Serialize(new { @event = "pusher:signin", data = new { auth = PusherWireClient.Key + ":" + PusherWireClient.Hmac($"{bob.SocketId}::user::{userData}"), user_data = userData } }), ct);
        (await bob.ReceiveAsync(ct)).Event.Should().Be("pusher:signin_success");
        await using RawWebSocketClient impostor = await RawWebSocketClient.ConnectAsync(n[1].Port, "server-to-user-" + user, ct);
        (await PusherApiRequests.SendAsync(n[1].Port, "POST", $"/apps/{PusherWireClient.AppId}/events",
            $"{{\"name\":\"notice\",\"channels\":[\"#server-to-user-{user}\"],\"data\":\"hi\"}}", ct: ct)).Status.Should().Be(200);
        (await bob.ReceiveAsync(ct)).Json.Should().Be($"{{\"event\":\"notice\",\"channel\":\"#server-to-user-{user}\",\"data\":\"hi\"}}");
        using (ControlClient control = n[0].OpenControl())
            (await control.CommandAsync("SEND MESSAGE server-to-user-" + user + " only-this", ct)).Should().Be("OK 1");
        (await impostor.ReceiveTextAsync(ct).WithTimeout()).Should().Be("only-this", "the user's event did not reach the id of that name");

        await cluster.Redis.KillAsync();
        await TaskTimeouts.Eventually(async () => (await PusherApiRequests.TriggerAsync(n[0].Port, channel, "order", "lost", ct)).Status == 503);
        string presence = "presence-" + channel["private-".Length..];
        for (int attempt = 0; attempt < 2; attempt++)
        {
            PusherEvent refused = await ann.SubscribeAsync(presence, ct, "{\"user_id\":\"ann\"}");
            refused.Event.Should().Be("pusher:subscription_error", "a presence roster needs Redis (and a refused subscription may be tried again)");
            refused.DataField("status").GetInt32().Should().Be(503);
        }
    }

    [Test, CancelAfter(60_000)]
    public async Task A_presence_channels_roster_and_member_events_are_the_clusters(CancellationToken ct)
    {
        await using RelayCluster cluster = await StartTwoAsync(ct);
        RelayProcess[] n = cluster.Relays;
        string channel = "presence-room-" + Guid.NewGuid().ToString("N")[..8];
        static string Member(string id) => $"{{\"user_id\":\"{id}\",\"user_info\":{{\"name\":\"{id}\"}}}}";
        static string Ids(PusherEvent succeeded) => string.Join(',', JsonDocument.Parse(succeeded.Data).RootElement.GetProperty("presence")
            .GetProperty("ids").EnumerateArray().Select(e => e.GetString()).Order(StringComparer.Ordinal));

        await using PusherWireClient ann = await PusherWireClient.ConnectAsync(n[0].Port, ct);
        PusherEvent first = await ann.SubscribeAsync(channel, ct, Member("ann"));
        first.Event.Should().Be("pusher_internal:subscription_succeeded");
        Ids(first).Should().Be("ann");

        await using PusherWireClient bob = await PusherWireClient.ConnectAsync(n[1].Port, ct);
        PusherEvent second = await bob.SubscribeAsync(channel, ct, Member("bob"));
        Ids(second).Should().Be("ann,bob", "the roster holds the user on the other relay");
        JsonDocument.Parse(second.Data).RootElement.GetProperty("presence").GetProperty("hash").GetProperty("ann").GetProperty("name").GetString()
            .Should().Be("ann");
        PusherEvent added = await ann.ReceiveAsync(ct);
        added.Event.Should().Be("pusher_internal:member_added", "ann on n1 hears of bob on n2");
        JsonDocument.Parse(added.Data).RootElement.GetProperty("user_id").GetString().Should().Be("bob");

        await using PusherWireClient bobAgain = await PusherWireClient.ConnectAsync(n[0].Port, ct);
        Ids(await bobAgain.SubscribeAsync(channel, ct, Member("bob"))).Should().Be("ann,bob");
        HttpReply users = await PusherApiRequests.SendAsync(n[1].Port, "GET", $"/apps/{PusherWireClient.AppId}/channels/{channel}/users", ct: ct);
        users.Status.Should().Be(200, users.BodyText);
        string.Join(',', JsonDocument.Parse(users.BodyText).RootElement.GetProperty("users").EnumerateArray()
            .Select(u => u.GetProperty("id").GetString()).Order(StringComparer.Ordinal)).Should().Be("ann,bob");

        await bob.SendAsync($"{{\"event\":\"pusher:unsubscribe\",\"data\":{{\"channel\":\"{channel}\"}}}}", ct);
        await bobAgain.Raw.SendAsync(ClientFrames.Close(1000), ct);
        (await bobAgain.Raw.ReceiveCloseCodeAsync(ct).WithTimeout()).Should().Be(1000);
        PusherEvent removed = await ann.ReceiveAsync(ct);
        removed.Event.Should().Be("pusher_internal:member_removed",
            "bob's last connection anywhere left (his first leaving made no member_removed, or it would come first)");
        JsonDocument.Parse(removed.Data).RootElement.GetProperty("user_id").GetString().Should().Be("bob");

        // A relay that dies takes its users out of the roster within --node-timeout, with their member_removed.
        await using PusherWireClient cat = await PusherWireClient.ConnectAsync(n[1].Port, ct);
        Ids(await cat.SubscribeAsync(channel, ct, Member("cat"))).Should().Be("ann,cat");
        (await ann.ReceiveAsync(ct)).Event.Should().Be("pusher_internal:member_added");
        n[1].Kill();
        PusherEvent catLeft = await ann.ReceiveAsync(ct);
        catLeft.Event.Should().Be("pusher_internal:member_removed", "the relays that see n2's heartbeat lapse send its users' member_removed");
        JsonDocument.Parse(catLeft.Data).RootElement.GetProperty("user_id").GetString().Should().Be("cat");
        await TaskTimeouts.Eventually(async () =>
            (await PusherApiRequests.SendAsync(n[0].Port, "GET", $"/apps/{PusherWireClient.AppId}/channels/{channel}", query: "info=user_count", ct: ct)).BodyText
                .Contains("\"user_count\":1", StringComparison.Ordinal), TimeSpan.FromSeconds(RelayCluster.NodeTimeout + 3));
    }

    [Test, CancelAfter(60_000)]
    public async Task Presence_joins_and_leaves_sent_at_once_and_a_relay_that_stops_leave_no_member_behind(CancellationToken ct)
    {
        await using RelayCluster cluster = await StartTwoAsync(ct);
        RelayProcess[] n = cluster.Relays;
        string channel = "presence-desk-" + Guid.NewGuid().ToString("N")[..8];
        await using PusherWireClient ann = await PusherWireClient.ConnectAsync(n[0].Port, ct);
        (await ann.SubscribeAsync(channel, ct, "{\"user_id\":\"ann\"}")).Event.Should().Be("pusher_internal:subscription_succeeded");
        async Task<string> MemberEventAsync()
        {
            PusherEvent e = await ann.ReceiveAsync(ct);
            return $"{e.Event} {JsonDocument.Parse(e.Data).RootElement.GetProperty("user_id").GetString()}";
        }

        // Subscribe, unsubscribe, subscribe, without waiting for any answer, then go: every change is the cluster's, in order.
        await using (PusherWireClient dan = await PusherWireClient.ConnectAsync(n[1].Port, ct))
        {
            string data = "{\"user_id\":\"dan\"}";
            string auth = PusherWireClient.Key + ":" + PusherWireClient.Hmac($"{dan.SocketId}:{channel}:{data}");
            string subscribe = JsonSerializer.Serialize(new { @event = "pusher:subscribe", data = new { channel, auth, channel_data = data } });
            await dan.SendAsync(subscribe, ct);
            await dan.SendAsync($"{{\"event\":\"pusher:unsubscribe\",\"data\":{{\"channel\":\"{channel}\"}}}}", ct);
            await dan.SendAsync(subscribe, ct);
            (await dan.ReceiveAsync(ct)).Event.Should().Be("pusher_internal:subscription_succeeded");
            (await dan.ReceiveAsync(ct)).Event.Should().Be("pusher_internal:subscription_succeeded");
            await dan.Raw.SendAsync(ClientFrames.Close(1000), ct);
            (await dan.Raw.ReceiveCloseCodeAsync(ct).WithTimeout()).Should().Be(1000);
        }

        foreach (string expected in (string[])["pusher_internal:member_added dan", "pusher_internal:member_removed dan",
                     "pusher_internal:member_added dan", "pusher_internal:member_removed dan"])
            (await MemberEventAsync()).Should().Be(expected);
        HttpReply users = await PusherApiRequests.SendAsync(n[0].Port, "GET", $"/apps/{PusherWireClient.AppId}/channels/{channel}/users", ct: ct);
        users.BodyText.Should().Be("{\"users\":[{\"id\":\"ann\"}]}", "no join or leave was lost or counted twice");

        // A relay stopped (SIGTERM) while its member does not answer the close: the member leaves everywhere.
        await using PusherWireClient eve = await PusherWireClient.ConnectAsync(n[1].Port, ct);
        (await eve.SubscribeAsync(channel, ct, "{\"user_id\":\"eve\"}")).Event.Should().Be("pusher_internal:subscription_succeeded");
        (await MemberEventAsync()).Should().Be("pusher_internal:member_added eve");
        n[1].Terminate();
        (await MemberEventAsync()).Should().Be("pusher_internal:member_removed eve", "the relay that stops takes its users out of the roster with their member_removed");
    }

    [Test, CancelAfter(60_000)]
    public async Task A_publish_on_one_relay_reaches_a_pusher_client_on_another_and_counts_it(CancellationToken ct)
    {
        await using RelayCluster cluster = await StartTwoAsync(ct);
        RelayProcess[] n = cluster.Relays;
        string channel = "orders-" + Guid.NewGuid().ToString("N")[..8];
        await using PusherWireClient pusher = await PusherWireClient.ConnectAsync(n[1].Port, ct);
        (await pusher.SubscribeAsync(channel, ct)).Event.Should().Be("pusher_internal:subscription_succeeded");
        using ControlClient a = n[0].OpenControl();

        (await a.CommandAsync($"PUBLISH MESSAGE {channel} {{\"id\":7}}", ct)).Should().Be("OK 1", "the Pusher client on n2 counts");
        (await pusher.ReceiveAsync(ct)).Json.Should().Be($"{{\"event\":\"message\",\"channel\":\"{channel}\",\"data\":\"{{\\\"id\\\":7}}\"}}");
        (await a.CommandAsync($"SEND MESSAGE {pusher.SocketId} direct", ct)).Should().Be("OK 1", "its socket id is an id of the cluster");
        (await pusher.ReceiveAsync(ct)).Json.Should().Be("{\"event\":\"message\",\"data\":\"direct\"}");

        // Publishes that still counted it (sent before its relay read the unsubscribe) may reach it; the first
        // that no longer counts it, and what comes after, must not.
        await pusher.Raw.SendTextAsync($"{{\"event\":\"pusher:unsubscribe\",\"data\":{{\"channel\":\"{channel}\"}}}}", ct);
        int sent = 0;
        await TaskTimeouts.Eventually(async () => await a.CommandAsync($"PUBLISH MESSAGE {channel} after-{++sent}", ct) == "OK 0");
        (await a.CommandAsync($"SEND MESSAGE {pusher.SocketId} still-here", ct)).Should().Be("OK 1");
        var counted = Enumerable.Range(1, sent - 1).Select(k => $"{{\"event\":\"message\",\"channel\":\"{channel}\",\"data\":\"after-{k}\"}}").ToList();
        string next;
        while ((next = (await pusher.ReceiveAsync(ct)).Json) != "{\"event\":\"message\",\"data\":\"still-here\"}")
            counted.Should().Contain(next, "only a publish that counted the Pusher client reaches it");
    }

    /// <summary>Redis and two relays speaking Pusher (the test app).</summary>
    private static Task<RelayCluster> StartTwoAsync(CancellationToken ct, params string[] more) =>
        RelayCluster.StartAsync(2, ct, ["--pusher-app", $"{PusherWireClient.AppId}:{PusherWireClient.Key}:{PusherWireClient.Secret}", .. more]);
}
