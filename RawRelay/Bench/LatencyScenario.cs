namespace RawRelay.Bench;

/// <summary>
/// Latency: <c>--latency-messages</c> <c>SEND MESSAGE</c> commands to random ids at <c>--rate</c> per
/// second; each payload starts with the monotonic clock at write time, and the latency is taken at the
/// read that delivered the frame. Reports p50, p99 and max.
/// </summary>
internal static class LatencyScenario
{
    public static async Task RunAsync(BenchContext context)
    {
        (ClientPool pool, _) = await context.ConnectAsync("latency").ConfigureAwait(false);
        BenchOptions options = context.Options;
        int total = options.LatencyMessages;
        using ControlChannel control = await ControlChannel.ConnectAsync(context.Relay.ControlPath, context.Ct).ConfigureAwait(false);
        pool.Expect(total, keepLatencies: true);
        var random = new Random();
        bool complete = await PacedSender.RunAsync(control, total, options.Rate, options.PayloadBytes,
            _ => $"SEND MESSAGE c{random.Next(options.Clients)} ", _ => "", pool.AllArrived, context.Ct).ConfigureAwait(false);
        long[] latencies = pool.SortedLatencies();
        if (!complete || latencies.Length == 0)
        {
            context.Report.Note($"latency: incomplete: {pool.Messages} of {total} messages, {control.Ok} replies ({pool.FirstProblem})");
        }
        else
        {
            context.Report.AddLatencies("latency", $"at {options.Rate:#,0} SENDs/s with {options.Clients:#,0} clients", "latency", latencies);
        }

        await context.DrainAsync(pool).ConfigureAwait(false);
    }
}
