using System.Globalization;
using System.Net.Sockets;
using System.Text;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Robustness;

/// <summary>
/// What slow clients can make the relay hold is bounded by what it counts (README, Limits): a queue counts
/// the memory it keeps alive, not only its frames' bytes. Each case is an attack that pinned far more
/// before: frames that kept their shared 64 KiB chunks alive, pongs that cost 40 bytes of objects for 2
/// counted, queues that together had no bound. Measured on the relay process's resident memory.
/// </summary>
[TestFixture, NonParallelizable]
public sealed class QueueMemoryTests
{
    private const int StalledReceiveBuffer = 4096;
    private const int Mib = 1024 * 1024;

    [Test, CancelAfter(120_000)]
    public async Task Frames_sent_among_many_others_do_not_keep_their_shared_chunks_alive_in_a_slow_queue(CancellationToken ct)
    {
        // Each SEND to a slow client is followed by 15 SENDs of the same size to readers, so each of its
        // frames sits in a 64 KiB chunk of its own; its 1 MiB queue once kept 256 such chunks (16 MiB) alive.
        const int Slow = 8, Readers = 15, Payload = 4000;
        await using RelayProcess relay = await RelayProcess.StartOnLoopbackAsync([], ct);
        RawWebSocketClient[] slow = await ClientSwarm.OpenAsync(Slow, (i, token) =>
            RawWebSocketClient.ConnectAsync(relay.Port, $"slow-{i}", token, receiveBufferSize: StalledReceiveBuffer), ct);
        RawWebSocketClient[] readers = await ClientSwarm.ConnectAsync(relay.Port, Readers, i => $"reader-{i}", ct);
        try
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            Task[] reading = readers.Select(r => DiscardUntilStoppedAsync(r, stop.Token)).ToArray();
            using ControlClient control = relay.OpenControl();
            string payload = new('x', Payload);
            long before = relay.ResidentBytes;

            long peak = await relay.PeakResidentBytesDuringAsync(Task.Run(async () =>
            {
                for (int round = 0; !await AllCutOffAsync(control, Slow, ct); round++)
                {
                    round.Should().BeLessThan(400, "every slow client is cut off at its --send-queue");
                    var lines = new List<string>();
                    for (int k = 0; k < 100; k++)
                    {
                        lines.Add($"SEND MESSAGE slow-{k % Slow} {payload}");
                        for (int j = 0; j < Readers; j++)
                            lines.Add($"SEND MESSAGE reader-{j} {payload}");
                    }

                    await control.PipelineAsync(lines, ct);
                }
            }, ct));

            await stop.CancelAsync();
            await Task.WhenAll(reading);
            TestContext.Out.WriteLine($"relay RSS {before >> 20} MiB before, peak {peak >> 20} MiB");
            (peak - before).Should().BeLessThan(56L * Mib,
                $"{Slow} slow queues of 1 MiB each keep about 1 MiB each alive (RSS {before >> 20} -> {peak >> 20} MiB)");
        }
        finally
        {
            await ClientSwarm.DisposeAllAsync([.. slow, .. readers]);
        }
    }

    [Test, CancelAfter(120_000)]
    public async Task A_new_control_connection_per_SEND_to_a_slow_client_keeps_little_alive(CancellationToken ct)
    {
        // The ordinary PHP pattern: connect, SEND, close. Each control connection once had an arena of its
        // own, so each SEND kept a whole 64 KiB chunk alive in the slow client's queue.
        const int Sends = 30_000;
        await using RelayProcess relay = await RelayProcess.StartOnLoopbackAsync([], ct);
        await using RawWebSocketClient slow = await RawWebSocketClient.ConnectAsync(relay.Port, "slow", ct,
            receiveBufferSize: StalledReceiveBuffer);
        string line = "SEND MESSAGE slow " + new string('m', 50) + "\n";
        Task<string?[]> SendEachOnItsOwnConnection(int count) => ClientSwarm.OpenAsync(count, async (_, token) =>
        {
            using ControlClient control = relay.OpenControl();
            await control.WriteAsync(line, token);
            return await control.ReadLineAsync(token);
        }, ct);
        await SendEachOnItsOwnConnection(500);    // the code paths are compiled (under the JIT) before the measurement
        long before = relay.ResidentBytes;

        long peak = await relay.PeakResidentBytesDuringAsync(SendEachOnItsOwnConnection(Sends));

        TestContext.Out.WriteLine($"relay RSS {before >> 20} MiB before, peak {peak >> 20} MiB");
        (peak - before).Should().BeLessThan(100L * Mib, $"one slow queue of 1 MiB, and the garbage of 30,000 control connections (RSS {before >> 20} -> {peak >> 20} MiB)");
    }

    [Test, CancelAfter(120_000)]
    public async Task A_client_that_sends_pings_and_never_reads_is_cut_off_before_its_pongs_cost_much(CancellationToken ct)
    {
        // Each pong once cost its own array and a slot in the queue's ring, about 20 times the 2 bytes counted.
        await using RelayProcess relay = await RelayProcess.StartOnLoopbackAsync([], ct);
        await using RawWebSocketClient pinger = await RawWebSocketClient.ConnectAsync(relay.Port, "pinger", ct,
            receiveBufferSize: StalledReceiveBuffer);
        byte[] burst = Enumerable.Repeat(ClientFrames.Build(WsFrame.Ping, []), 10_000).SelectMany(f => f).ToArray();
        long before = relay.ResidentBytes;

        long peak = await relay.PeakResidentBytesDuringAsync(Task.Run(async () =>
        {
            for (int sent = 0; ; sent++)
            {
                sent.Should().BeLessThan(1000, "a client whose pongs fill its queue is cut off");
                try
                {
                    await pinger.SendAsync(burst, ct).WithTimeout(TimeSpan.FromSeconds(20));
                }
                catch (SocketException)
                {
                    return;                     // cut off: the relay closed the connection
                }

                if (relay.Output.Contains("slow client pinger", StringComparison.Ordinal))
                    return;
            }
        }, ct));

        await TaskTimeouts.Eventually(() => Task.FromResult(relay.Output.Contains("closed pinger", StringComparison.Ordinal)));
        relay.Output.Should().Contain("slow client pinger");
        TestContext.Out.WriteLine($"relay RSS {before >> 20} MiB before, peak {peak >> 20} MiB");
        (peak - before).Should().BeLessThan(16L * Mib, $"a 1 MiB queue of pongs (RSS {before >> 20} -> {peak >> 20} MiB)");
    }

    [Test, CancelAfter(120_000)]
    public async Task All_slow_clients_together_hold_at_most_the_total_bound(CancellationToken ct)
    {
        // 24 clients that read nothing, each allowed 1 MiB, but 8 MiB in all: those that would pass it are cut off.
        const int Stalled = 24;
        await using RelayProcess relay = await RelayProcess.StartOnLoopbackAsync(
            ["--send-queue-total", (8 * Mib).ToString(CultureInfo.InvariantCulture), "--send-timeout", "0", "--ping-interval", "0"], ct);
        RawWebSocketClient[] stalled = await ClientSwarm.OpenAsync(Stalled, (i, token) =>
            RawWebSocketClient.ConnectAsync(relay.Port, $"stalled-{i}", token, receiveBufferSize: StalledReceiveBuffer), ct);
        try
        {
            using ControlClient control = relay.OpenControl();
            string[] broadcasts = Enumerable.Repeat("BROADCAST MESSAGE " + new string('b', 4000), 1000).ToArray();
            long before = relay.ResidentBytes;
            long peak = await relay.PeakResidentBytesDuringAsync(Task.Run(async () =>
            {
                for (int round = 0; round < 5; round++)
                    await control.PipelineAsync(broadcasts, ct);
            }, ct));

            (List<string> stats, _) = await control.CommandWithDataAsync("STATS", ct);
            long dropped = long.Parse(stats.Single(s => s.StartsWith("slow_clients_dropped ", StringComparison.Ordinal)).Split(' ')[1],
                CultureInfo.InvariantCulture);
            TestContext.Out.WriteLine($"{dropped} of {Stalled} cut off; relay RSS {before >> 20} MiB before, peak {peak >> 20} MiB");
            dropped.Should().BeGreaterThanOrEqualTo(Stalled - 8, "at most 8 queues of 1 MiB fit in 8 MiB");
            relay.Output.Should().Contain("slow clients' queues over 8388608 bytes in all");
            (peak - before).Should().BeLessThan(8L * Mib + 16L * Mib, $"8 MiB in all, plus the relay's own (RSS {before >> 20} -> {peak >> 20} MiB)");
        }
        finally
        {
            await ClientSwarm.DisposeAllAsync(stalled);
        }
    }

    private static async Task<bool> AllCutOffAsync(ControlClient control, int count, CancellationToken ct) =>
        (await control.CommandWithDataAsync("STATS", ct)).Data.Contains($"slow_clients_dropped {count}");

    private static async Task DiscardUntilStoppedAsync(RawWebSocketClient client, CancellationToken ct)
    {
        try
        {
            while (true)
                await client.ReceiveFrameAsync(ct);
        }
        catch (OperationCanceledException)
        {
            // The test is done with this reader.
        }
    }
}
