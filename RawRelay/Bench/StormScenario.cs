using System.Diagnostics;

namespace RawRelay.Bench;

/// <summary>
/// Storm (issue 13), as the shared harness's <c>storm</c>: client i offers <c>rawrelay.v1</c> with
/// <c>?id=c&lt;i&gt;&amp;channel=st&lt;i mod C&gt;</c>. <b>Live</b>: C x M <c>PUBLISH MESSAGE st&lt;k&gt;</c>
/// pipelined (M = <c>--storm-messages</c> per channel), timed from the first byte written to the read that
/// completed the last client; each client keeps the last position of its header lines. Then every client
/// leaves (close 1000), the bench waits until LIST WEBSOCKETS is back at its count from before, and
/// publishes C x M more while nobody is connected (each answered <c>OK 0</c>). <b>Storm</b>: all reconnect at
/// once (at most <c>--in-flight</c> handshakes) with <c>&amp;since=st&lt;k&gt;%20&lt;epoch&gt;:&lt;offset&gt;</c>,
/// timed from the first connect to the read that gave the last client its M-th missed message. Each client
/// must get exactly offsets last+1 .. last+M, once, in order, in its epoch, and no <c>!reset</c>. Figures:
/// live s, storm s, storm / live (issue 13: at most 3). The relay needs <c>--history</c> at least M.
/// </summary>
internal static class StormScenario
{
    public static async Task RunAsync(BenchContext context)
    {
        BenchOptions options = context.Options;
        int channels = options.Channels;
        int m = options.StormMessages;
        if (!context.Relay.StartedByBench)
            context.Report.Note($"storm: the relay on port {context.Relay.Port} must run with --history {m} or more (else it answers the resume with !reset)");
        long before = await context.CountConnectionsAsync().ConfigureAwait(false);
        var live = new StormCheck(options.Clients, channels, m);
        (ClientPool pool, _) = await context.ConnectAsync("storm", ClientRequest.OnChannel(StormCheck.Prefix, channels, offerV1: true)).ConfigureAwait(false);
        int[] open = ChannelCommands.OpenPerChannel(pool, options.Clients, channels);
        byte[] commands = ChannelCommands.Interleaved(StormCheck.Prefix, channels, m, 0, options.PayloadBytes);
        double? liveSeconds = await context.PublishCheckedAsync("storm live", pool, live, commands, ChannelCommands.ReplyCounts(open, channels * m)).ConfigureAwait(false);
        if (liveSeconds is not { } liveS)
        {
            await context.DrainAsync(pool).ConfigureAwait(false);
            return;
        }

        string clients = $"{options.Clients:#,0} rawrelay.v1 clients";
        context.Report.Add($"storm live: {channels} x {m} PUBLISH pipelined to {clients} in {channels} channels", liveS, "s", "storm_live_s", 3);
        pool.CloseAll();
        long left = await context.WaitForConnectionsAsync(before, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50)).ConfigureAwait(false);
        if (left != before)
            context.Report.Note($"storm: LIST WEBSOCKETS at {left} 10 s after every client left, want {before}");
        await PublishWhileAwayAsync(context, ChannelCommands.Interleaved(StormCheck.Prefix, channels, m, m, options.PayloadBytes), channels * m).ConfigureAwait(false);

        StormCheck missed = live.NextPhase();
        long start = Stopwatch.GetTimestamp();
        (pool, _) = await context.ConnectAsync("storm reconnect", new ClientRequest(live.SinceQuery, OfferV1: true), missed).ConfigureAwait(false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.Ct);
        timeout.CancelAfter(context.Timeout);
        bool inTime = await BenchContext.Completes(missed.AllSettled, timeout.Token).ConfigureAwait(false);
        await Task.Delay(BenchContext.Grace, context.Ct).ConfigureAwait(false);
        pool.Watch(null);
        if (context.Verdict("storm", inTime, missed, null, 0))
        {
            double stormS = Stopwatch.GetElapsedTime(start, missed.LastDoneAt).TotalSeconds;
            context.Report.Add($"storm: {clients} reconnect at once with since=, until each has its {m} missed", stormS, "s", "storm_s", 3);
            context.Report.Add("storm / live (issue 13: at most 3)", stormS / liveS, "x", "storm_ratio", 2);
        }

        await context.DrainAsync(pool).ConfigureAwait(false);
    }

    /// <summary>The C x M PUBLISH while nobody is connected: each should be answered OK 0; otherwise a note.</summary>
    private static async Task PublishWhileAwayAsync(BenchContext context, byte[] commands, int count)
    {
        using ControlChannel control = await ControlChannel.ConnectAsync(context.Relay.ControlPath, context.Ct).ConfigureAwait(false);
        control.ExpectCounts(new long[count]);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.Ct);
        timeout.CancelAfter(context.Timeout);
        CancellationToken ct = timeout.Token;
        Task replies = control.ReadStatusesAsync(count, ct);
        await control.WriteAsync(commands, ct).ConfigureAwait(false);
        bool answered = await BenchContext.Completes(replies, ct).ConfigureAwait(false);
        if (!answered || control.WrongReplies > 0)
        {
            context.Report.Note($"storm: of {count:#,0} PUBLISH while nobody was connected, {control.Ok + control.Errors:#,0} answered, " +
                $"{control.WrongReplies:#,0} not OK 0 (first: {control.FirstWrongReply})");
        }
    }
}
