using System.Text;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Robustness;

/// <summary>
/// Out of file descriptors (EMFILE): the relay process, its open-file limit lowered to what it holds plus a
/// few, is given more connections than it can take. It says so once per listener, keeps running, and both
/// listeners accept again once some connections close.
/// </summary>
[TestFixture, NonParallelizable]
public sealed class DescriptorExhaustionTests
{
    /// <summary>Descriptors the relay may open above those it holds when the test lowers its limit.</summary>
    private const int Spare = 24;

    [Test, CancelAfter(60_000)]
    public async Task Out_of_descriptors_is_logged_once_and_both_listeners_accept_again_when_some_close(CancellationToken ct)
    {
        string prlimit = TestEnvironment.RequireOnPath("prlimit", "util-linux");
        if (!RelayProcess.IsNative)
        {
            // CoreCLR's own thread start needs a descriptor (a pipe): out of them, `dotnet rawrelay.dll` aborts
            // with "Out of memory." as soon as its thread pool grows, whatever the relay does. The native
            // executable, which production runs, starts threads without one.
            Assert.Ignore("needs the native executable: RAWRELAY_BINARY=publish/rawrelay after make publish (CI sets it)");
        }

        await using RelayProcess relay = await RelayProcess.StartOnLoopbackAsync(["--log-level", "debug"], ct);
        using ControlClient watcher = relay.OpenControl();
        (await watcher.CommandAsync("STATS", ct)).Should().Be("OK");
        await SetDescriptorLimitAsync(prlimit, relay.Pid, relay.OpenDescriptors + Spare, ct);

        // Use the spare descriptors up: control connections, then more WebSocket connections than fit.
        var controls = new List<ControlClient>();
        var boards = new List<RawWebSocketClient>();
        var waiting = new List<ControlClient>();
        try
        {
            for (int i = 0; i < 4; i++)
            {
                controls.Add(relay.OpenControl());
                (await controls[^1].CommandAsync("STATS", ct)).Should().Be("OK");
            }

            for (int i = 0; i < Spare + 8; i++)
            {
                boards.Add(await RawWebSocketClient.OpenAsync(relay.Port, ct));
                await boards[^1].SendAsync(UpgradeRequest(relay.Port, $"fd-{i}"), ct);
            }

            await ExpectOneWarningAsync(relay, "TCP listener");

            // The control socket runs out too once it has connections to take.
            for (int i = 0; i < 3; i++)
            {
                waiting.Add(relay.OpenControl());       // connects: the kernel queues it in the backlog
                await waiting[^1].WriteAsync("STATS\n", ct);
            }

            await ExpectOneWarningAsync(relay, "control socket");
            (await watcher.CommandAsync("LIST WEBSOCKETS", ct)).Should().NotBe($"OK {boards.Count}", "some are still waiting");
            relay.HasExited.Should().BeFalse();

            // Close some: the waiting control connections are answered, and new connections of both kinds get in.
            await ClientSwarm.DisposeAllAsync(boards);
            boards.Clear();
            foreach (ControlClient control in controls)
                control.Dispose();
            foreach (ControlClient control in waiting)
                (await control.ReadReplyAsync(ct)).Status.Should().Be("OK", "a control connection that waited in the backlog");
            await using (RawWebSocketClient fresh = await RawWebSocketClient.ConnectAsync(relay.Port, "fd-after", ct))
            {
                (await watcher.CommandAsync("SEND MESSAGE fd-after back", ct)).Should().Be("OK 1");
                (await fresh.ReceiveTextAsync(ct).WithTimeout()).Should().Be("back");
            }

            using (ControlClient fresh = relay.OpenControl())
                (await fresh.CommandAsync("QUIT", ct)).Should().Be("OK bye");
            foreach (string listener in new[] { "TCP listener", "control socket" })
            {
                string recovered = await relay.WaitForLineAsync(l => l.Contains($" INFO accepting on {listener}")).WithTimeout();
                recovered.Should().MatchRegex(@"again after \d+ failed accept\(s\)$");
            }
        }
        catch
        {
            TestContext.Out.WriteLine("the relay's output:\n" + relay.Output);
            throw;
        }
        finally
        {
            await ClientSwarm.DisposeAllAsync(boards);
            foreach (ControlClient control in controls.Concat(waiting))
                control.Dispose();
        }

        relay.Terminate();
        (await relay.WaitForExitAsync(ct)).Should().Be(0, relay.Output);
        File.Exists(relay.ControlPath).Should().BeFalse();
        relay.Stdout.Should().NotContain(" ERROR ");
    }

    /// <summary>The listener says once that it ran out, however often it retries.</summary>
    private static async Task ExpectOneWarningAsync(RelayProcess relay, string listener)
    {
        await relay.WaitForLineAsync(l => l.Contains($" WARN accept on {listener}") && l.Contains("out of file descriptors")).WithTimeout();
        await TaskTimeouts.Eventually(() => Task.FromResult(
            relay.CountLines(l => l.Contains($" DEBUG accept on {listener}") && l.Contains(" failed again ")) >= 3));
        relay.CountLines(l => l.Contains($" WARN accept on {listener}")).Should().Be(1, relay.Output);
    }

    private static async Task SetDescriptorLimitAsync(string prlimit, int pid, int limit, CancellationToken ct)
    {
        await using ChildProcess set = ChildProcess.Start([prlimit], ["--pid", pid.ToString(), $"--nofile={limit}:{limit}"]);
        (await set.WaitForExitAsync(ct)).Should().Be(0, set.Output);
    }

    private static byte[] UpgradeRequest(int port, string id) => Encoding.ASCII.GetBytes(
        $"GET /websocket?id={id} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
}
