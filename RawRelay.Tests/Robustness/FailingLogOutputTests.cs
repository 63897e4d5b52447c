using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Robustness;

/// <summary>
/// Standard output that fails every write, as a log on a full disk does: the relay loses those lines
/// and goes on serving; nothing about the log can stop it or keep it from shutting down in order.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class FailingLogOutputTests
{
    [Test, CancelAfter(60_000)]
    public async Task With_standard_output_on_dev_full_the_relay_serves_and_exits_0_on_SIGTERM(CancellationToken ct)
    {
        int port = LoopbackPort.Free();
        string controlPath = RelayFixture.TempSocketPath();
        await using RelayProcess relay = RelayProcess.Start(
            ["--bind", "127.0.0.1", "--port", port.ToString(), "--control", controlPath, "--log-level", "debug"], null,
            prefix: ["sh", "-c", "exec \"$0\" \"$@\" >/dev/full"]);
        await TaskTimeouts.Eventually(async () =>
            relay.HasExited ? throw new InvalidOperationException("the relay ended: " + relay.Output)
                : File.Exists(controlPath) && await LoopbackPort.AcceptsAsync(port), TimeSpan.FromSeconds(30));

        // Every open, message and close is a log line that cannot be written.
        using ControlClient control = ControlClient.Connect(controlPath);
        for (int round = 0; round < 3; round++)
        {
            await using RawWebSocketClient board = await RawWebSocketClient.ConnectAsync(port, $"full-{round}", ct);
            (await control.CommandAsync($"SEND MESSAGE full-{round} hello {round}", ct)).Should().Be("OK 1");
            (await board.ReceiveTextAsync(ct).WithTimeout()).Should().Be($"hello {round}");
            await board.SendTextAsync("from the board", ct);
            await board.SendAsync(ClientFrames.Close(1000), ct);
            (await board.ReceiveCloseCodeAsync(ct).WithTimeout()).Should().Be(1000);
        }

        (List<string> stats, string status) = await control.CommandWithDataAsync("STATS", ct);
        status.Should().Be("OK");
        stats.Should().Contain("connections_total 3").And.Contain("messages_in 3");
        relay.HasExited.Should().BeFalse();

        relay.Terminate();

        (await relay.WaitForExitAsync(ct)).Should().Be(0, relay.Output);
        File.Exists(controlPath).Should().BeFalse("a clean shutdown removes the socket file");
        relay.Stderr.Should().BeEmpty();
    }
}
