using System.Text;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration.History;

/// <summary>
/// The exact boundary between replay and live traffic: while publishers run at full speed on several
/// control connections, clients leave and come back again and again with the position they last saw; every
/// one sees each offset of its stream exactly once, in order, with no gap, across all its connections,
/// from the position it started from to the last message published.
/// </summary>
[TestFixture, NonParallelizable]
public sealed class ResumeBoundaryTests
{
    private const int Publishers = 3;
    private const int PerPublisher = 20_000;
    private const int Total = Publishers * PerPublisher;
    private const int Readers = 6;

    [Test, CancelAfter(120_000)]
    public async Task Clients_that_resume_while_publishers_run_see_every_offset_once_in_order(CancellationToken ct)
    {
        await using RelayFixture relay = RelayFixture.Start(o => o with { History = Total, HistoryMemory = 256L * 1024 * 1024 });
        const string Channel = "boundary";
        using ControlClient control = relay.OpenControl();
        string start = (await control.CommandAsync($"POSITION {Channel}", ct))["OK ".Length..];   // what a page rendered now would get

        Task<int>[] reading = Enumerable.Range(0, Readers)
            .Select(r => Task.Run(() => ReadResumingAsync(relay.Port, Channel, $"reader-{r}", start, ct), ct)).ToArray();
        Task[] publishing = Enumerable.Range(0, Publishers).Select(p => Task.Run(() => PublishAsync(relay, Channel, p, ct), ct)).ToArray();

        await Task.WhenAll(publishing).WithTimeout(TimeSpan.FromSeconds(60));
        int[] connections = await Task.WhenAll(reading).WithTimeout(TimeSpan.FromSeconds(60));
        connections.Should().OnlyContain(c => c >= 3, "each reader left and resumed several times while the publishers ran");
        TestContext.Out.WriteLine($"{Readers} readers each saw offsets 1..{Total} exactly once; connections each: " + string.Join(", ", connections));
    }

    /// <summary>
    /// From <paramref name="start"/>, reads a while, leaves, comes back with the last position, again and again
    /// until it has seen offset <see cref="Total"/>; checks that each offset comes once, in order. Returns its
    /// number of connections.
    /// </summary>
    private static async Task<int> ReadResumingAsync(int port, string channel, string id, string start, CancellationToken ct)
    {
        var random = new Random(id.GetHashCode(StringComparison.Ordinal));
        string epoch = start.Split(':')[0];
        long last = long.Parse(start.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
        int connections = 0;
        while (last < Total)
        {
            connections++;
            await using RawWebSocketClient page = await V1Client.ConnectAsync(port, id, ct, [channel], [(channel, $"{epoch}:{last}")]);
            int take = random.Next(500, 15_000);
            for (int i = 0; i < take && last < Total; i++)
            {
                V1Message message = await page.ReceiveAsync(ct);
                message.IsReset.Should().BeFalse($"{id} connection {connections}: everything since {epoch}:{last} is kept (got a reset to {message.Position})");
                message.Stream.Should().Be(channel);
                message.Epoch.Should().Be(epoch);
                message.Offset.Should().Be(last + 1, $"{id} connection {connections}: each offset once, in order, no gap");
                last = message.Offset;
            }
        }

        return connections;
    }

    /// <summary>PUBLISH as fast as the relay takes them, in chunks, reading the replies meanwhile.</summary>
    private static async Task PublishAsync(RelayFixture relay, string channel, int publisher, CancellationToken ct)
    {
        using ControlClient control = relay.OpenControl();
        Task reading = Task.Run(async () =>
        {
            for (int read = 0; read < PerPublisher; read++)
                (await control.ReadLineAsync(ct).WithTimeout(TimeSpan.FromSeconds(30))).Should().StartWith("OK ");
        }, ct);
        var chunk = new StringBuilder();
        for (int n = 0; n < PerPublisher; n += 50)
        {
            chunk.Clear();
            for (int i = n; i < n + 50; i++)
                chunk.Append("PUBLISH MESSAGE ").Append(channel).Append(" p").Append(publisher).Append('-').Append(i).Append('\n');
            await control.WriteAsync(chunk.ToString(), ct);
        }

        await reading;
    }
}
