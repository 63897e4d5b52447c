using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration.Events;

/// <summary>
/// README, Limits: while someone takes events, a client's message is kept whole as it comes in; beyond 64 KiB
/// each, such messages share a budget of 64 MiB (or four of --max-message, if more). A client whose message
/// would take it past the budget is closed with 1013; the others, and their events, go on.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class KeptMessageBudgetTests
{
    private const int MaxMessage = 8 * 1024 * 1024;     // the budget is then 64 MiB: eight of these, nearly whole
    private RelayFixture _relay = null!;

    [OneTimeSetUp]
    public void StartRelay() => _relay = RelayFixture.Start(o => o with { MaxMessage = MaxMessage, PingInterval = 0, LogLevel = Diagnostics.LogLevel.Info });

    [OneTimeTearDown]
    public async Task StopRelay() => await _relay.DisposeAsync();

    [Test, CancelAfter(30_000)]
    public async Task Unfinished_messages_past_the_shared_budget_close_the_client_that_would_pass_it(CancellationToken ct)
    {
        using WatchClient watch = await WatchClient.StartAsync(_relay.ControlPath, ct);
        string prefix = TestData.NewId("big")[..12];
        const int Partial = 7 * 1024 * 1024;    // held as an 8 MiB buffer each: 8 of them fill 64 MiB
        byte[] payload = new byte[MaxMessage];
        Random.Shared.NextBytes(payload);
        byte[] frame = ClientFrames.Build(WsFrame.Binary, payload);
        int header = frame.Length - payload.Length;

        var clients = new List<RawWebSocketClient>();
        try
        {
            for (int i = 0; i < 8; i++)
            {
                RawWebSocketClient client = await _relay.ConnectAsync($"{prefix}-{i}", ct);
                clients.Add(client);
                await client.SendAsync(frame.AsMemory(0, header + Partial), ct);
                long sent = (i + 1L) * (header + Partial);
                await TaskTimeouts.Eventually(async () => await BytesInAsync(ct) >= sent);     // the relay holds it now
            }

            // The ninth's buffer would take the budget past 64 MiB: it is refused with 1013 as its bytes come.
            await using RawWebSocketClient over = await _relay.ConnectAsync($"{prefix}-over", ct);
            Task sending = over.SendAsync(frame.AsMemory(0, header + Partial), ct);
            WsFrame close = await over.ReceiveFrameAsync(ct).WithTimeout();
            close.CloseCode.Should().Be(1013);
            await watch.UntilAsync("CLOSE", e => e.Id == $"{prefix}-over", ct);
            _relay.LogText.Should().Contain($"closed {prefix}-over").And.Contain("reason=busy code=1013");
            await Task.WhenAny(sending, Task.Delay(TimeSpan.FromSeconds(5), ct));

            // The first finishes its message: its event comes whole, and its buffer goes back to the budget.
            await clients[0].SendAsync(frame.AsMemory(header + Partial), ct);
            WatchEvent message = (await watch.UntilAsync("MESSAGE", e => e.Id == $"{prefix}-0", ct))[^1];
            message.Payload.Should().Equal(payload);
            await using RawWebSocketClient next = await _relay.ConnectAsync($"{prefix}-next", ct);
            await next.SendAsync(frame, ct);
            (await watch.UntilAsync("MESSAGE", e => e.Id == $"{prefix}-next", ct))[^1].Payload.Length.Should().Be(MaxMessage);
        }
        finally
        {
            await ClientSwarm.DisposeAllAsync(clients);
        }
    }

    private async Task<long> BytesInAsync(CancellationToken ct)
    {
        (List<string> data, _) = await _relay.Control.CommandWithDataAsync("STATS", ct);
        return long.Parse(data.Single(l => l.StartsWith("bytes_in ")).Split(' ')[1]);
    }
}
