using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Robustness;

/// <summary>
/// <c>--send-timeout</c>: a client whose queue is not draining (it reads nothing, or too little to catch up)
/// is cut off as slow once its queue has not been empty for that long, even though its queue never reached
/// <c>--send-queue</c>; a client that reads keeps its connection however long it is busy.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class SendTimeoutTests
{
    [Test, CancelAfter(30_000)]
    public async Task A_client_whose_queue_does_not_empty_for_the_send_timeout_is_cut_off(CancellationToken ct)
    {
        await using RelayFixture relay = RelayFixture.Start(o => o with { SendTimeout = 2, SendQueue = 64 * 1024 * 1024, LogLevel = RawRelay.Diagnostics.LogLevel.Info });
        await using RawWebSocketClient stalled = await RawWebSocketClient.ConnectAsync(relay.Port, "stalled", ct, receiveBufferSize: 4096);
        await using RawWebSocketClient reader = await relay.ConnectAsync("reader", ct);
        using ControlClient control = relay.OpenControl();
        string payload = new('x', 4000);

        // Enough to fill the kernel's buffers and leave a backlog far below --send-queue (64 MiB).
        string[] replies = await control.PipelineAsync(Enumerable.Repeat($"SEND MESSAGE stalled {payload}", 1500).ToArray(), ct);
        replies.Should().OnlyContain(r => r == "OK 1", "the queue stays under --send-queue");

        await TaskTimeouts.Eventually(() => Task.FromResult(relay.LogText.Contains("slow client stalled", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(10));
        relay.LogText.Should().MatchRegex(@"slow client stalled \S+: send queue not emptied for 2 s, cut off");
        (await control.CommandAsync("SEND MESSAGE stalled more", ct)).Should().Be("OK 0");
        (await control.CommandAsync("SEND MESSAGE reader still here", ct)).Should().Be("OK 1");
        (await reader.ReceiveTextAsync(ct).WithTimeout()).Should().Be("still here");
    }
}
