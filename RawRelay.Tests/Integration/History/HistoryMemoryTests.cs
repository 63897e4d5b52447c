using System.Globalization;
using System.Text;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration.History;

/// <summary>
/// History's memory at 10,000 streams with <c>--history 100</c> (README, Limits): what it counts (STATS
/// <c>history_bytes</c>) is the README's formula, one entry per kept message of 120 bytes plus its rawrelay.v1
/// frame, and what the relay process really holds grows with it, not beyond.
/// </summary>
[TestFixture, NonParallelizable]
public sealed class HistoryMemoryTests
{
    private const int Streams = 10_000;
    private const int PerStream = 100;
    private const int Payload = 64;

    [Test, CancelAfter(180_000)]
    public async Task Ten_thousand_streams_of_100_messages_cost_what_the_formula_says(CancellationToken ct)
    {
        await using RelayProcess relay = await RelayProcess.StartOnLoopbackAsync(
            ["--history", PerStream.ToString(CultureInfo.InvariantCulture), "--history-memory", (1L << 30).ToString(CultureInfo.InvariantCulture)], ct);
        using ControlClient control = relay.OpenControl();
        string[] positions = await control.PipelineAsync(Enumerable.Range(0, Streams).Select(i => $"POSITION s{i}").ToArray(), ct);
        long before = relay.ResidentBytes;
        string payload = new('p', Payload);
        for (int round = 0; round < PerStream; round++)
            await control.PipelineAsync(Enumerable.Range(0, Streams).Select(i => $"PUBLISH MESSAGE s{i} {payload}").ToArray(), ct);
        (List<string> stats, _) = await control.CommandWithDataAsync("STATS", ct);
        long after = relay.ResidentBytes;

        long counted = Stat(stats, "history_bytes");
        Stat(stats, "history_messages").Should().Be((long)Streams * PerStream);
        // The formula (README): each kept message costs 120 bytes plus its v1 frame: a 2-byte frame header, the
        // header line "<stream> <epoch>:<offset>\n", the payload; each stream also holds a pin (120 bytes).
        long expected = 0;
        for (int i = 0; i < Streams; i++)
        {
            string epoch = positions[i]["OK ".Length..].Split(':')[0];
            for (int offset = 1; offset <= PerStream; offset++)
                expected += 120 + 2 + Encoding.ASCII.GetByteCount($"s{i} {epoch}:{offset}\n") + Payload;
            expected += 120;
        }

        counted.Should().Be(expected, "history_bytes is the README's formula");
        TestContext.Out.WriteLine($"{Streams * PerStream:#,0} messages kept: history_bytes {counted >> 20} MiB, " +
            $"relay RSS {before >> 20} -> {after >> 20} MiB (+{(after - before) >> 20} MiB)");
        (after - before).Should().BeLessThan(counted + counted / 4 + (32L << 20), "what the relay holds grows with what history counts");
    }

    private static long Stat(List<string> stats, string name) =>
        long.Parse(stats.Single(s => s.StartsWith(name + " ", StringComparison.Ordinal))[(name.Length + 1)..], CultureInfo.InvariantCulture);
}
