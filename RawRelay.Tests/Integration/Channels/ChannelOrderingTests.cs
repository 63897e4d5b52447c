using System.Globalization;
using System.Text;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration.Channels;

/// <summary>
/// Joining and leaving a channel while publishers run at full speed on other control connections: every
/// PUBLISH written after SUBSCRIBE's reply reaches the connection, in order, none twice, and none written
/// after UNSUBSCRIBE's reply does (SPEC: a command's effects hold for every command started after its
/// status line was read).
/// </summary>
[TestFixture, NonParallelizable]
public sealed class ChannelOrderingTests
{
    [Test, CancelAfter(60_000)]
    public async Task Nothing_is_missed_after_subscribe_and_nothing_arrives_after_unsubscribe(CancellationToken ct)
    {
        await using RelayFixture relay = RelayFixture.Start();
        const string Channel = "live";
        await using RawWebSocketClient watcher = await relay.ConnectAsync("watcher", ct);
        await using var publisher = new Publisher(relay.OpenControl(), Channel);
        Task publishing = publisher.RunAsync(ct);
        using ControlClient control = relay.OpenControl();

        for (int round = 0; round < 5; round++)
        {
            (await control.CommandAsync($"SUBSCRIBE watcher {Channel}", ct)).Should().Be("OK 1");
            long firstOwed = publisher.NextToWrite;          // every one from here on was written after the reply
            long until = firstOwed + 2000;
            await TaskTimeouts.Eventually(() => Task.FromResult(publisher.Replied > until));   // run by the relay, all of them

            (await control.CommandAsync($"UNSUBSCRIBE watcher {Channel}", ct)).Should().Be("OK 1");
            long firstForbidden = publisher.NextToWrite;     // none from here on may arrive
            (await control.CommandAsync($"SEND MESSAGE watcher end-{round}", ct)).Should().Be("OK 1");

            // What came: a contiguous run that covers [firstOwed, until], then the marker; nothing at or past firstForbidden.
            long? previous = null;
            while (true)
            {
                string text = await watcher.ReceiveTextAsync(ct).WithTimeout();
                if (text == $"end-{round}")
                    break;
                long seq = long.Parse(text, CultureInfo.InvariantCulture);
                if (previous is { } p)
                    seq.Should().Be(p + 1, "in order, none missed or twice");
                previous = seq;
                seq.Should().BeLessThan(firstForbidden, "nothing written after UNSUBSCRIBE's reply arrives");
                if (seq < firstOwed)
                    continue;
            }

            previous.Should().NotBeNull();
            previous!.Value.Should().BeGreaterThanOrEqualTo(until, "every PUBLISH written after SUBSCRIBE's reply arrived");
        }

        await publisher.StopAsync();
        await publishing;
    }

    /// <summary>Writes <c>PUBLISH MESSAGE &lt;channel&gt; &lt;seq&gt;</c> as fast as it can, reading the replies meanwhile.</summary>
    private sealed class Publisher(ControlClient control, string channel) : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private long _next;
        private long _replied;

        /// <summary>The sequence number of the next PUBLISH to be written: all below it may have been written already.</summary>
        public long NextToWrite => Interlocked.Read(ref _next);

        /// <summary>How many PUBLISH have been answered: those below this sequence number have been run by the relay.</summary>
        public long Replied => Interlocked.Read(ref _replied);

        public async Task RunAsync(CancellationToken ct)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _stop.Token);
            long written = 0;
            Task reading = Task.Run(async () =>
            {
                for (long read = 0; !linked.IsCancellationRequested || read < Interlocked.Read(ref written); read++)
                {
                    (await control.ReadLineAsync(CancellationToken.None).WithTimeout()).Should().StartWith("OK ");
                    Interlocked.Increment(ref _replied);
                }
            }, CancellationToken.None);
            var chunk = new StringBuilder();
            while (!linked.IsCancellationRequested)
            {
                chunk.Clear();
                long first = Interlocked.Add(ref _next, 50) - 50;     // claimed before they are written
                for (long seq = first; seq < first + 50; seq++)
                    chunk.Append("PUBLISH MESSAGE ").Append(channel).Append(' ').Append(seq).Append('\n');
                await control.WriteAsync(chunk.ToString(), CancellationToken.None);
                Interlocked.Add(ref written, 50);
            }

            await reading;
        }

        public Task StopAsync() => _stop.CancelAsync();

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            control.Dispose();
            _stop.Dispose();
        }
    }
}
