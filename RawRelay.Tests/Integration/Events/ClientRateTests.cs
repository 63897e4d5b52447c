using System.Text;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration.Events;

/// <summary>
/// SPEC, What browsers say reaches PHP: --client-rate R lets a connection send R messages a second on
/// average in bursts of max(1, R); control frames do not count, a fragmented message counts once; past it
/// the client is closed with 1008, and the message over the limit is not passed on.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class ClientRateTests
{
    private const int Rate = 5;
    private RelayFixture _relay = null!;

    [OneTimeSetUp]
    public void StartRelay() => _relay = RelayFixture.Start(o => o with { ClientRate = Rate, PingInterval = 0 });

    [OneTimeTearDown]
    public async Task StopRelay() => await _relay.DisposeAsync();

    [Test, CancelAfter(10_000)]
    public async Task A_burst_of_R_passes_and_the_next_message_closes_with_1008(CancellationToken ct)
    {
        using WatchClient watch = await WatchClient.StartAsync(_relay.ControlPath, ct);
        string id = TestData.NewId("burst");
        await using RawWebSocketClient client = await _relay.ConnectAsync(id, ct);
        var frames = new List<byte>();
        for (int i = 0; i < Rate; i++)
        {
            frames.AddRange(ClientFrames.Build(WsFrame.Ping, "not counted"u8));
            frames.AddRange(ClientFrames.Build(WsFrame.Text, "part "u8, fin: false));
            frames.AddRange(ClientFrames.Build(WsFrame.Continuation, Encoding.ASCII.GetBytes($"{i}")));     // counts once
        }

        frames.AddRange(ClientFrames.Text("one too many"));
        await client.SendAsync(frames.ToArray(), ct);

        WsFrame close = await ReceiveCloseAsync(client, ct);
        close.CloseCode.Should().Be(1008);
        List<WatchEvent> events = await watch.UntilAsync("CLOSE", e => e.Id == id, ct);
        events.Where(e => e.Kind == "MESSAGE").Select(e => e.Text).Should().Equal(Enumerable.Range(0, Rate).Select(i => $"part {i}"),
            "the message over the limit is not passed on");
        events[^1].Fields[2].Should().Be("1008");
        _relay.LogText.Should().Contain($"closed {id} 127.0.0.1:").And.Contain("reason=rate-limited code=1008");
    }

    [Test, CancelAfter(10_000)]
    public async Task The_allowance_refills_at_the_rate(CancellationToken ct)
    {
        using WatchClient watch = await WatchClient.StartAsync(_relay.ControlPath, ct);
        string id = TestData.NewId("steady");
        await using RawWebSocketClient client = await _relay.ConnectAsync(id, ct);
        for (int i = 0; i < Rate; i++)
            await client.SendTextAsync($"burst {i}", ct);
        await watch.UntilAsync("MESSAGE", e => e.Id == id && e.Text == $"burst {Rate - 1}", ct);

        // Spent: one message more is allowed each 1/R s. Each comes after its own refill, so none is refused
        // (the wait is what is under test here: time refills the allowance).
        for (int i = 0; i < 3; i++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1.2 / Rate), ct);
            await client.SendTextAsync($"steady {i}", ct);
            (await watch.UntilAsync("MESSAGE", e => e.Id == id, ct))[^1].Text.Should().Be($"steady {i}");
        }

        (await _relay.Control.CommandAsync($"SEND MESSAGE {id} open", ct)).Should().Be("OK 1", "it was never over the rate");
    }

    private static async Task<WsFrame> ReceiveCloseAsync(RawWebSocketClient client, CancellationToken ct)
    {
        while (true)
        {
            WsFrame frame = await client.ReceiveFrameAsync(ct).WithTimeout();
            if (frame.Opcode == WsFrame.Close)
                return frame;
        }
    }
}
