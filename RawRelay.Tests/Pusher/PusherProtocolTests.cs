using RawRelay.Pusher;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Pusher;

/// <summary>
/// The Pusher WebSocket at <c>/app/&lt;key&gt;</c> over real sockets, message by message (Pusher Channels
/// Protocol 7), and one channel shared with native connections and the control socket.
/// </summary>
[TestFixture]
public sealed class PusherProtocolTests
{
    private RelayFixture _relay = null!;

    [OneTimeSetUp]
    public void Start() => _relay = RelayFixture.Start(o => o with
    {
        PusherApp = PusherWireClient.App,
        PusherClientEvents = true,
    });

    [OneTimeTearDown]
    public async Task Stop() => await _relay.DisposeAsync();

    private static string NewChannel(string prefix = "") => prefix + "c" + Guid.NewGuid().ToString("N")[..10];

    [Test, CancelAfter(10_000)]
    public async Task Connection_established_carries_a_socket_id_and_the_activity_timeout_and_a_ping_gets_a_pong(CancellationToken ct)
    {
        RawWebSocketClient raw = await RawWebSocketClient.ConnectAsync(_relay.Port, "x", ct, path: "/app/key1", query: "&protocol=7");
        await using (raw)
        {
            PusherEvent established = PusherEvent.Parse(await raw.ReceiveTextAsync(ct).WithTimeout());
            established.Event.Should().Be("pusher:connection_established");
            established.DataField("socket_id").GetString().Should().MatchRegex(@"^\d+\.\d+$");
            established.DataField("activity_timeout").GetInt32().Should().Be(120);

            await raw.SendTextAsync("{\"event\":\"pusher:ping\",\"data\":{}}", ct);
            (await raw.ReceiveTextAsync(ct).WithTimeout()).Should().Be("{\"event\":\"pusher:pong\",\"data\":{}}");
        }
    }

    [Test, CancelAfter(10_000)]
    public async Task An_unknown_key_gets_pusher_error_4001_and_a_close_with_4001(CancellationToken ct)
    {
        await using RawWebSocketClient raw = await RawWebSocketClient.ConnectAsync(_relay.Port, "x", ct, path: "/app/nokey", query: "&protocol=7");
        PusherEvent error = PusherEvent.Parse(await raw.ReceiveTextAsync(ct).WithTimeout());
        error.Event.Should().Be("pusher:error");
        error.DataField("code").GetInt32().Should().Be(4001);
        (await raw.ReceiveCloseCodeAsync(ct).WithTimeout()).Should().Be(4001);
    }

    [Test, CancelAfter(10_000)]
    public async Task An_unsupported_protocol_version_gets_4007(CancellationToken ct)
    {
        await using RawWebSocketClient raw = await RawWebSocketClient.ConnectAsync(_relay.Port, "x", ct, path: "/app/key1", query: "&protocol=99");
        PusherEvent error = PusherEvent.Parse(await raw.ReceiveTextAsync(ct).WithTimeout());
        error.DataField("code").GetInt32().Should().Be(4007);
        (await raw.ReceiveCloseCodeAsync(ct).WithTimeout()).Should().Be(4007);
    }

    [Test, CancelAfter(10_000)]
    public async Task A_wrong_subscription_signature_gets_subscription_error_and_the_connection_stays_open(CancellationToken ct)
    {
        await using PusherWireClient client = await PusherWireClient.ConnectAsync(_relay.Port, ct);
        string channel = NewChannel("private-");
        PusherEvent refused = await client.SubscribeAsync(channel, ct, auth: "key1:" + PusherWireClient.Hmac("1.1:" + channel));
        refused.Event.Should().Be("pusher:subscription_error");
        refused.Channel.Should().Be(channel);
        refused.DataField("status").GetInt32().Should().Be(401);
        (await client.SubscribeAsync(channel, ct, auth: "")).Event.Should().Be("pusher:subscription_error");
        (await client.SubscribeAsync(NewChannel("presence-"), ct, channelData: "{\"user_id\":\"1\"}", auth: "key1:00")).Event
            .Should().Be("pusher:subscription_error");

        PusherEvent accepted = await client.SubscribeAsync(channel, ct);
        accepted.Event.Should().Be("pusher_internal:subscription_succeeded");
        accepted.Channel.Should().Be(channel);
        (await _relay.Control.CommandAsync($"PUBLISH MESSAGE {channel} after", ct)).Should().Be("OK 1");
        (await client.ReceiveAsync(ct)).Should().Match<PusherEvent>(e => e.Event == "message" && e.Data == "after");
    }

    [Test, CancelAfter(10_000)]
    public async Task A_native_publish_reaches_a_pusher_client_and_a_pusher_event_reaches_a_native_client_as_its_envelope(CancellationToken ct)
    {
        string channel = NewChannel();
        await using PusherWireClient pusher = await PusherWireClient.ConnectAsync(_relay.Port, ct);
        (await pusher.SubscribeAsync(channel, ct)).Json.Should().Be($"{{\"event\":\"pusher_internal:subscription_succeeded\",\"channel\":\"{channel}\",\"data\":\"{{}}\"}}");
        await using RawWebSocketClient native = await RawWebSocketClient.ConnectAsync(_relay.Port, "n-" + channel, ct, query: "&channel=" + channel);

        (await _relay.Control.CommandAsync($"PUBLISH MESSAGE {channel} {{\"text\":\"hi\"}}", ct)).Should().Be("OK 2");
        (await pusher.Raw.ReceiveTextAsync(ct).WithTimeout()).Should().Be($"{{\"event\":\"message\",\"channel\":\"{channel}\",\"data\":\"{{\\\"text\\\":\\\"hi\\\"}}\"}}");
        (await native.ReceiveTextAsync(ct).WithTimeout()).Should().Be("{\"text\":\"hi\"}");

        HttpReply reply = await PusherApiRequests.TriggerAsync(_relay.Port, channel, "order-shipped", "{\"id\":7}", ct);
        reply.Status.Should().Be(200, reply.BodyText);
        string envelope = $"{{\"event\":\"order-shipped\",\"channel\":\"{channel}\",\"data\":\"{{\\\"id\\\":7}}\"}}";
        (await pusher.Raw.ReceiveTextAsync(ct).WithTimeout()).Should().Be(envelope);
        (await native.ReceiveTextAsync(ct).WithTimeout()).Should().Be(envelope);

        (await _relay.Control.CommandWithDataAsync("LIST CHANNELS", ct)).Data.Should().Contain($"channel {channel} 2");
        (await _relay.Control.CommandAsync($"SEND MESSAGE {pusher.SocketId} direct", ct)).Should().Be("OK 1", "a Pusher connection's id is its socket id");
        (await pusher.ReceiveAsync(ct)).Json.Should().Be("{\"event\":\"message\",\"data\":\"direct\"}");
    }

    [Test, CancelAfter(10_000)]
    public async Task An_event_leaves_out_the_socket_id_it_names(CancellationToken ct)
    {
        string channel = NewChannel();
        await using PusherWireClient sender = await PusherWireClient.ConnectAsync(_relay.Port, ct);
        await using PusherWireClient other = await PusherWireClient.ConnectAsync(_relay.Port, ct);
        await sender.SubscribeAsync(channel, ct);
        await other.SubscribeAsync(channel, ct);
        (await PusherApiRequests.TriggerAsync(_relay.Port, channel, "first", "1", ct, socketId: sender.SocketId)).Status.Should().Be(200);
        (await PusherApiRequests.TriggerAsync(_relay.Port, channel, "second", "2", ct)).Status.Should().Be(200);
        (await other.ReceiveAsync(ct)).Event.Should().Be("first");
        (await other.ReceiveAsync(ct)).Event.Should().Be("second");
        (await sender.ReceiveAsync(ct)).Event.Should().Be("second", "the first event left the sender out");
    }

    [Test, CancelAfter(10_000)]
    public async Task Presence_members_are_added_on_a_users_first_join_and_removed_on_its_last_leave(CancellationToken ct)
    {
        string channel = NewChannel("presence-");
        await using PusherWireClient ann = await PusherWireClient.ConnectAsync(_relay.Port, ct);
        PusherEvent first = await ann.SubscribeAsync(channel, ct, "{\"user_id\":\"ann\",\"user_info\":{\"name\":\"Ann\"}}");
        first.Event.Should().Be("pusher_internal:subscription_succeeded");
        first.Data.Should().Be("{\"presence\":{\"ids\":[\"ann\"],\"hash\":{\"ann\":{\"name\":\"Ann\"}},\"count\":1}}");

        await using PusherWireClient bob = await PusherWireClient.ConnectAsync(_relay.Port, ct);
        PusherEvent second = await bob.SubscribeAsync(channel, ct, "{\"user_id\":42,\"user_info\":{\"name\":\"Bob\"}}");
        second.Data.Should().Be("{\"presence\":{\"ids\":[\"ann\",\"42\"],\"hash\":{\"ann\":{\"name\":\"Ann\"},\"42\":{\"name\":\"Bob\"}},\"count\":2}}");
        PusherEvent added = await ann.ReceiveAsync(ct);
        added.Event.Should().Be("pusher_internal:member_added");
        added.Data.Should().Be("{\"user_id\":\"42\",\"user_info\":{\"name\":\"Bob\"}}");

        // Bob's second tab: no member_added; its leave: no member_removed; the last leave: member_removed.
        await using PusherWireClient bob2 = await PusherWireClient.ConnectAsync(_relay.Port, ct);
        (await bob2.SubscribeAsync(channel, ct, "{\"user_id\":42,\"user_info\":{\"name\":\"Bob\"}}")).DataField("presence").GetProperty("count").GetInt32().Should().Be(2);
        HttpReply users = await PusherApiRequests.SendAsync(_relay.Port, "GET", $"/apps/app1/channels/{channel}/users", ct: ct);
        users.BodyText.Should().Be("{\"users\":[{\"id\":\"ann\"},{\"id\":\"42\"}]}");
        await bob2.SendAsync($"{{\"event\":\"pusher:unsubscribe\",\"data\":{{\"channel\":\"{channel}\"}}}}", ct);
        await bob.Raw.SendAsync(ClientFrames.Close(1000), ct);
        PusherEvent removed = await ann.ReceiveAsync(ct);
        removed.Event.Should().Be("pusher_internal:member_removed");
        removed.Data.Should().Be("{\"user_id\":\"42\"}");
        (await PusherApiRequests.SendAsync(_relay.Port, "GET", $"/apps/app1/channels/{channel}/users", ct: ct)).BodyText
            .Should().Be("{\"users\":[{\"id\":\"ann\"}]}");
    }

    [Test, CancelAfter(10_000)]
    public async Task A_presence_subscription_without_a_user_id_is_refused(CancellationToken ct)
    {
        await using PusherWireClient client = await PusherWireClient.ConnectAsync(_relay.Port, ct);
        PusherEvent refused = await client.SubscribeAsync(NewChannel("presence-"), ct, "{\"user_info\":{}}");
        refused.Event.Should().Be("pusher:subscription_error");
        refused.DataField("status").GetInt32().Should().Be(400);
        PusherEvent large = await client.SubscribeAsync(NewChannel("presence-"), ct, "{\"user_id\":\"x\",\"user_info\":\"" + new string('a', 3000) + "\"}");
        large.Event.Should().Be("pusher:subscription_error", "member data is bounded");
    }

    [Test, CancelAfter(10_000)]
    public async Task Client_events_go_to_the_channels_others_with_the_user_id_and_never_back(CancellationToken ct)
    {
        string channel = NewChannel("presence-");
        await using PusherWireClient ann = await PusherWireClient.ConnectAsync(_relay.Port, ct);
        await using PusherWireClient bob = await PusherWireClient.ConnectAsync(_relay.Port, ct);
        await ann.SubscribeAsync(channel, ct, "{\"user_id\":\"ann\"}");
        await bob.SubscribeAsync(channel, ct, "{\"user_id\":\"bob\"}");
        (await ann.ReceiveAsync(ct)).Event.Should().Be("pusher_internal:member_added");

        await bob.SendAsync($"{{\"event\":\"client-typing\",\"channel\":\"{channel}\",\"data\":{{\"on\":true}}}}", ct);
        (await ann.ReceiveAsync(ct)).Json.Should().Be($"{{\"event\":\"client-typing\",\"channel\":\"{channel}\",\"data\":{{\"on\":true}},\"user_id\":\"bob\"}}");
        await bob.SendAsync("{\"event\":\"pusher:ping\",\"data\":{}}", ct);
        (await bob.ReceiveAsync(ct)).Event.Should().Be("pusher:pong", "the client event did not come back to its sender");

        string open = NewChannel();
        await bob.SubscribeAsync(open, ct);
        await bob.SendAsync($"{{\"event\":\"client-typing\",\"channel\":\"{open}\",\"data\":{{}}}}", ct);
        PusherEvent refused = await bob.ReceiveAsync(ct);
        refused.Event.Should().Be("pusher:error");
        refused.DataField("code").GetInt32().Should().Be(4301, "client events are for private and presence channels");
    }

    [Test, CancelAfter(10_000)]
    public async Task Signin_gets_signin_success_and_the_users_own_channel(CancellationToken ct)
    {
        await using PusherWireClient client = await PusherWireClient.ConnectAsync(_relay.Port, ct);
        string user = "u" + Guid.NewGuid().ToString("N")[..8];
        string userData = $"{{\"id\":\"{user}\",\"name\":\"Ann\"}}";
        string auth = "key1:" + PusherWireClient.Hmac($"{client.SocketId}::user::{userData}");
        await client.SendAsync(System.Text.Json.JsonSerializer.Serialize(new { @event = "pusher:signin", data = new { auth, user_data = userData } }), ct);
        PusherEvent success = await client.ReceiveAsync(ct);
        success.Event.Should().Be("pusher:signin_success");
        success.DataField("user_data").GetString().Should().Be(userData);

        HttpReply sent = await PusherApiRequests.SendAsync(_relay.Port, "POST", "/apps/app1/events",
            $"{{\"name\":\"notice\",\"channels\":[\"#server-to-user-{user}\"],\"data\":\"hello\"}}", ct: ct);
        sent.Status.Should().Be(200, sent.BodyText);
        (await client.ReceiveAsync(ct)).Should().Match<PusherEvent>(e => e.Event == "notice" && e.Data == "hello" && e.Channel == "#server-to-user-" + user);

        HttpReply terminated = await PusherApiRequests.SendAsync(_relay.Port, "POST", $"/apps/app1/users/{user}/terminate_connections", "{}", ct: ct);
        terminated.Status.Should().Be(200, terminated.BodyText);
        PusherEvent error = await client.ReceiveAsync(ct);
        error.Event.Should().Be("pusher:error");
        error.DataField("code").GetInt32().Should().Be(4009);
        (await client.Raw.ReceiveCloseCodeAsync(ct).WithTimeout()).Should().Be(4009);
    }

    [Test, CancelAfter(10_000)]
    public async Task A_signin_with_a_wrong_signature_is_refused_with_4009(CancellationToken ct)
    {
        await using PusherWireClient client = await PusherWireClient.ConnectAsync(_relay.Port, ct);
        await client.SendAsync("{\"event\":\"pusher:signin\",\"data\":{\"auth\":\"key1:00\",\"user_data\":\"{\\\"id\\\":\\\"x\\\"}\"}}", ct);
        (await client.ReceiveAsync(ct)).DataField("code").GetInt32().Should().Be(4009);
        (await client.Raw.ReceiveCloseCodeAsync(ct).WithTimeout()).Should().Be(4009);
    }

    [Test, CancelAfter(10_000)]
    public async Task A_message_that_is_not_pusher_json_gets_pusher_error_and_the_connection_stays_open(CancellationToken ct)
    {
        await using PusherWireClient client = await PusherWireClient.ConnectAsync(_relay.Port, ct);
        await client.SendAsync("hello", ct);
        (await client.ReceiveAsync(ct)).Event.Should().Be("pusher:error");
        await client.SendAsync("{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"bad name!\"}}", ct);
        (await client.ReceiveAsync(ct)).Event.Should().Be("pusher:subscription_error");
        await client.SendAsync("{\"event\":\"pusher:ping\",\"data\":{}}", ct);
        (await client.ReceiveAsync(ct)).Event.Should().Be("pusher:pong");
    }

    [Test, CancelAfter(30_000)]
    public async Task A_presence_channel_holds_at_most_100_users_and_the_101st_gets_subscription_error(CancellationToken ct)
    {
        string channel = NewChannel("presence-");
        var members = new List<PusherWireClient>();
        try
        {
            for (int i = 0; i < PresenceRoster.MaxMembers; i++)
            {
                PusherWireClient member = await PusherWireClient.ConnectAsync(_relay.Port, ct);
                members.Add(member);
                (await member.SubscribeAsync(channel, ct, $"{{\"user_id\":\"u{i}\"}}")).Event.Should().Be("pusher_internal:subscription_succeeded");
            }

            await using PusherWireClient extra = await PusherWireClient.ConnectAsync(_relay.Port, ct);
            PusherEvent refused = await extra.SubscribeAsync(channel, ct, "{\"user_id\":\"one-too-many\"}");
            refused.Event.Should().Be("pusher:subscription_error");
            refused.DataField("status").GetInt32().Should().Be(403);
            PusherEvent again = await extra.SubscribeAsync(channel, ct, "{\"user_id\":\"u7\"}");
            again.Event.Should().Be("pusher_internal:subscription_succeeded", "another connection of a member is no new member");
            again.DataField("presence").GetProperty("count").GetInt32().Should().Be(PresenceRoster.MaxMembers);
        }
        finally
        {
            foreach (PusherWireClient member in members)
                await member.DisposeAsync();
        }
    }

    [Test, CancelAfter(10_000)]
    public async Task Garbage_of_every_kind_gets_pusher_error_and_does_not_end_the_connection(CancellationToken ct)
    {
        await using PusherWireClient client = await PusherWireClient.ConnectAsync(_relay.Port, ct);
        string[] garbage =
        [
            "", "{", "[]", "null", "42", "\"text\"", "{\"event\":null}", "{\"event\":[]}", "{\"event\":\"pusher:subscribe\"}",
            "{\"event\":\"pusher:subscribe\",\"data\":42}", "{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":7}}",
            "{\"event\":\"pusher:subscribe\",\"data\":\"{not json\"}",
            "{\"event\":\"client-x\",\"channel\":\"private-not-subscribed\",\"data\":{}}", "{\"event\":\"unknown\"}",
            "{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"presence-x\",\"auth\":\"key1:zz\",\"channel_data\":\"[1]\"}}",
        ];
        foreach (string text in garbage)
        {
            await client.SendAsync(text, ct);
            (await client.ReceiveAsync(ct)).Event.Should().BeOneOf(["pusher:error", "pusher:subscription_error"], $"for {text}");
        }

        await client.SendAsync("{\"event\":\"pusher:ping\",\"data\":{}}", ct);
        (await client.ReceiveAsync(ct)).Event.Should().Be("pusher:pong");
    }
}
