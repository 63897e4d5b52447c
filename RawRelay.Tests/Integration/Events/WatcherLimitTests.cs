using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration.Events;

/// <summary>
/// SPEC, What browsers say reaches PHP: a watcher that falls more than --send-queue bytes behind is cut off;
/// it never slows the relay: the browsers' messages and the other watchers' events go on.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class WatcherLimitTests
{
    private const int SendQueue = 256 * 1024;
    private RelayFixture _relay = null!;

    [OneTimeSetUp]
    public void StartRelay() => _relay = RelayFixture.Start(o => o with { SendQueue = SendQueue, LogLevel = Diagnostics.LogLevel.Info });

    [OneTimeTearDown]
    public async Task StopRelay() => await _relay.DisposeAsync();

    [Test, CancelAfter(20_000)]
    public async Task A_watcher_that_does_not_read_is_cut_off_and_the_others_get_everything(CancellationToken ct)
    {
        using WatchClient stalled = await WatchClient.StartAsync(_relay.ControlPath, ct);
        using WatchClient reading = await WatchClient.StartAsync(_relay.ControlPath, ct);
        string id = TestData.NewId("flood");
        await using RawWebSocketClient client = await _relay.ConnectAsync(id, ct);
        const int Messages = 400;   // 6.4 MB: far more than the limit and the kernel's buffers hold
        byte[] payload = new byte[16 * 1024];
        Random.Shared.NextBytes(payload);

        // The reading watcher keeps up (each message is sent once it saw the one before); the stalled one never reads.
        for (int i = 0; i < Messages; i++)
        {
            BitConverter.TryWriteBytes(payload, i);
            await client.SendAsync(ClientFrames.Build(WsFrame.Binary, payload), ct);
            WatchEvent message = (await reading.UntilAsync("MESSAGE", e => e.Id == id, ct))[^1];
            BitConverter.ToInt32(message.Payload).Should().Be(i, "every message, in order");
            message.Payload.Should().Equal(payload);
        }

        // The stalled watcher reads what was written before it was cut off, then the end of the stream.
        var seen = new List<WatchEvent>();
        while (await stalled.NextAsync(ct).WithTimeout() is { } next)
            seen.Add(next);
        seen.Count(e => e.Kind == "MESSAGE").Should().BeLessThan(Messages, "it was cut off before the end");
        await TaskTimeouts.Eventually(() => Task.FromResult(_relay.LogText.Contains($"watcher cut off: more than {SendQueue} bytes of events behind")));

        await client.SendTextAsync("after", ct);
        (await reading.UntilAsync("MESSAGE", e => e.Id == id, ct))[^1].Text.Should().Be("after");
    }
}
