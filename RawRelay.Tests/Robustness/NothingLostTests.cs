using System.Globalization;
using RawRelay.Diagnostics;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Robustness;

/// <summary>
/// Many control connections sending at once to many clients: every <c>OK n</c> is matched by n frames,
/// each client gets each control connection's messages in command order, and none twice.
/// </summary>
[TestFixture, NonParallelizable]
public sealed class NothingLostTests
{
    private const int ControlConnections = 4;
    private const string End = "END";

    private static readonly int Clients = LoadSize.Scaled(200, LoadSize.MaxConnections / 2);
    private static readonly int Commands = LoadSize.Scaled(100_000);

    [Test, CancelAfter(180_000)]
    public async Task Every_ok_n_is_matched_by_n_frames_in_command_order_and_none_twice(CancellationToken ct)
    {
        await using RelayFixture relay = RelayFixture.Start(o => o with { LogLevel = RawRelay.Diagnostics.LogLevel.Info });
        RawWebSocketClient[] clients = [];
        try
        {
            clients = await ClientSwarm.ConnectAsync(relay.Port, Clients, i => $"lost-{i}", ct);
            Task<List<(int Control, int Seq)>>[] received = clients
                .Select(client => Task.Run(() => ReceiveUntilEndAsync(client, ct), ct)).ToArray();

            // Control connection k sends command j to client (j * 7 + k) % Clients, message "k:j".
            var controls = Enumerable.Range(0, ControlConnections).Select(_ => relay.OpenControl()).ToArray();
            int perControl = Commands / ControlConnections;
            string[][] replies = await Task.WhenAll(controls.Select((control, k) => control.PipelineAsync(
                Enumerable.Range(0, perControl).Select(j => $"SEND MESSAGE lost-{Target(k, j)} {k}:{j}").ToArray(), ct)))
                .WithTimeout(TimeSpan.FromSeconds(120));
            string[] ends = await controls[0].PipelineAsync(Enumerable.Range(0, Clients).Select(i => $"SEND MESSAGE lost-{i} {End}").ToArray(), ct);
            ends.Should().OnlyContain(r => r == "OK 1");
            foreach (ControlClient control in controls)
                control.Dispose();

            List<(int Control, int Seq)>[] got = await Task.WhenAll(received).WithTimeout(TimeSpan.FromSeconds(60));
            long framesPromised = 0;
            for (int k = 0; k < ControlConnections; k++)
            {
                for (int j = 0; j < perControl; j++)
                {
                    replies[k][j].Should().MatchRegex("^OK [01]$");
                    framesPromised += int.Parse(replies[k][j][3..], CultureInfo.InvariantCulture);
                }
            }

            framesPromised.Should().Be((long)perControl * ControlConnections, "every client stayed connected");
            got.Sum(messages => (long)messages.Count).Should().Be(framesPromised);
            for (int i = 0; i < Clients; i++)
            {
                for (int k = 0; k < ControlConnections; k++)
                {
                    int[] sequence = got[i].Where(m => m.Control == k).Select(m => m.Seq).ToArray();
                    int[] expected = Enumerable.Range(0, perControl).Where(j => Target(k, j) == i).ToArray();
                    sequence.Should().Equal(expected, $"client {i} gets control connection {k}'s messages once each, in command order");
                }
            }
        }
        finally
        {
            await ClientSwarm.DisposeAllAsync(clients);
        }
    }

    private static int Target(int control, int seq) => (int)(((long)seq * 7 + control) % Clients);

    /// <summary>Every "k:j" message up to END, in arrival order.</summary>
    private static async Task<List<(int Control, int Seq)>> ReceiveUntilEndAsync(RawWebSocketClient client, CancellationToken ct)
    {
        var messages = new List<(int, int)>();
        while (true)
        {
            string text = await client.ReceiveTextAsync(ct);
            if (text == End)
                return messages;
            int colon = text.IndexOf(':');
            messages.Add((int.Parse(text[..colon], CultureInfo.InvariantCulture), int.Parse(text[(colon + 1)..], CultureInfo.InvariantCulture)));
        }
    }
}
