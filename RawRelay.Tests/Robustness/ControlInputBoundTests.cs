using System.Net.Sockets;
using System.Text;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Robustness;

/// <summary>
/// What control connections buffer is bounded in all (README, Limits): each may hold 64 KiB of unfinished
/// input of its own, beyond that they share a budget of 64 MiB (or four largest payloads); a connection that
/// would take it past that is answered <c>ERR busy: ...</c> and closed. 300 connections each holding an
/// unfinished 1 MiB payload once made the relay hold 310 MB.
/// </summary>
[TestFixture, NonParallelizable]
public sealed class ControlInputBoundTests
{
    private const int Connections = 300;
    private const int Length = 1_000_000;

    [Test, CancelAfter(120_000)]
    public async Task Unfinished_payloads_of_many_control_connections_are_bounded_in_all(CancellationToken ct)
    {
        await using RelayProcess relay = await RelayProcess.StartOnLoopbackAsync([], ct);
        await using RawWebSocketClient board = await RawWebSocketClient.ConnectAsync(relay.Port, "board", ct);
        byte[] start = Encoding.ASCII.GetBytes($"SEND TEXT board {Length}\n" + new string('p', Length - 100_000));
        long before = relay.ResidentBytes;
        var controls = new List<ControlClient>();
        try
        {
            long peak = await relay.PeakResidentBytesDuringAsync(Task.Run(async () =>
            {
                for (int i = 0; i < Connections; i++)
                {
                    ControlClient control = relay.OpenControl();
                    controls.Add(control);
                    await WriteUnlessRefusedAsync(control, start, ct);
                }
            }, ct));

            // Every connection that was refused got the reason; the relay still serves the others.
            int busy = 0;
            foreach (ControlClient control in controls)
            {
                if (await ReplyIfAnyAsync(control) is { } reply)
                {
                    reply.Should().StartWith("ERR busy: unfinished control input over ");
                    busy++;
                }
            }

            using ControlClient fresh = relay.OpenControl();
            (await fresh.CommandAsync("SEND MESSAGE board still served", ct)).Should().Be("OK 1");
            (await board.ReceiveTextAsync(ct).WithTimeout()).Should().Be("still served");
            TestContext.Out.WriteLine($"{busy} of {Connections} refused as busy; relay RSS {before >> 20} MiB before, peak {peak >> 20} MiB");
            busy.Should().BeGreaterThan(0, "300 unfinished payloads of 900 kB do not fit in the budget");
            (peak - before).Should().BeLessThan(160L * 1024 * 1024,
                $"at most 64 KiB each plus the shared 64 MiB, plus the kernel's and the relay's own (RSS {before >> 20} -> {peak >> 20} MiB)");
        }
        finally
        {
            foreach (ControlClient control in controls)
                control.Dispose();
        }
    }

    private static async Task WriteUnlessRefusedAsync(ControlClient control, byte[] bytes, CancellationToken ct)
    {
        try
        {
            await control.WriteAsync(bytes, ct).WithTimeout(TimeSpan.FromSeconds(20));
        }
        catch (SocketException)
        {
            // Refused and closed while writing: its reply says why.
        }
        catch (TimeoutException)
        {
            // The relay stopped reading this connection (it is waiting for the rest, or refused it).
        }
    }

    /// <summary>The line the relay sent on this connection, if any within a moment.</summary>
    private static async Task<string?> ReplyIfAnyAsync(ControlClient control)
    {
        if (control.Socket.Available == 0 && !control.Socket.Poll(20_000, SelectMode.SelectRead))
            return null;
        try
        {
            return await control.ReadLineAsync().WithTimeout(TimeSpan.FromSeconds(2));
        }
        catch (SocketException)
        {
            return null;
        }
    }
}
