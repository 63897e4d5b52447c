using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration.History;

/// <summary>
/// Resume (SPEC, Nothing lost between pages): a v1 client that comes back with <c>since=</c> first gets every
/// message it missed, in order, then the live ones; when the gap cannot be filled the first frame for that
/// stream is <c>!reset &lt;stream&gt; &lt;position&gt;</c>, never part of the gap; nothing when nothing was missed;
/// a since for a stream it is not on reveals nothing.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class ResumeTests
{
    private const int Kept = 5;
    private RelayFixture _relay = null!;

    [OneTimeSetUp]
    public void StartRelay() => _relay = RelayFixture.Start(o => o with { History = Kept });

    [OneTimeTearDown]
    public async Task StopRelay() => await _relay.DisposeAsync();

    [Test, CancelAfter(15_000)]
    public async Task A_client_that_comes_back_gets_what_it_missed_then_the_live_messages(CancellationToken ct)
    {
        string channel = TestData.NewId("news");
        using ControlClient control = _relay.OpenControl();
        string seen;
        await using (RawWebSocketClient first = await V1Client.ConnectAsync(_relay.Port, "reader", ct, [channel]))
        {
            await PublishAsync(control, channel, "a", "b");
            await first.ReceiveAsync(ct);
            seen = (await first.ReceiveAsync(ct)).Position;
        }

        await TaskTimeouts.Eventually(async () => (await control.CommandWithDataAsync($"LIST WEBSOCKETS {channel}")).Status == "OK 0");
        await PublishAsync(control, channel, "c", "d", "e");

        await using RawWebSocketClient again = await V1Client.ConnectAsync(_relay.Port, "reader", ct, [channel], [(channel, seen)]);
        await PublishAsync(control, channel, "f");
        var got = new List<V1Message>();
        for (int i = 0; i < 4; i++)
            got.Add(await again.ReceiveAsync(ct));

        got.Select(m => m.Text).Should().Equal("c", "d", "e", "f");
        got.Select(m => m.Offset).Should().Equal(3, 4, 5, 6);
        got.Should().OnlyContain(m => m.Stream == channel && m.Epoch == seen.Split(':')[0]);
    }

    [Test, CancelAfter(15_000)]
    public async Task A_page_that_leaves_a_stream_before_any_message_and_comes_back_gets_what_was_published_meanwhile(CancellationToken ct)
    {
        // A page navigation: the stream's only member leaves before anything was published on it. With history
        // on the stream keeps its epoch for the ttl, so what comes meanwhile is kept, and the next page resumes.
        string channel = TestData.NewId("nav");
        using ControlClient control = _relay.OpenControl();
        string position;
        await using (RawWebSocketClient first = await V1Client.ConnectAsync(_relay.Port, TestData.NewId("page"), ct, [channel]))
            position = (await control.CommandAsync($"POSITION {channel}", ct))["OK ".Length..];
        await TaskTimeouts.Eventually(async () => (await control.CommandWithDataAsync($"LIST WEBSOCKETS {channel}")).Status == "OK 0");
        await PublishAsync(control, channel, "while away");

        await using RawWebSocketClient next = await V1Client.ConnectAsync(_relay.Port, TestData.NewId("page"), ct, [channel], [(channel, position)]);
        V1Message message = await next.ReceiveAsync(ct);
        (message.IsReset, message.Text, message.Position).Should().Be((false, "while away", position.Split(':')[0] + ":1"));
    }

    [Test, CancelAfter(10_000)]
    public async Task Nothing_is_sent_when_nothing_was_missed(CancellationToken ct)
    {
        string channel = TestData.NewId("quiet");
        using ControlClient control = _relay.OpenControl();
        await PublishAsync(control, channel);
        string position = (await control.CommandAsync($"POSITION {channel}", ct))["OK ".Length..];

        await using RawWebSocketClient page = await V1Client.ConnectAsync(_relay.Port, TestData.NewId("p"), ct, [channel], [(channel, position)]);
        (await control.CommandAsync($"SEND MESSAGE {TestData.NewId("nobody")} x", ct)).Should().Be("OK 0");
        await PublishAsync(control, channel, "live");

        V1Message message = await page.ReceiveAsync(ct);
        (message.Text, message.IsReset).Should().Be(("live", false), "no replay and no reset came before the live message");
    }

    private static IEnumerable<TestCaseData> Gaps()
    {
        yield return new TestCaseData("other-epoch").SetName("Another_epoch_gets_a_reset");
        yield return new TestCaseData("ahead").SetName("A_position_ahead_of_the_stream_gets_a_reset");
        yield return new TestCaseData("too-old").SetName("A_position_older_than_what_is_kept_gets_a_reset_not_a_partial_replay");
    }

    [TestCaseSource(nameof(Gaps)), CancelAfter(10_000)]
    public async Task A_gap_that_cannot_be_filled_gets_a_reset_with_the_current_position(string gap, CancellationToken ct)
    {
        string channel = TestData.NewId("gap");
        using ControlClient control = _relay.OpenControl();
        string start = (await control.CommandAsync($"POSITION {channel}", ct))["OK ".Length..];
        string epoch = start.Split(':')[0];
        await PublishAsync(control, channel, Enumerable.Range(1, Kept + 3).Select(i => $"m{i}").ToArray());
        string since = gap switch
        {
            "other-epoch" => "zz999:2",
            "ahead" => $"{epoch}:{Kept + 10}",
            _ => $"{epoch}:1",                  // 2 .. 8 missed, only 4 .. 8 kept
        };

        await using RawWebSocketClient page = await V1Client.ConnectAsync(_relay.Port, TestData.NewId("p"), ct, [channel], [(channel, since)]);
        await PublishAsync(control, channel, "live");

        V1Message reset = await page.ReceiveAsync(ct);
        reset.IsReset.Should().BeTrue($"the first frame for the stream says the gap since {since} cannot be filled");
        (reset.Stream, reset.Epoch, reset.Offset).Should().Be((channel, epoch, (long)Kept + 3));
        V1Message live = await page.ReceiveAsync(ct);
        (live.Text, live.Offset).Should().Be(("live", (long)Kept + 4), "no part of the gap was replayed");
    }

    [Test, CancelAfter(10_000)]
    public async Task A_since_for_a_stream_the_connection_is_not_on_is_ignored(CancellationToken ct)
    {
        string secret = TestData.NewId("secret"), mine = TestData.NewId("mine");
        using ControlClient control = _relay.OpenControl();
        string start = (await control.CommandAsync($"POSITION {secret}", ct))["OK ".Length..];
        await PublishAsync(control, secret, "private 1", "private 2");

        await using RawWebSocketClient page = await V1Client.ConnectAsync(_relay.Port, TestData.NewId("p"), ct, [mine],
            [(secret, start), ("#someone-else", "zz1:0")]);
        await PublishAsync(control, mine, "mine");

        V1Message message = await page.ReceiveAsync(ct);
        (message.Stream, message.Text).Should().Be((mine, "mine"), "nothing of a stream it is not on, not even a reset");
    }

    [TestCase("&since=news")]
    [TestCase("&since=news%20abc")]
    [TestCase("&since=news%20abc:-1")]
    [TestCase("&since=bad/name%20abc:1")]
    [TestCase("&since=news%20" + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:1")]   // an epoch of 33 characters
    [TestCase("&since=%23%20abc:1")]                                        // '#' and no id
    public async Task A_malformed_since_gets_400_with_v1_and_is_ignored_without(string query)
    {
        HttpReply reply = await HttpReply.ExchangeAsync(_relay.Port,
            $"GET /websocket?id=s{query} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{V1Client.Offer}\r\n");
        reply.Status.Should().Be(400);
        await using RawWebSocketClient plain = await RawWebSocketClient.ConnectAsync(_relay.Port, "s", query: query);   // 101: ignored without v1
    }

    [Test, CancelAfter(10_000)]
    public async Task The_space_of_since_may_be_written_as_a_plus(CancellationToken ct)
    {
        string channel = TestData.NewId("plus");
        using ControlClient control = _relay.OpenControl();
        string start = (await control.CommandAsync($"POSITION {channel}", ct))["OK ".Length..];
        await PublishAsync(control, channel, "missed");
        await using RawWebSocketClient page = await RawWebSocketClient.ConnectAsync(_relay.Port, TestData.NewId("p"), ct,
            extraHeaders: V1Client.Offer, query: $"&channel={channel}&since={channel}+{start}");
        (await page.ReceiveAsync(ct)).Text.Should().Be("missed");
    }

    private static async Task PublishAsync(ControlClient control, string channel, params string[] messages)
    {
        foreach (string message in messages)
            (await control.CommandAsync($"PUBLISH MESSAGE {channel} {message}")).Should().StartWith("OK ");
    }
}
