using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Hosting;

/// <summary>
/// The signals an operator or a service manager may send the relay process: SIGHUP, SIGUSR1 and SIGUSR2
/// are logged and change nothing (their default action would kill it without closing anyone), SIGTERM
/// still shuts down in order.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class SignalTests
{
    [Test, CancelAfter(60_000)]
    public async Task SIGHUP_SIGUSR1_and_SIGUSR2_are_logged_and_the_relay_keeps_serving_until_SIGTERM(CancellationToken ct)
    {
        await using RelayProcess relay = await RelayProcess.StartOnLoopbackAsync([], ct);
        await using RawWebSocketClient board = await RawWebSocketClient.ConnectAsync(relay.Port, "signals", ct);

        foreach ((int number, string name) in new[] { (1, "SIGHUP"), (10, "SIGUSR1"), (12, "SIGUSR2") })
        {
            relay.Signal(number);
            await relay.WaitForLineAsync(l => l.EndsWith($" INFO received {name}: nothing to reload, still running")).WithTimeout();
        }

        using (ControlClient control = relay.OpenControl())
        {
            (await control.CommandAsync("SEND MESSAGE signals still here", ct)).Should().Be("OK 1");
            (await board.ReceiveTextAsync(ct).WithTimeout()).Should().Be("still here");
            await using RawWebSocketClient late = await RawWebSocketClient.ConnectAsync(relay.Port, "after-signals", ct);
            (await control.CommandAsync("SEND MESSAGE after-signals hello", ct)).Should().Be("OK 1");
            (await late.ReceiveTextAsync(ct).WithTimeout()).Should().Be("hello");
        }

        relay.Terminate();

        (await board.ReceiveCloseCodeAsync(ct).WithTimeout()).Should().Be(1001);
        await board.SendAsync(ClientFrames.Close(1001), ct);    // answered: the relay need not wait its 3 s
        (await relay.WaitForExitAsync(ct)).Should().Be(0, relay.Output);
        File.Exists(relay.ControlPath).Should().BeFalse("a clean shutdown removes the control socket");
    }
}
