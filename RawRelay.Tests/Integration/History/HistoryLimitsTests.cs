using System.Globalization;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration.History;

/// <summary>
/// What history keeps and for how long: <c>--history-memory</c> evicts the oldest messages of all streams,
/// <c>--history-ttl</c> lets messages go after that long, and with history off a client that missed
/// anything gets a reset. In each case a resume that can no longer be filled gets <c>!reset</c>, not a part.
/// A replay does not count toward <c>--send-queue</c>.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class HistoryLimitsTests
{
    [Test, CancelAfter(20_000)]
    public async Task Messages_evicted_by_the_memory_bound_are_gone_and_a_resume_behind_them_gets_a_reset(CancellationToken ct)
    {
        await using RelayFixture relay = RelayFixture.Start(o => o with { History = 100, HistoryMemory = 8 * 1024 });
        using ControlClient control = relay.OpenControl();
        string old = TestData.NewId("old"), busy = TestData.NewId("busy");
        string start = await PositionAsync(control, old);
        await PositionAsync(control, busy);   // both streams exist (POSITION keeps them), with nobody on them
        await control.PipelineAsync(["PUBLISH MESSAGE " + old + " first"], ct);
        // Other streams' messages push the oldest out: 8 KiB hold a few dozen small entries.
        await control.PipelineAsync(Enumerable.Range(0, 200).Select(i => $"PUBLISH MESSAGE {busy} {new string('b', 100)}").ToArray(), ct);

        (List<string> stats, _) = await control.CommandWithDataAsync("STATS", ct);
        long bytes = Stat(stats, "history_bytes"), messages = Stat(stats, "history_messages");
        bytes.Should().BeLessThanOrEqualTo(8 * 1024, "all streams together stay within --history-memory");
        messages.Should().BeGreaterThan(0).And.BeLessThan(200);

        await using RawWebSocketClient page = await V1Client.ConnectAsync(relay.Port, TestData.NewId("p"), ct, [old], [(old, start)]);
        V1Message got = await page.ReceiveAsync(ct);
        got.IsReset.Should().BeTrue($"the message after that position was evicted (since {start}, got {got.Stream} {got.Position} '{got.Text}'; {bytes} bytes, {messages} messages kept)");
    }

    [Test, CancelAfter(20_000)]
    public async Task Messages_older_than_the_ttl_are_let_go(CancellationToken ct)
    {
        await using RelayFixture relay = RelayFixture.Start(o => o with { History = 100, HistoryTtl = 1 });
        using ControlClient control = relay.OpenControl();
        string channel = TestData.NewId("ttl");
        string start = await PositionAsync(control, channel);
        await control.PipelineAsync([$"PUBLISH MESSAGE {channel} soon gone"], ct);
        (Stat((await control.CommandWithDataAsync("STATS", ct)).Data, "history_messages")).Should().Be(1);

        await TaskTimeouts.Eventually(async () => Stat((await control.CommandWithDataAsync("STATS", ct)).Data, "history_messages") == 0,
            TimeSpan.FromSeconds(10));

        await using RawWebSocketClient page = await V1Client.ConnectAsync(relay.Port, TestData.NewId("p"), ct, [channel], [(channel, start)]);
        V1Message first = await page.ReceiveAsync(ct);
        first.IsReset.Should().BeTrue("the message is past --history-ttl");
    }

    [Test, CancelAfter(20_000)]
    public async Task With_history_off_a_client_that_missed_a_message_gets_a_reset_and_one_that_missed_none_gets_nothing(CancellationToken ct)
    {
        await using RelayFixture relay = RelayFixture.Start();
        using ControlClient control = relay.OpenControl();
        string channel = TestData.NewId("off");
        await using RawWebSocketClient watcher = await V1Client.ConnectAsync(relay.Port, TestData.NewId("w"), ct, [channel]);
        await control.PipelineAsync([$"PUBLISH MESSAGE {channel} one"], ct);
        string seen = (await watcher.ReceiveAsync(ct)).Position;
        string behind = seen.Split(':')[0] + ":0";

        await using RawWebSocketClient upToDate = await V1Client.ConnectAsync(relay.Port, TestData.NewId("u"), ct, [channel], [(channel, seen)]);
        await using RawWebSocketClient missed = await V1Client.ConnectAsync(relay.Port, TestData.NewId("m"), ct, [channel], [(channel, behind)]);
        await control.PipelineAsync([$"PUBLISH MESSAGE {channel} two"], ct);

        (await upToDate.ReceiveAsync(ct)).Text.Should().Be("two", "nothing was missed: no replay, no reset");
        (await missed.ReceiveAsync(ct)).IsReset.Should().BeTrue("history is off: the gap cannot be filled");
        (await missed.ReceiveAsync(ct)).Text.Should().Be("two");
    }

    [Test, CancelAfter(20_000)]
    public async Task A_replay_larger_than_the_send_queue_is_delivered_whole(CancellationToken ct)
    {
        const int Messages = 50, Size = 4000;   // 200 kB replayed against a --send-queue of 16 KiB
        await using RelayFixture relay = RelayFixture.Start(o => o with { History = Messages, SendQueue = 16 * 1024 });
        using ControlClient control = relay.OpenControl();
        string channel = TestData.NewId("big");
        string start = await PositionAsync(control, channel);
        await control.PipelineAsync(Enumerable.Range(0, Messages).Select(i => $"PUBLISH MESSAGE {channel} {i:D4}{new string('x', Size)}").ToArray(), ct);

        await using RawWebSocketClient page = await V1Client.ConnectAsync(relay.Port, TestData.NewId("p"), ct, [channel], [(channel, start)]);
        for (int i = 0; i < Messages; i++)
            (await page.ReceiveAsync(ct)).Text[..4].Should().Be(i.ToString("D4", CultureInfo.InvariantCulture));
        await control.PipelineAsync([$"PUBLISH MESSAGE {channel} live"], ct);
        (await page.ReceiveAsync(ct)).Text.Should().Be("live", "the replay did not make the client look slow");
    }

    private static async Task<string> PositionAsync(ControlClient control, string stream) =>
        (await control.CommandAsync($"POSITION {stream}"))["OK ".Length..];

    private static long Stat(List<string> stats, string name) =>
        long.Parse(stats.Single(s => s.StartsWith(name + " ", StringComparison.Ordinal))[(name.Length + 1)..], CultureInfo.InvariantCulture);
}
