using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration.Channels;

/// <summary>
/// SPEC, Streams and channels: PUBLISH reaches exactly the connections on a channel, whether they asked for
/// it at connect time or their id was subscribed (before or after they connected); subscriptions belong to
/// the id and survive a reconnect; LIST CHANNELS, LIST WEBSOCKETS of a channel and CHANNELS of an id.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class ChannelCommandTests
{
    private RelayFixture _relay = null!;

    [OneTimeSetUp]
    public void StartRelay() => _relay = RelayFixture.Start(o => o with { MaxChannels = 3 });

    [OneTimeTearDown]
    public async Task StopRelay() => await _relay.DisposeAsync();

    [Test, CancelAfter(10_000)]
    public async Task Publish_reaches_every_connection_on_the_channel_and_no_other(CancellationToken ct)
    {
        string news = TestData.NewId("news"), room = TestData.NewId("room");
        await using RawWebSocketClient a = await ConnectAsync("pa", ct, news);
        await using RawWebSocketClient b = await ConnectAsync("pb", ct, news, room, news);   // asked twice: on it once
        await using RawWebSocketClient c = await ConnectAsync("pc", ct);
        using ControlClient control = _relay.OpenControl();

        (await control.CommandAsync($"PUBLISH MESSAGE {news} n1", ct)).Should().Be("OK 2");
        (await control.CommandAsync($"PUBLISH MESSAGE {room} r1", ct)).Should().Be("OK 1");
        (await control.CommandAsync($"PUBLISH MESSAGE {TestData.NewId("nobody")} x", ct)).Should().Be("OK 0");
        (await control.CommandAsync("BROADCAST MESSAGE all", ct)).Should().StartWith("OK ");

        (await a.ReceiveTextAsync(ct).WithTimeout()).Should().Be("n1");
        (await a.ReceiveTextAsync(ct).WithTimeout()).Should().Be("all");
        (await b.ReceiveTextAsync(ct).WithTimeout()).Should().Be("n1", "once, though it asked twice");
        (await b.ReceiveTextAsync(ct).WithTimeout()).Should().Be("r1");
        (await b.ReceiveTextAsync(ct).WithTimeout()).Should().Be("all");
        (await c.ReceiveTextAsync(ct).WithTimeout()).Should().Be("all", "it is on no channel");
    }

    [Test, CancelAfter(10_000)]
    public async Task An_id_subscribed_before_it_connects_gets_the_channel_on_every_connection_and_after_a_reconnect(CancellationToken ct)
    {
        string id = TestData.NewId("early"), channel = TestData.NewId("ch");
        using ControlClient control = _relay.OpenControl();
        (await control.CommandAsync($"SUBSCRIBE {id} {channel}", ct)).Should().Be("OK 0", "no connection yet: it stands for later ones");

        await using (RawWebSocketClient first = await _relay.ConnectAsync(id, ct))
        {
            (await control.CommandAsync($"PUBLISH MESSAGE {channel} one", ct)).Should().Be("OK 1");
            (await first.ReceiveTextAsync(ct).WithTimeout()).Should().Be("one");
            await first.SendAsync(ClientFrames.Close(1000), ct);
            (await first.ReceiveCloseCodeAsync(ct).WithTimeout()).Should().Be(1000);
        }

        await TaskTimeouts.Eventually(async () => await control.CommandAsync($"PUBLISH MESSAGE {channel} nobody", ct) == "OK 0");
        await using RawWebSocketClient again = await _relay.ConnectAsync(id, ct);   // a page navigation
        await using RawWebSocketClient tab = await _relay.ConnectAsync(id, ct);
        (await control.CommandAsync($"PUBLISH MESSAGE {channel} two", ct)).Should().Be("OK 2");
        (await again.ReceiveTextAsync(ct).WithTimeout()).Should().Be("two");
        (await tab.ReceiveTextAsync(ct).WithTimeout()).Should().Be("two");
    }

    [Test, CancelAfter(10_000)]
    public async Task Subscribe_counts_the_connections_on_the_channel_and_unsubscribe_those_that_left_it(CancellationToken ct)
    {
        string id = TestData.NewId("sub"), channel = TestData.NewId("ch");
        await using RawWebSocketClient one = await _relay.ConnectAsync(id, ct);
        await using RawWebSocketClient two = await ConnectAsync(id, ct, channel);       // on it by its own request
        using ControlClient control = _relay.OpenControl();

        (await control.CommandAsync($"SUBSCRIBE {id} {channel}", ct)).Should().Be("OK 2");
        (await control.CommandAsync($"SUBSCRIBE {id} {channel}", ct)).Should().Be("OK 2", "subscribing again changes nothing");
        (await control.CommandAsync($"UNSUBSCRIBE {id} {channel}", ct)).Should().Be("OK 2", "also off the channel it asked for");
        (await control.CommandAsync($"UNSUBSCRIBE {id} {channel}", ct)).Should().Be("OK 0");
        (await control.CommandAsync($"PUBLISH MESSAGE {channel} gone", ct)).Should().Be("OK 0");
        (await control.CommandAsync($"UNSUBSCRIBE {TestData.NewId("never")} {channel}", ct)).Should().Be("OK 0");
    }

    [Test, CancelAfter(10_000)]
    public async Task Channels_of_an_id_and_the_lists_of_channels_and_of_a_channels_connections(CancellationToken ct)
    {
        string id = TestData.NewId("lists");
        string a = "zz-" + TestData.NewId("a"), b = "Aa-" + TestData.NewId("b"), c = "m." + TestData.NewId("c");
        using ControlClient control = _relay.OpenControl();
        (await control.CommandAsync($"SUBSCRIBE {id} {a}", ct)).Should().Be("OK 0");
        await using RawWebSocketClient first = await ConnectAsync(id, ct, b);
        string other = TestData.NewId("other");
        await using RawWebSocketClient second = await ConnectAsync(other, ct, b, c);

        (List<string> mine, string status) = await control.CommandWithDataAsync($"CHANNELS {id}", ct);
        status.Should().Be("OK 2");
        mine.Should().Equal($"channel {b}", $"channel {a}");        // byte order: upper case first

        (List<string> all, string listed) = await control.CommandWithDataAsync("LIST CHANNELS", ct);
        all.Should().ContainInOrder($"channel {b} 2", $"channel {c} 1", $"channel {a} 1");
        all.Should().BeInAscendingOrder(StringComparer.Ordinal);
        listed.Should().Be($"OK {all.Count}");

        (List<string> onB, string count) = await control.CommandWithDataAsync($"LIST WEBSOCKETS {b}", ct);
        count.Should().Be("OK 2");
        onB.Select(line => line.Split(' ')[0]).Should().Equal([id, other], "oldest first");
        (await control.CommandWithDataAsync($"LIST WEBSOCKETS {TestData.NewId("empty")}", ct)).Status.Should().Be("OK 0");
        (await control.CommandWithDataAsync($"CHANNELS {TestData.NewId("unknown")}", ct)).Status.Should().Be("OK 0");
    }

    [Test, CancelAfter(10_000)]
    public async Task An_id_has_at_most_max_channels_subscriptions(CancellationToken ct)
    {
        string id = TestData.NewId("many");
        using ControlClient control = _relay.OpenControl();
        for (int i = 0; i < 3; i++)
            (await control.CommandAsync($"SUBSCRIBE {id} c{i}", ct)).Should().Be("OK 0");

        (await control.CommandAsync($"SUBSCRIBE {id} c3", ct)).Should().Be("ERR too many channels");
        (await control.CommandAsync($"SUBSCRIBE {id} c1", ct)).Should().Be("OK 0", "one it has already is fine");
        (await control.CommandAsync($"UNSUBSCRIBE {id} c0", ct)).Should().Be("OK 0");
        (await control.CommandAsync($"SUBSCRIBE {id} c3", ct)).Should().Be("OK 0", "room again after an UNSUBSCRIBE");
    }

    [TestCase("PUBLISH MESSAGE bad/name x", "ERR usage: PUBLISH MESSAGE <channel> <message>")]
    [TestCase("SUBSCRIBE u1 bad:name", "ERR usage: SUBSCRIBE <id> <channel>")]
    [TestCase("UNSUBSCRIBE u1", "ERR usage: UNSUBSCRIBE <id> <channel>")]
    [TestCase("CHANNELS", "ERR usage: CHANNELS <id>")]
    [TestCase("LIST WEBSOCKETS bad!", "ERR usage: LIST WEBSOCKETS [<channel>] | LIST CHANNELS")]
    public async Task Bad_channel_commands_get_their_usage_and_the_connection_stays_usable(string line, string reply)
    {
        using ControlClient control = _relay.OpenControl();
        (await control.CommandAsync(line)).Should().Be(reply);
        (await control.CommandAsync("PUBLISH MESSAGE still-usable x")).Should().Be("OK 0");
    }

    [TestCase("&channel=bad/name")]
    [TestCase("&channel=")]
    [TestCase("&channel=a&channel=b&channel=c&channel=d")]   // 4 > --max-channels 3
    [TestCase("&channel=%ZZ")]
    public async Task A_bad_channel_request_at_connect_time_gets_400(string query)
    {
        HttpReply reply = await HttpReply.ExchangeAsync(_relay.Port,
            $"GET /websocket?id=bad-channels{query} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        reply.Status.Should().Be(400);
    }

    private Task<RawWebSocketClient> ConnectAsync(string id, CancellationToken ct, params string[] channels) =>
        RawWebSocketClient.ConnectAsync(_relay.Port, id, ct, query: string.Concat(channels.Select(c => "&channel=" + Uri.EscapeDataString(c))));
}
