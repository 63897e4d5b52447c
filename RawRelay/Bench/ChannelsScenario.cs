namespace RawRelay.Bench;

/// <summary>
/// Channels (issue 12), as the shared harness's <c>chanfanout</c>: client i connects with
/// <c>?id=c&lt;i&gt;&amp;channel=ch&lt;i mod C&gt;</c>, then <c>--publishes</c> rounds of one
/// <c>PUBLISH MESSAGE</c> per channel (ch0 .. ch&lt;C-1&gt;, then again) are written at once; deliveries per
/// second = clients x publishes / (first byte written to the read that completed the last client). Every
/// reply must be <c>OK &lt;clients on that channel&gt;</c> and every client must get exactly its channel's
/// messages, once, in order. Then, on the same connections, <c>--latency-publishes</c> stamped PUBLISH at
/// <c>--publish-rate</c> per second, round-robin over the channels: p50, p99 and max of the latency from
/// the write of a PUBLISH to each client's read of it, checked the same way.
/// </summary>
internal static class ChannelsScenario
{
    public static async Task RunAsync(BenchContext context)
    {
        BenchOptions options = context.Options;
        (ClientPool pool, _) = await context.ConnectAsync("channels", ClientRequest.OnChannel(ChannelCheck.Prefix, options.Channels)).ConfigureAwait(false);
        int[] open = ChannelCommands.OpenPerChannel(pool, options.Clients, options.Channels);
        await ThroughputAsync(context, pool, open).ConfigureAwait(false);
        await LatencyAsync(context, pool, open).ConfigureAwait(false);
        await context.DrainAsync(pool).ConfigureAwait(false);
    }

    private static async Task ThroughputAsync(BenchContext context, ClientPool pool, int[] open)
    {
        BenchOptions options = context.Options;
        int channels = options.Channels;
        int publishes = options.Publishes;
        byte[] commands = ChannelCommands.Interleaved(ChannelCheck.Prefix, channels, publishes, 0, options.PayloadBytes);
        var check = new ChannelCheck(options.Clients, [.. Enumerable.Repeat(publishes, channels)], stamped: false);
        double? seconds = await context.PublishCheckedAsync("channels", pool, check, commands, ChannelCommands.ReplyCounts(open, channels * publishes)).ConfigureAwait(false);
        if (seconds is { } s)
        {
            context.Report.Add($"channel deliveries per second ({options.Clients:#,0} clients in {channels} channels, {publishes} x {channels} PUBLISH of {options.PayloadBytes} B pipelined)",
                (double)pool.Open * publishes / s, "/s", "channel_deliveries_per_s");
        }
    }

    private static async Task LatencyAsync(BenchContext context, ClientPool pool, int[] open)
    {
        BenchOptions options = context.Options;
        int channels = options.Channels;
        int total = options.LatencyPublishes;
        int[] perChannel = new int[channels];
        for (int j = 0; j < total; j++)
            perChannel[j % channels]++;
        long deliveries = 0;
        for (int k = 0; k < channels; k++)
            deliveries += (long)open[k] * perChannel[k];
        var check = new ChannelCheck(options.Clients, perChannel, stamped: true);
        using ControlChannel control = await ControlChannel.ConnectAsync(context.Relay.ControlPath, context.Ct).ConfigureAwait(false);
        control.ExpectCounts(ChannelCommands.ReplyCounts(open, total));
        pool.Expect(deliveries, keepLatencies: true);
        pool.Watch(check);
        bool inTime = await PacedSender.RunAsync(control, total, options.PublishRate, options.PayloadBytes,
            j => $"PUBLISH MESSAGE {ChannelCheck.Prefix}{j % channels} ", j => $"{ChannelCheck.Prefix}{j % channels}.{j / channels}.",
            check.AllSettled, context.Ct).ConfigureAwait(false);
        await Task.Delay(BenchContext.Grace, context.Ct).ConfigureAwait(false);
        pool.Watch(null);
        long[] latencies = pool.SortedLatencies();
        if (context.Verdict("channels latency", inTime, check, control, total) && latencies.Length > 0)
        {
            context.Report.AddLatencies("channel latency", $"at {options.PublishRate:#,0} PUBLISH/s to {channels} channels ({options.Clients:#,0} clients)",
                "channel_latency", latencies);
        }
    }
}
