using System.Diagnostics;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration.Events;

/// <summary>
/// SPEC, What browsers say reaches PHP, under load: browsers sending 10,000 messages a second in all reach a
/// WATCH connection each exactly once, in each connection's order, and the count matches the relay's own.
/// Checks correctness under that rate, not speed (the benchmark measures that).
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class WatchLoadTests
{
    private RelayFixture _relay = null!;

    [OneTimeSetUp]
    public void StartRelay() => _relay = RelayFixture.Start(o => o with { LogLevel = Diagnostics.LogLevel.Warn });

    [OneTimeTearDown]
    public async Task StopRelay() => await _relay.DisposeAsync();

    [Test, CancelAfter(60_000)]
    public async Task Ten_thousand_messages_a_second_from_browsers_reach_the_watcher_each_once_in_order(CancellationToken ct)
    {
        int clients = LoadSize.Scaled(20, 1000), perClient = LoadSize.Scaled(1000);
        const int PerTick = 6;                  // every 10 ms: 600 a second per client, 12,000 in all for 20
        using WatchClient watch = await WatchClient.StartAsync(_relay.ControlPath, ct);
        string prefix = TestData.NewId("load")[..12];
        RawWebSocketClient[] browsers = await ClientSwarm.ConnectAsync(_relay.Port, clients, i => $"{prefix}-{i}", ct);
        try
        {
            var received = new Dictionary<string, int>();       // id -> messages seen
            int total = 0;
            Task reading = Task.Run(async () =>
            {
                while (total < clients * perClient)
                {
                    WatchEvent next = await watch.ExpectAsync(ct);
                    if (next.Kind != "MESSAGE")
                        continue;
                    int seen = received.GetValueOrDefault(next.Id);
                    next.Text.Should().Be($"{next.Id} {seen}", "each connection's messages in order, none lost or doubled");
                    received[next.Id] = seen + 1;
                    total++;
                }
            }, ct);

            var clock = Stopwatch.StartNew();
            await Task.WhenAll(browsers.Select((browser, index) => SendPacedAsync(browser, $"{prefix}-{index}", perClient, PerTick, ct)));
            double seconds = clock.Elapsed.TotalSeconds;
            await reading.WithTimeout(TimeSpan.FromSeconds(30));
            TestContext.Progress.WriteLine($"WATCH under load: {total} messages from {clients} browsers in {seconds:0.00} s ({total / seconds:0} a second)");
            received.Values.Should().AllSatisfy(count => count.Should().Be(perClient));
        }
        finally
        {
            await ClientSwarm.DisposeAllAsync(browsers);
        }
    }

    /// <summary>Sends <paramref name="count"/> messages "id n", <paramref name="perTick"/> every 10 ms.</summary>
    private static async Task SendPacedAsync(RawWebSocketClient browser, string id, int count, int perTick, CancellationToken ct)
    {
        using var ticks = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        for (int sent = 0; sent < count; await ticks.WaitForNextTickAsync(ct))
        {
            var batch = new List<byte>();
            for (int i = 0; i < perTick && sent < count; i++, sent++)
                batch.AddRange(ClientFrames.Text($"{id} {sent}"));
            await browser.SendAsync(batch.ToArray(), ct);
        }
    }
}
