using System.Net.Sockets;
using System.Text;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Robustness;

/// <summary>
/// Clients that reset their TCP connection in the middle of a handshake or of a frame: afterwards nothing
/// of them is left (LIST is empty, memory comes back) and no exception reaches the log.
/// </summary>
[TestFixture, NonParallelizable]
public sealed class AbruptEndTests
{
    private static readonly int Clients = LoadSize.Scaled(2000, LoadSize.MaxConnections);

    /// <summary>How much the relay's resident memory may grow from one round of resets to the next.</summary>
    private const long LeakBound = 24L * 1024 * 1024;

    [Test, CancelAfter(180_000)]
    public async Task Clients_that_reset_mid_frame_or_mid_handshake_leave_nothing_behind(CancellationToken ct)
    {
        await using RelayProcess relay = await RelayProcess.StartOnLoopbackAsync([], ct);
        using ControlClient control = relay.OpenControl();
        long before = relay.ResidentBytes;

        // The first round brings the relay to its working size (under the JIT that includes code that
        // stays); once each burst is over, the relay gives back what the burst took (MemoryTrimmer).
        long peak1 = await relay.PeakResidentBytesDuringAsync(ResetRoundAsync(relay.Port, ct));
        await TaskTimeouts.Eventually(async () => await control.CommandAsync("LIST WEBSOCKETS", ct) == "OK 0", TimeSpan.FromSeconds(30));
        long settled1 = await SettlesAsync(relay, below: peak1 - (peak1 - before) / 4);

        long peak2 = await relay.PeakResidentBytesDuringAsync(ResetRoundAsync(relay.Port, ct));
        await TaskTimeouts.Eventually(async () => await control.CommandAsync("LIST WEBSOCKETS", ct) == "OK 0", TimeSpan.FromSeconds(30));
        long settled2 = await SettlesAsync(relay, below: settled1 + (peak2 - settled1) / 2);

        TestContext.Out.WriteLine($"{Clients} resets per round; relay RSS {before >> 20} MiB at start: " +
            $"peak {peak1 >> 20} MiB, settled at {settled1 >> 20} MiB; peak {peak2 >> 20} MiB, settled at {settled2 >> 20} MiB");
        (settled2 - settled1).Should().BeLessThan(LeakBound, "a second round of resets leaks nothing");
        (List<string> stats, _) = await control.CommandWithDataAsync("STATS", ct);
        stats.Should().Contain("connections 0").And.Contain($"connections_total {Clients}", "half of each round completed its handshake");
        relay.HasExited.Should().BeFalse();
        relay.Output.Should().NotContain(" ERROR ").And.NotContain("Unhandled").And.NotContain("   at ");
    }

    /// <summary>Waits until the relay's resident memory is at or below <paramref name="below"/>; returns it.</summary>
    private static async Task<long> SettlesAsync(RelayProcess relay, long below)
    {
        long resident = 0;
        await TaskTimeouts.Eventually(() =>
        {
            resident = relay.ResidentBytes;
            return Task.FromResult(resident <= below);
        }, TimeSpan.FromSeconds(20));
        return resident;
    }

    /// <summary>Half the clients reset during their request head, half after the 101 in the middle of a frame.</summary>
    private static async Task ResetRoundAsync(int port, CancellationToken ct) =>
        await ClientSwarm.OpenAsync(Clients, async (i, token) =>
        {
            RawWebSocketClient client = i % 2 == 0
                ? await MidHandshakeAsync(port, i, token)
                : await MidFrameAsync(port, i, token);
            Reset(client.Socket);
            return true;
        }, ct);

    private static async Task<RawWebSocketClient> MidHandshakeAsync(int port, int i, CancellationToken ct)
    {
        RawWebSocketClient client = await RawWebSocketClient.OpenAsync(port, ct, ClientSwarm.Source(i));
        await client.SendAsync(Encoding.ASCII.GetBytes($"GET /websocket?id=reset-{i} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgr"), ct);
        return client;
    }

    private static async Task<RawWebSocketClient> MidFrameAsync(int port, int i, CancellationToken ct)
    {
        RawWebSocketClient client = await RawWebSocketClient.ConnectAsync(port, $"reset-{i}", ct, source: ClientSwarm.Source(i));
        byte[] frame = ClientFrames.Build(WsFrame.Text, Encoding.UTF8.GetBytes(new string('r', 300)));
        await client.SendAsync(frame.AsMemory(0, 2 + (i % 200)), ct);   // the header, and part of the payload
        return client;
    }

    /// <summary>Closes with SO_LINGER 0, so the kernel sends RST instead of FIN.</summary>
    private static void Reset(Socket socket)
    {
        socket.LingerState = new LingerOption(true, 0);
        socket.Dispose();
    }
}
