using System.Diagnostics;

namespace RawRelay.Bench;

/// <summary>
/// Runs <c>rawrelay bench</c>: starts (or finds) the relay, runs the chosen scenarios one after another
/// with fresh clients each, and prints one table. Like the shared harness, every scenario connects its own
/// clients and waits until the relay has dropped them before the next one starts. A relay the bench starts
/// keeps <c>--history</c> of <c>--storm-messages</c> per stream (what the storm's resume needs), whichever
/// scenarios run, so that figures of runs with other scenario lists stay comparable.
/// </summary>
internal static class BenchRunner
{
    public static async Task<int> RunAsync(BenchOptions options, TextWriter output, CancellationToken ct)
    {
        using RelayUnderTest relay = options.TargetPort is { } port
            ? RelayUnderTest.Existing(port, options.TargetControl!, options.RelayPid)
            : RelayUnderTest.Start(RelayArguments(options));
        if (!await relay.WaitUntilReadyAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false))
        {
            Console.Error.WriteLine($"rawrelay bench: the relay on port {relay.Port} and {relay.ControlPath} did not answer within 30 s");
            return 1;
        }

        await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
        long? fresh = relay.ResidentBytes();
        var report = new BenchReport();
        var context = new BenchContext(options, relay, report, ct);
        var total = Stopwatch.StartNew();
        if (options.Scenarios.HasFlag(BenchScenarios.Connect))
            await ConnectScenario.RunAsync(context, fresh).ConfigureAwait(false);
        if (options.Scenarios.HasFlag(BenchScenarios.Fanout))
            await FanoutScenario.RunAsync(context).ConfigureAwait(false);
        if (options.Scenarios.HasFlag(BenchScenarios.Send))
            await SendScenario.RunAsync(context).ConfigureAwait(false);
        if (options.Scenarios.HasFlag(BenchScenarios.Latency))
            await LatencyScenario.RunAsync(context).ConfigureAwait(false);
        if (options.Scenarios.HasFlag(BenchScenarios.Channels))
            await ChannelsScenario.RunAsync(context).ConfigureAwait(false);
        if (options.Scenarios.HasFlag(BenchScenarios.Storm))
            await StormScenario.RunAsync(context).ConfigureAwait(false);
        if (fresh is { } freshBytes)
            report.Add("relay RSS when fresh", freshBytes / 1e6, "MB", "rss_fresh_mb");
        if (relay.PeakResidentBytes() is { } peak)
            report.Add("relay peak RSS (VmHWM)", peak / 1e6, "MB", "rss_peak_mb");
        if (relay.Pid is null)
            report.Note("relay memory not measured: give --relay-pid to read it from /proc/PID/status");

        string who = relay.StartedByBench
            ? $"relay pid {relay.Pid} started by the bench with {string.Join(' ', RelayArguments(options))}"
            : $"relay on port {relay.Port}" + (relay.Pid is { } pid ? $", pid {pid}" : "");
        report.Print(output, $"rawrelay bench: {options.Clients:#,0} clients from {options.Sources} source addresses, " +
            $"{Environment.ProcessorCount} cores, {who}, {total.Elapsed.TotalSeconds:0} s");
        return 0;
    }

    /// <summary>What the bench adds to a relay it starts: history for the storm, then the caller's arguments.</summary>
    public static string[] RelayArguments(BenchOptions options) =>
        ["--history", options.StormMessages.ToString(System.Globalization.CultureInfo.InvariantCulture), .. options.RelayArguments];
}
