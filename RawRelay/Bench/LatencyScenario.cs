using System.Diagnostics;
using System.Text;

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
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(total / (double)options.Rate + 10));
        pool.Expect(total, keepLatencies: true);
        Task replies = control.ReadStatusesAsync(total, timeout.Token);
        var sender = new Thread(() => SendPaced(control, options, timeout.Token)) { IsBackground = true, Name = "bench latency sender" };
        sender.Start();
        bool complete = await BenchContext.Completes(Task.WhenAll(replies, pool.AllArrived), timeout.Token).ConfigureAwait(false);
        await timeout.CancelAsync().ConfigureAwait(false);
        sender.Join();
        long[] latencies = pool.SortedLatencies();
        if (!complete || latencies.Length == 0)
        {
            context.Report.Note($"latency: incomplete: {pool.Messages} of {total} messages, {control.Ok} replies ({pool.FirstProblem})");
        }
        else
        {
            string at = $"at {options.Rate:#,0} SENDs/s with {options.Clients:#,0} clients";
            context.Report.Add($"latency p50 {at}", latencies[latencies.Length / 2] / 1e3, "µs", "latency_p50_us");
            context.Report.Add($"latency p99 {at}", latencies[(int)(latencies.Length * 0.99)] / 1e3, "µs", "latency_p99_us");
            context.Report.Add($"latency max {at}", latencies[^1] / 1e3, "µs", "latency_max_us");
        }

        await context.DrainAsync(pool).ConfigureAwait(false);
    }

    /// <summary>Writes the commands that are due, about every half millisecond, each stamped as written.</summary>
    private static void SendPaced(ControlChannel control, BenchOptions options, CancellationToken ct)
    {
        var random = new Random();
        string padding = new('x', Math.Max(0, options.PayloadBytes - LatencyStamp.Length));
        var line = new StringBuilder();
        byte[] buffer = new byte[64 * 1024];
        long start = Stopwatch.GetTimestamp();
        int sent = 0;
        while (sent < options.LatencyMessages && !ct.IsCancellationRequested)
        {
            int due = (int)Math.Min(options.LatencyMessages, Stopwatch.GetElapsedTime(start).TotalSeconds * options.Rate + 1) - sent;
            if (due <= 0)
            {
                Thread.Sleep(TimeSpan.FromMicroseconds(500));
                continue;
            }

            int length = 0;
            long now = Stopwatch.GetTimestamp();
            for (int i = 0; i < due && length < buffer.Length - 256 - options.PayloadBytes; i++, sent++)
            {
                line.Clear().Append("SEND MESSAGE c").Append(random.Next(options.Clients)).Append(' ');
                length += Encoding.ASCII.GetBytes(line.ToString(), buffer.AsSpan(length));
                LatencyStamp.Write(buffer.AsSpan(length), now);
                length += LatencyStamp.Length;
                length += Encoding.ASCII.GetBytes(padding, buffer.AsSpan(length));
                buffer[length++] = (byte)'\n';
            }

            control.Write(buffer.AsSpan(0, length));
        }
    }
}
