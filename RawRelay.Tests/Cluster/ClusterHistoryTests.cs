using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Cluster;

/// <summary>
/// History in a cluster (--history with --redis): positions come from the Lua script that publishes, so they
/// are the same on every relay, and a rawrelay.v1 client resumes on any relay with nothing missing or twice.
/// </summary>
[TestFixture, NonParallelizable]
public sealed class ClusterHistoryTests
{
    [Test, CancelAfter(60_000)]
    public async Task A_client_resumes_on_another_relay_with_no_gap_while_messages_keep_coming(CancellationToken ct)
    {
        await using RelayCluster cluster = await RelayCluster.StartAsync(2, ct, "--history", "1000");
        RelayProcess[] n = cluster.Relays;
        using ControlClient a = n[0].OpenControl();
        using ControlClient b = n[1].OpenControl();
        string seen;
        await using (RawWebSocketClient first = await V1Client.ConnectAsync(n[0].Port, "u1", ct, ["news"]))
        {
            (await b.CommandAsync("PUBLISH MESSAGE news m1", ct)).Should().Be("OK 1");
            (await b.CommandAsync("PUBLISH MESSAGE news m2", ct)).Should().Be("OK 1");
            V1Message m1 = await first.ReceiveAsync(ct), m2 = await first.ReceiveAsync(ct);
            (m1.Stream, m1.Offset, m1.Text, m2.Offset, m2.Text).Should().Be(("news", 1L, "m1", 2L, "m2"));
            seen = m2.Position;
            (await a.CommandAsync("POSITION news", ct)).Should().Be("OK " + seen, "positions are the same on every relay");
            (await b.CommandAsync("POSITION news", ct)).Should().Be("OK " + seen);
        }

        // Gone (a page navigation): what is published meanwhile is kept in Redis.
        await TaskTimeouts.Eventually(async () => (await a.CommandWithDataAsync("LIST WEBSOCKETS news", ct)).Status == "OK 0");
        for (int i = 3; i <= 20; i++)
            (await a.CommandAsync($"PUBLISH MESSAGE news m{i}", ct)).Should().Be("OK 0");

        // Back on the other relay while n1 goes on publishing: the replay, then the live ones, in order.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task<int> publishing = PublishUntilAsync(a, 21, stop.Token);
        await using RawWebSocketClient second = await V1Client.ConnectAsync(n[1].Port, "u1", ct, ["news"], [("news", seen)]);
        var offsets = new List<long>();
        var texts = new List<string>();
        while (offsets.Count < 100)
        {
            V1Message message = await second.ReceiveAsync(ct);
            message.IsReset.Should().BeFalse($"the gap can be filled from Redis (seen {seen}, got {message.Position}, after {string.Join(",", offsets)})");
            message.Epoch.Should().Be(seen.Split(':')[0]);
            offsets.Add(message.Offset);
            texts.Add(message.Text);
        }

        await stop.CancelAsync();
        await publishing;
        offsets.Should().Equal(Enumerable.Range(3, 100).Select(i => (long)i), "every message after m2 once, in order");
        texts.Take(18).Should().Equal(Enumerable.Range(3, 18).Select(i => $"m{i}"));
        texts.Count(t => t == "m20").Should().Be(1);
    }

    [Test, CancelAfter(60_000)]
    public async Task A_position_redis_lost_gets_a_reset_with_the_new_epoch(CancellationToken ct)
    {
        await using RelayCluster cluster = await RelayCluster.StartAsync(2, ct, "--history", "100");
        RelayProcess[] n = cluster.Relays;
        using ControlClient a = n[0].OpenControl();
        (await a.CommandAsync("PUBLISH MESSAGE news m1", ct)).Should().Be("OK 0");
        string before = (await a.CommandAsync("POSITION news", ct))[3..];
        before.Should().EndWith(":1");

        (await cluster.Redis.CliAsync("DEL", "rawrelay:pos:news", "rawrelay:kept:news")).Should().Be("2");
        string after = (await a.CommandAsync("POSITION news", ct))[3..];
        after.Split(':')[0].Should().NotBe(before.Split(':')[0], "the epoch changes when Redis loses a stream");
        after.Should().EndWith(":0");

        await using RawWebSocketClient client = await V1Client.ConnectAsync(n[1].Port, "u1", ct, ["news"], [("news", before)]);
        V1Message reset = await client.ReceiveAsync(ct);
        reset.IsReset.Should().BeTrue();
        reset.Position.Should().Be(after);
    }

    [Test, CancelAfter(60_000)]
    public async Task After_redis_restarts_empty_a_resume_on_the_relay_that_kept_a_copy_gets_a_reset(CancellationToken ct)
    {
        await using RelayCluster cluster = await RelayCluster.StartAsync(1, ct, "--history", "100");
        RelayProcess relay = cluster.Relays[0];
        using ControlClient control = relay.OpenControl();
        string seen;
        await using (RawWebSocketClient first = await V1Client.ConnectAsync(relay.Port, "u1", ct, ["news"]))
        {
            (await control.CommandAsync("PUBLISH MESSAGE news m1", ct)).Should().Be("OK 1");
            seen = (await first.ReceiveAsync(ct)).Position;
        }

        await cluster.Redis.KillAsync();
        await cluster.Redis.RestartAsync();
        await TaskTimeouts.Eventually(() => Task.FromResult(RelayCluster.UpLines(relay) == 2), TimeSpan.FromSeconds(20));
        await using RawWebSocketClient again = await V1Client.ConnectAsync(relay.Port, "u1", ct, ["news"], [("news", seen)]);
        V1Message reset = await again.ReceiveAsync(ct);
        reset.IsReset.Should().BeTrue("Redis lost the stream: its life in this relay's copy is over too");
        reset.Position.Should().NotStartWith(seen.Split(':')[0]).And.EndWith(":0");
        (await control.CommandAsync("POSITION news", ct)).Should().Be("OK " + reset.Position);
    }

    private static async Task<int> PublishUntilAsync(ControlClient control, int first, CancellationToken ct)
    {
        int next = first;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                (await control.CommandAsync($"PUBLISH MESSAGE news m{next}", ct)).Should().MatchRegex("^OK [01]$");
                next++;
            }
        }
        catch (OperationCanceledException)
        {
            // Enough published.
        }

        return next;
    }
}
