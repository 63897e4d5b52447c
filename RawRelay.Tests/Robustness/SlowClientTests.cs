using System.Globalization;
using RawRelay.Diagnostics;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Robustness;

/// <summary>
/// <c>--send-queue</c>: a client that stops reading is cut off with close 1008 once its queue is full,
/// counted and logged, while SEND and BROADCAST never wait for it and everyone else gets everything.
/// </summary>
[TestFixture, NonParallelizable]
public sealed class SlowClientTests
{
    private const int SendQueue = 64 * 1024;

    /// <summary>A small receive window for the client that stops reading, so that the relay's queue fills soon.</summary>
    private const int StalledReceiveBuffer = 4096;

    /// <summary>Peak growth of the relay's resident memory allowed during the broadcast.</summary>
    private const long MemoryBound = 150L * 1024 * 1024;

    private static readonly int Readers = LoadSize.Scaled(200, LoadSize.MaxConnections);
    private static readonly int Messages = LoadSize.Scaled(20_000);

    [Test, CancelAfter(240_000)]
    public async Task A_client_that_never_reads_is_dropped_while_200_readers_get_every_broadcast_in_order(CancellationToken ct)
    {
        await using RelayProcess relay = await RelayProcess.StartOnLoopbackAsync(["--send-queue", SendQueue.ToString(CultureInfo.InvariantCulture)], ct);
        await using RawWebSocketClient stalled = await RawWebSocketClient.ConnectAsync(relay.Port, "stalled", ct,
            source: ClientSwarm.Source(Readers), receiveBufferSize: StalledReceiveBuffer);
        RawWebSocketClient[] readers = [];
        try
        {
            readers = await ClientSwarm.ConnectAsync(relay.Port, Readers, i => $"reader-{i}", ct);
            long before = relay.ResidentBytes;
            Task<int>[] reading = readers.Select(reader => Task.Run(async () => (await ReadInOrderAsync(reader, Messages, ct)).Count, ct)).ToArray();

            using ControlClient control = relay.OpenControl();
            Task<string[]> broadcast = control.PipelineAsync(
                Enumerable.Range(0, Messages).Select(i => "BROADCAST MESSAGE " + Message(i)).ToArray(), ct);
            long peak = await relay.PeakResidentBytesDuringAsync(
                Task.WhenAll(broadcast, Task.WhenAll(reading)).WithTimeout(TimeSpan.FromSeconds(180)));

            // SEND and BROADCAST never waited for the stalled client: every command was answered, and each
            // counted the stalled one until it was cut off, then not.
            string[] replies = await broadcast;
            replies.Should().OnlyContain(r => r == $"OK {Readers + 1}" || r == $"OK {Readers}");
            replies.Should().BeInDescendingOrder(StringComparer.Ordinal);
            replies[^1].Should().Be($"OK {Readers}");
            (await Task.WhenAll(reading)).Should().OnlyContain(count => count == Messages);
            (peak - before).Should().BeLessThan(MemoryBound,
                $"the relay held at most {SendQueue} bytes per client (RSS {before >> 20} MiB before, peak {peak >> 20} MiB)");

            (List<string> stats, _) = await control.CommandWithDataAsync("STATS", ct);
            stats.Should().Contain("slow_clients_dropped 1");
            await TaskTimeouts.Eventually(async () => await control.CommandAsync("LIST WEBSOCKETS", ct) == $"OK {Readers}");
            relay.Output.Should().MatchRegex($@"WARN slow client stalled \S+: send queue over {SendQueue} bytes, cut off");
            relay.Output.Should().MatchRegex(@"closed stalled \S+ reason=slow-client code=1008");

            // What reached the stalled client before the cut is a prefix of the broadcast, in order.
            (int received, _) = await ReadInOrderAsync(stalled, Messages, ct, untilEnd: true).WithTimeout(TimeSpan.FromSeconds(30));
            received.Should().BeLessThan(Messages);
            TestContext.Out.WriteLine($"{Readers} readers x {Messages} messages; stalled client got {received} before the cut; " +
                $"relay RSS {before >> 20} MiB before, peak {peak >> 20} MiB");
        }
        finally
        {
            await ClientSwarm.DisposeAllAsync(readers);
        }
    }

    [Test, CancelAfter(60_000)]
    public async Task A_cut_off_client_that_reads_again_gets_what_was_queued_then_close_1008(CancellationToken ct)
    {
        // A long close timeout, so that the cut-off client can still read its close frame.
        await using RelayFixture relay = RelayFixture.Start(o => o with
        {
            SendQueue = 16 * 1024, CloseTimeout = TimeSpan.FromSeconds(60), LogLevel = RawRelay.Diagnostics.LogLevel.Info,
        });
        await using RawWebSocketClient stalled = await RawWebSocketClient.ConnectAsync(relay.Port, "stops-reading", ct,
            receiveBufferSize: StalledReceiveBuffer);
        using ControlClient control = relay.OpenControl();

        int sent = 0;
        while (!(await control.CommandWithDataAsync("STATS", ct)).Data.Contains("slow_clients_dropped 1"))
        {
            string[] replies = await control.PipelineAsync(
                Enumerable.Range(sent, 1000).Select(i => "SEND MESSAGE stops-reading " + Message(i)).ToArray(), ct);
            // The command that cuts the connection off still counts it; after that it is gone.
            replies.Should().OnlyContain(r => r == "OK 1" || r == "OK 0").And.BeInDescendingOrder(StringComparer.Ordinal);
            sent += 1000;
            sent.Should().BeLessThan(1_000_000, "a client that reads nothing must be cut off at some point");
        }

        (int received, WsFrame? close) = await ReadInOrderAsync(stalled, sent, ct, untilEnd: true).WithTimeout(TimeSpan.FromSeconds(30));
        received.Should().BeLessThan(sent);
        close.Should().NotBeNull("the close frame follows what was queued");
        close!.CloseCode.Should().Be(1008);
        (await stalled.ReceiveEndOfStreamAsync(ct).WithTimeout()).Should().BeTrue();
    }

    /// <summary>
    /// Message i: a sequence number and padding to 400 bytes, so that 20,000 of them (8 MB) overflow what
    /// the kernel buffers for a client that reads nothing (up to 4 MiB of send buffer on Linux) plus its queue.
    /// </summary>
    private static string Message(int i) => i.ToString("D7", CultureInfo.InvariantCulture) + " " + new string('x', 392);

    /// <summary>
    /// Reads text frames and checks that the k-th is message k; returns how many came and the close frame
    /// if one came. With <paramref name="untilEnd"/> it reads until a close frame (which it answers) or the
    /// end of the stream.
    /// </summary>
    private static async Task<(int Count, WsFrame? Close)> ReadInOrderAsync(RawWebSocketClient client, int count, CancellationToken ct, bool untilEnd = false)
    {
        int next = 0;
        while (untilEnd || next < count)
        {
            WsFrame frame;
            try
            {
                frame = await client.ReceiveDataFrameAsync(ct);
            }
            catch (Exception e) when (untilEnd && e is EndOfStreamException or System.Net.Sockets.SocketException)
            {
                return (next, null);
            }

            if (frame.Opcode == WsFrame.Close)
            {
                if (!untilEnd)
                    throw new InvalidOperationException($"closed with {frame.CloseCode} after {next} of {count} messages");
                await client.SendAsync(ClientFrames.Close(frame.CloseCode), ct);
                return (next, frame);
            }

            string text = frame.Text8;
            if (text != Message(next))
                throw new InvalidOperationException($"message {next} expected, got '{text[..Math.Min(text.Length, 20)]}'");
            next++;
        }

        return (next, null);
    }
}
