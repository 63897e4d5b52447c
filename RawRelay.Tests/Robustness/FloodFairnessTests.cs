using System.Diagnostics;
using System.Net.Sockets;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Robustness;

/// <summary>
/// No client takes more than its fair share: while clients flood the relay as fast as they can (empty
/// frames, pings whose pongs they read, 1 MiB messages), control commands, new upgrades and SENDs to a
/// quiet client still go through. A receive loop that never yielded once kept a socket engine thread,
/// and every socket it serves, to itself: commands and upgrades timed out for as long as the flood lasted.
/// </summary>
[TestFixture, NonParallelizable]
public sealed class FloodFairnessTests
{
    /// <summary>How long a flood lasts while the quiet client is measured.</summary>
    private static readonly TimeSpan FloodTime = TimeSpan.FromSeconds(3);

    /// <summary>What a SEND to the quiet client, a STATS or a new upgrade may take at worst during a flood.</summary>
    private static readonly TimeSpan Worst = TimeSpan.FromSeconds(1.5);

    [Test, CancelAfter(60_000)]
    public async Task Two_clients_flooding_empty_frames_do_not_stall_anyone_else(CancellationToken ct)
    {
        byte[] burst = Repeat(ClientFrames.Build(WsFrame.Text, []), 8192);
        await MeasureDuringFloodAsync(2, burst, readReplies: false, ct);
    }

    [Test, CancelAfter(60_000)]
    public async Task Two_clients_flooding_pings_and_reading_the_pongs_do_not_stall_anyone_else(CancellationToken ct)
    {
        byte[] burst = Repeat(ClientFrames.Build(WsFrame.Ping, "ping"u8), 4096);
        await MeasureDuringFloodAsync(2, burst, readReplies: true, ct);
    }

    [Test, CancelAfter(90_000)]
    public async Task Fifty_clients_sending_one_MiB_messages_do_not_stall_anyone_else(CancellationToken ct)
    {
        byte[] message = ClientFrames.Build(WsFrame.Binary, new byte[1024 * 1024]);
        await MeasureDuringFloodAsync(50, message, readReplies: false, ct);
    }

    private static async Task MeasureDuringFloodAsync(int flooders, byte[] burst, bool readReplies, CancellationToken ct)
    {
        await using RelayProcess relay = await RelayProcess.StartOnLoopbackAsync([], ct);
        await using RawWebSocketClient quiet = await RawWebSocketClient.ConnectAsync(relay.Port, "quiet", ct);
        RawWebSocketClient[] floods = await ClientSwarm.ConnectAsync(relay.Port, flooders, i => $"flood-{i}", ct);
        using var stop = new CancellationTokenSource();
        Task[] flooding = floods.Select(client => Task.Run(() => FloodAsync(client, burst, readReplies, stop.Token), ct)).ToArray();
        try
        {
            using ControlClient control = relay.OpenControl();
            var sends = new List<TimeSpan>();
            var stats = new List<TimeSpan>();
            var upgrades = new List<TimeSpan>();
            var clock = Stopwatch.StartNew();
            for (int i = 0; clock.Elapsed < FloodTime; i++)
            {
                var one = Stopwatch.StartNew();
                (await control.CommandAsync($"SEND MESSAGE quiet m{i}", ct).WithTimeout()).Should().Be("OK 1");
                (await quiet.ReceiveTextAsync(ct).WithTimeout()).Should().Be($"m{i}");
                sends.Add(one.Elapsed);

                one.Restart();
                (await control.CommandWithDataAsync("STATS", ct).WithTimeout()).Status.Should().Be("OK");
                stats.Add(one.Elapsed);

                if (i % 5 == 0)
                {
                    one.Restart();
                    await using RawWebSocketClient late = await RawWebSocketClient.ConnectAsync(relay.Port, $"late-{i}", ct).WithTimeout();
                    upgrades.Add(one.Elapsed);
                }
            }

            TestContext.Out.WriteLine($"{flooders} flooding: SEND to a quiet client max {Max(sends)} ms ({sends.Count} sent), " +
                $"STATS max {Max(stats)} ms, upgrade max {Max(upgrades)} ms");
            sends.Count.Should().BeGreaterThan(100, "the quiet client's SENDs keep going through during the flood");
            sends.Max().Should().BeLessThan(Worst, "a SEND to a quiet client is not held up by the flood");
            stats.Max().Should().BeLessThan(Worst, "control commands are not held up by the flood");
            upgrades.Max().Should().BeLessThan(Worst, "new upgrades are not held up by the flood");
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(flooding);
            await ClientSwarm.DisposeAllAsync(floods);
        }
    }

    /// <summary>Writes <paramref name="burst"/> again and again (reading whatever comes back, if asked) until stopped.</summary>
    private static async Task FloodAsync(RawWebSocketClient client, byte[] burst, bool readReplies, CancellationToken stop)
    {
        Task reading = readReplies ? DrainAsync(client.Socket, stop) : Task.CompletedTask;
        try
        {
            while (!stop.IsCancellationRequested)
                await client.SendAsync(burst, stop);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            // Stopped (or the relay closed a flooder: that is allowed too).
        }

        await reading;
    }

    private static async Task DrainAsync(Socket socket, CancellationToken stop)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, stop) > 0)
            {
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            // Stopped.
        }
    }

    private static byte[] Repeat(byte[] frame, int times) => Enumerable.Repeat(frame, times).SelectMany(f => f).ToArray();

    private static string Max(List<TimeSpan> times) => times.Count == 0 ? "-" : times.Max().TotalMilliseconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
}
