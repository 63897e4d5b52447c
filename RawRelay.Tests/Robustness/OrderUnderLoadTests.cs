using System.Text;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Robustness;

/// <summary>
/// Order and framing while the relay is busy: the 101 always comes before any frame, however busy the
/// hub is at the moment a connection is registered; and large pipelined broadcasts (whose queues fill up
/// and are flushed early, by two threads) reach every client in command order. Against the relay as a
/// process, with its own runtime settings (socket continuations on the epoll threads), as it runs in
/// production.
/// </summary>
[TestFixture, NonParallelizable]
public sealed class OrderUnderLoadTests
{
    private const int Racers = 2000;

    [Test, CancelAfter(120_000)]
    public async Task Clients_connecting_during_broadcasts_get_their_101_before_any_frame(CancellationToken ct)
    {
        await using RelayProcess relay = await RelayProcess.StartOnLoopbackAsync([], ct);
        using ControlClient control = relay.OpenControl();
        using var connecting = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task broadcasting = BroadcastUntilAsync(control, connecting.Token);
        RawWebSocketClient[] clients = [];
        try
        {
            // ConnectAsync throws unless the first bytes on the wire are "HTTP/1.1 101" with the right key.
            clients = await ClientSwarm.ConnectAsync(relay.Port, Racers, i => $"racer-{i}", ct);
        }
        finally
        {
            connecting.Cancel();
            await broadcasting.WithTimeout();
        }

        (await control.CommandAsync("BROADCAST MESSAGE done", ct)).Should().Be($"OK {Racers}");
        foreach (RawWebSocketClient client in clients)
        {
            string text;
            while ((text = await client.ReceiveTextAsync(ct).WithTimeout()) != "done")
                text.Should().Be("tick");
        }

        await ClientSwarm.DisposeAllAsync(clients);
    }

    [Test, CancelAfter(180_000)]
    public async Task Large_pipelined_broadcasts_arrive_in_command_order_at_every_client(CancellationToken ct)
    {
        const int Clients = 200, Messages = 4000;
        await using RelayProcess relay = await RelayProcess.StartOnLoopbackAsync(
            ["--send-queue", (256 * 1024).ToString()], ct);
        RawWebSocketClient[] clients = await ClientSwarm.ConnectAsync(relay.Port, Clients, i => $"order-{i}", ct);
        string padding = new('p', 1000);
        Task<int>[] readers = clients.Select(client => ReadInOrderAsync(client, Messages, ct)).ToArray();

        var commands = new StringBuilder();
        for (int i = 0; i < Messages; i++)
            commands.Append($"BROADCAST MESSAGE {i:D6} {padding}\n");
        using ControlClient control = relay.OpenControl();
        Task<List<string>> replies = ReadStatusLinesAsync(control, Messages, ct);
        await control.WriteAsync(commands.ToString(), ct).WithTimeout(TimeSpan.FromSeconds(60));

        (await replies.WithTimeout(TimeSpan.FromSeconds(60))).Should().AllBe($"OK {Clients}");
        int[] received = await Task.WhenAll(readers).WithTimeout(TimeSpan.FromSeconds(90));
        received.Should().AllBeEquivalentTo(Messages);
        await ClientSwarm.DisposeAllAsync(clients);
    }

    /// <summary>Keeps 100 broadcasts in flight on the control socket until <paramref name="stop"/>.</summary>
    private static async Task BroadcastUntilAsync(ControlClient control, CancellationToken stop)
    {
        string hundred = string.Concat(Enumerable.Repeat("BROADCAST MESSAGE tick\n", 100));
        for (int round = 0; round < 10_000 && !stop.IsCancellationRequested; round++)
        {
            await control.WriteAsync(hundred).WithTimeout();
            for (int i = 0; i < 100; i++)
                (await control.ReadReplyAsync().WithTimeout()).Status.Should().StartWith("OK ");
        }
    }

    /// <summary>Reads <paramref name="count"/> messages and checks each carries the next number.</summary>
    private static async Task<int> ReadInOrderAsync(RawWebSocketClient client, int count, CancellationToken ct)
    {
        for (int expected = 0; expected < count; expected++)
        {
            string text = await client.ReceiveTextAsync(ct);
            int number = int.Parse(text.AsSpan(0, 6));
            number.Should().Be(expected, "messages of one control connection arrive in command order");
            text.Length.Should().Be(6 + 1 + 1000, "a frame arrives whole");
        }

        return count;
    }

    private static async Task<List<string>> ReadStatusLinesAsync(ControlClient control, int count, CancellationToken ct)
    {
        var lines = new List<string>(count);
        while (lines.Count < count)
            lines.Add((await control.ReadReplyAsync(ct)).Status);
        return lines;
    }
}
