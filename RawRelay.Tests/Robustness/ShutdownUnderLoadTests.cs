using System.Diagnostics;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Robustness;

/// <summary>SIGTERM with a thousand clients connected: each gets close 1001, the socket file goes, exit 0 within 5 s.</summary>
[TestFixture, NonParallelizable]
public sealed class ShutdownUnderLoadTests
{
    private static readonly int Clients = LoadSize.Scaled(1000, LoadSize.MaxConnections);

    [Test, CancelAfter(120_000)]
    public async Task Sigterm_with_a_thousand_clients_closes_each_with_1001_and_exits_0_within_5_seconds(CancellationToken ct)
    {
        await using RelayProcess relay = await RelayProcess.StartOnLoopbackAsync([], ct);
        RawWebSocketClient[] clients = [];
        try
        {
            clients = await ClientSwarm.ConnectAsync(relay.Port, Clients, i => $"shutdown-{i}", ct);
            using (ControlClient control = relay.OpenControl())
                (await control.CommandAsync("LIST WEBSOCKETS", ct)).Should().Be($"OK {Clients}");
            File.Exists(relay.ControlPath).Should().BeTrue();
            for (int i = 0; i < 10; i++)            // and some clients still in the middle of their request head
            {
                RawWebSocketClient midHandshake = await RawWebSocketClient.OpenAsync(relay.Port, ct, ClientSwarm.Source(i));
                clients = [.. clients, midHandshake];
                await midHandshake.SendAsync("GET /websocket?id=late HTTP/1.1\r\nHost: x\r\n"u8.ToArray(), ct);
            }

            await TaskTimeouts.Eventually(() => Task.FromResult(relay.Output.Contains($"open shutdown-{Clients - 1} ", StringComparison.Ordinal)));

            // Most clients behave like a browser and answer the relay's close with their own; every 20th is
            // stuck and reads nothing until the relay is gone, so the relay has to give up waiting for it.
            var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Task<int>[] closes = clients.Take(Clients).Select((client, i) => Task.Run(async () =>
            {
                if (i % 20 == 0)
                    await exited.Task;
                return await AnswerCloseAsync(client, ct);
            }, ct)).ToArray();
            var clock = Stopwatch.StartNew();
            relay.Terminate();
            int exitCode = await relay.WaitForExitAsync(ct).WithTimeout(TimeSpan.FromSeconds(5));
            clock.Stop();
            exited.SetResult();

            exitCode.Should().Be(0);
            File.Exists(relay.ControlPath).Should().BeFalse("a clean shutdown removes the control socket file");
            int[] codes = await Task.WhenAll(closes).WithTimeout(TimeSpan.FromSeconds(30));
            codes.Should().OnlyContain(code => code == 1001, "every client got close 1001, the stuck ones too (-1: the stream ended without one)");
            relay.Output.Should().Contain("received SIGTERM").And.Contain($"closing {Clients} connection(s)").And.NotContain(" ERROR ");
            TestContext.Out.WriteLine($"{Clients} clients: exit {exitCode} {clock.Elapsed.TotalSeconds:0.00} s after SIGTERM");
        }
        finally
        {
            await ClientSwarm.DisposeAllAsync(clients);
        }
    }

    /// <summary>Reads until the close frame, answers it, returns its code; -1 when the stream ends first.</summary>
    private static async Task<int> AnswerCloseAsync(RawWebSocketClient client, CancellationToken ct)
    {
        try
        {
            int code = await client.ReceiveCloseCodeAsync(ct);
            await client.SendAsync(ClientFrames.Close(code), ct);
            return code;
        }
        catch (Exception e) when (e is EndOfStreamException or System.Net.Sockets.SocketException)
        {
            return -1;
        }
    }
}
