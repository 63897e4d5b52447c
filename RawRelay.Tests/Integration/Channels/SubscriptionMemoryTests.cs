using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration.Channels;

/// <summary>
/// What subscriptions cost (issue 12's target: at most 100 bytes each): 100,000 subscriptions of ids
/// without connections, and subscriptions of connected ids, measured on the managed heap of a relay in
/// this process.
/// </summary>
[TestFixture, NonParallelizable]
public sealed class SubscriptionMemoryTests
{
    [Test, CancelAfter(120_000)]
    public async Task One_hundred_thousand_subscriptions_cost_under_100_bytes_each(CancellationToken ct)
    {
        await using RelayFixture relay = RelayFixture.Start(o => o with { LogLevel = RawRelay.Diagnostics.LogLevel.Warn });
        using ControlClient control = relay.OpenControl();
        await SubscribeAsync(control, 1000, 100, "warmup", "OK 0", ct);   // the code paths and buffers of 100,000 commands, once
        long before = ManagedBytes();

        await SubscribeAsync(control, 1000, 100, "u", "OK 0", ct);
        long after = ManagedBytes();

        (List<string> stats, _) = await control.CommandWithDataAsync("STATS", ct);
        stats.Should().Contain("subscriptions 200000");
        double each = (after - before) / 100_000.0;
        TestContext.Out.WriteLine($"100,000 subscriptions of 1,000 ids: {each:0.0} bytes each (managed heap)");
        each.Should().BeLessThan(100);
    }

    [Test, CancelAfter(120_000)]
    public async Task Subscriptions_of_connected_ids_cost_under_100_bytes_each(CancellationToken ct)
    {
        const int Ids = 300, Channels = 60;     // twice 60 stays within --max-channels 128
        await using RelayFixture relay = RelayFixture.Start(o => o with { LogLevel = RawRelay.Diagnostics.LogLevel.Warn });
        RawWebSocketClient[] pages = await ClientSwarm.ConnectAsync(relay.Port, Ids, i => $"p{i}", ct);
        try
        {
            using ControlClient control = relay.OpenControl();
            await SubscribeAsync(control, Ids, Channels, "p", "OK 1", ct, "warm");   // the code paths and buffers, once
            long before = ManagedBytes();
            await SubscribeAsync(control, Ids, Channels, "p", "OK 1", ct);
            long after = ManagedBytes();

            double each = (after - before) / (double)(Ids * Channels);
            TestContext.Out.WriteLine($"{Ids * Channels} subscriptions of connected ids: {each:0.0} bytes each (managed heap)");
            each.Should().BeLessThan(100);
            (await control.CommandAsync("PUBLISH MESSAGE ch7 x", ct)).Should().Be($"OK {Ids}");
        }
        finally
        {
            await ClientSwarm.DisposeAllAsync(pages);
        }
    }

    /// <summary>Subscribes ids <c>prefix0..</c> to channels <c>ch0..</c>; the test's own strings are garbage once it returns.</summary>
    private static async Task SubscribeAsync(ControlClient control, int ids, int channels, string prefix, string reply, CancellationToken ct,
        string channelPrefix = "ch")
    {
        string[] lines = Enumerable.Range(0, ids).SelectMany(id => Enumerable.Range(0, channels).Select(c => $"SUBSCRIBE {prefix}{id} {channelPrefix}{c}")).ToArray();
        string[] replies = await control.PipelineAsync(lines, ct);
        replies.Should().OnlyContain(r => r == reply);
    }

    private static long ManagedBytes()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
