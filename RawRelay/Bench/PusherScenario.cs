using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using RawRelay.Pusher;

namespace RawRelay.Bench;

/// <summary>
/// Pusher against native fan-out (issue 17: a Pusher event to a 10,000-subscriber channel keeps at least 80%
/// of the native channel fan-out rate). First <c>--clients</c> native clients on one channel get
/// <c>--messages</c> pipelined <c>PUBLISH MESSAGE</c>; then as many Pusher clients (<c>/app/&lt;key&gt;</c>,
/// <c>pusher:subscribe</c>) on another channel get the same number of events of the same payload through the
/// HTTP API, in signed <c>batch_events</c>: once all in one request (as the native commands are pipelined),
/// once in requests of 10 (Pusher's own batch limit), one after another. Each rate is deliveries / (first byte
/// written to last message received).
/// </summary>
internal static class PusherScenario
{
    public static readonly PusherApp App = new("bench", "benchkey", "benchsecret");

    public static string AppOption => $"{App.AppId}:{App.Key}:{App.Secret}";

    /// <summary>Events one batch_events may hold at Pusher (the relay takes up to 100).</summary>
    private const int PusherBatchLimit = 10;

    public static async Task RunAsync(BenchContext context)
    {
        BenchOptions options = context.Options;
        int messages = options.Messages;
        string payload = context.Payload();

        (ClientPool native, _) = await context.ConnectAsync("pusher-native", ClientRequest.OnChannel("pn", 1)).ConfigureAwait(false);
        var commands = new StringBuilder();
        for (int i = 0; i < messages; i++)
            commands.Append("PUBLISH MESSAGE pn0 ").Append(payload).Append('\n');
        long nativeExpected = (long)native.Open * messages;
        double? cpuBefore = context.Relay.CpuSeconds();
        double? nativeSeconds = await context.PipelineAsync("pusher-native", native, BenchContext.Ascii(commands), messages, nativeExpected).ConfigureAwait(false);
        double? nativeCpu = CpuPerDelivery(context, cpuBefore, nativeExpected);
        double? nativeRate = nativeSeconds is { } ns ? nativeExpected / ns : null;
        if (nativeRate is { } nr)
            context.Report.Add($"native channel deliveries per second ({native.Open:#,0} clients on 1 channel, {messages} x {options.PayloadBytes} B PUBLISH pipelined)",
                nr, "/s", "pusher_native_deliveries_per_s");
        if (nativeSeconds is not null && nativeCpu is { } nc)
            context.Report.Add("relay CPU per delivery, native PUBLISH pipelined", nc, "ns", "pusher_native_cpu_ns");
        await context.DrainAsync(native).ConfigureAwait(false);
        double? sequentialRate = await NativeOneAtATimeAsync(context, payload).ConfigureAwait(false);

        foreach (int batchSize in (int[])[PusherApi.MaxBatch, PusherBatchLimit, 1])
        {
            if (await PusherPhaseAsync(context, payload, batchSize).ConfigureAwait(false) is not ({ } rate, var cpu))
                continue;
            string batches = batchSize >= messages ? $"one batch_events of {messages}" : $"batch_events of {batchSize}, one after another";
            context.Report.Add($"Pusher event deliveries per second ({options.Clients:#,0} Pusher clients on 1 channel, {messages} x {options.PayloadBytes} B events in {batches})",
                rate, "/s", $"pusher_batch{batchSize}_deliveries_per_s");
            if ((batchSize == 1 ? sequentialRate : nativeRate) is { } baseline)
                context.Report.Add(batchSize == 1 ? "Pusher rate / native rate, one event a request / one PUBLISH a round trip"
                    : $"Pusher rate / native pipelined rate, batch_events of {batchSize}", 100 * rate / baseline, "%", $"pusher_batch{batchSize}_vs_native_pct");
            if (cpu is not { } pc)
                continue;
            context.Report.Add($"relay CPU per delivery, Pusher batch_events of {batchSize}", pc, "ns", $"pusher_batch{batchSize}_cpu_ns");
            // The relay's own cost, whatever share of the cores the load generator took: the rate the Pusher
            // path keeps of the native one on a machine where the relay has the cores to itself.
            if (batchSize > 1 && nativeCpu is { } nativeNs and > 0 && pc > 0 && nativeSeconds is not null)
                context.Report.Add($"native / Pusher relay CPU per delivery, batch_events of {batchSize}", 100 * nativeNs / pc, "%", $"pusher_batch{batchSize}_cpu_vs_native_pct");
        }
    }

    /// <summary>
    /// Native clients on a channel get <c>--messages</c> PUBLISH sent one at a time, each after the previous
    /// one's <c>OK</c> (as PHP publishes, one command a request): the baseline of one Pusher event a request.
    /// </summary>
    private static async Task<double?> NativeOneAtATimeAsync(BenchContext context, string payload)
    {
        int messages = context.Options.Messages;
        (ClientPool pool, _) = await context.ConnectAsync("pusher-native-sequential", ClientRequest.OnChannel("ps", 1)).ConfigureAwait(false);
        try
        {
            using ControlChannel control = await ControlChannel.ConnectAsync(context.Relay.ControlPath, context.Ct).ConfigureAwait(false);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.Ct);
            timeout.CancelAfter(context.Timeout);
            long expected = (long)pool.Open * messages;
            pool.Expect(expected, keepLatencies: false);
            byte[] command = Encoding.ASCII.GetBytes($"PUBLISH MESSAGE ps0 {payload}\n");
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < messages; i++)
            {
                Task reply = control.ReadStatusesAsync(i + 1, timeout.Token);   // counts every reply so far
                await control.WriteAsync(command, timeout.Token).ConfigureAwait(false);
                await reply.ConfigureAwait(false);
            }

            if (!await BenchContext.Completes(pool.AllArrived, timeout.Token).ConfigureAwait(false) || pool.ClosedByServer > 0)
            {
                context.Report.Note($"pusher-native-sequential: incomplete: {pool.Messages:#,0} of {expected:#,0} messages");
                return null;
            }

            double rate = expected / Stopwatch.GetElapsedTime(start, pool.LastMessageAt).TotalSeconds;
            context.Report.Add($"native channel deliveries per second ({pool.Open:#,0} clients on 1 channel, {messages} x {context.Options.PayloadBytes} B PUBLISH, one a round trip)",
                rate, "/s", "pusher_native_sequential_deliveries_per_s");
            return rate;
        }
        finally
        {
            await context.DrainAsync(pool).ConfigureAwait(false);
        }
    }

    /// <summary>The relay's CPU nanoseconds per delivery since <paramref name="before"/>; null when its CPU time cannot be read.</summary>
    private static double? CpuPerDelivery(BenchContext context, double? before, long deliveries) =>
        before is { } b && context.Relay.CpuSeconds() is { } after && deliveries > 0 ? (after - b) * 1e9 / deliveries : null;

    /// <summary>
    /// Fresh Pusher clients on a channel of their own get <c>--messages</c> events through the HTTP API; their
    /// rate and the relay's CPU per delivery, or null.
    /// </summary>
    private static async Task<(double Rate, double? Cpu)?> PusherPhaseAsync(BenchContext context, string payload, int batchSize)
    {
        int messages = context.Options.Messages;
        string channel = "pp" + batchSize;
        (ClientPool pusher, _) = await context.ConnectAsync("pusher", ClientRequest.Pusher(channel)).ConfigureAwait(false);
        try
        {
            if (!await SubscribedAsync(context, channel, pusher.Open).ConfigureAwait(false))
            {
                context.Report.Note($"pusher: not all {pusher.Open:#,0} clients were on the channel within {context.Options.Timeout:0.#} s");
                return null;
            }

            long expected = (long)pusher.Open * messages;
            pusher.Expect(expected, keepLatencies: false);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.Ct);
            timeout.CancelAfter(context.Timeout);
            long start = Stopwatch.GetTimestamp();
            double? cpuBefore = context.Relay.CpuSeconds();
            for (int sent = 0; sent < messages; sent += batchSize)
            {
                int status = await PostBatchAsync(context.Relay.Port, channel, payload, Math.Min(batchSize, messages - sent), timeout.Token).ConfigureAwait(false);
                if (status != 200)
                {
                    context.Report.Note($"pusher: batch_events answered {status}");
                    return null;
                }
            }

            bool complete = await BenchContext.Completes(pusher.AllArrived, timeout.Token).ConfigureAwait(false);
            if (!complete || pusher.ClosedByServer > 0)
            {
                context.Report.Note($"pusher: incomplete: {pusher.Messages:#,0} of {expected:#,0} events, {pusher.ClosedByServer} closed by the relay ({pusher.FirstProblem})");
                return null;
            }

            return (expected / Stopwatch.GetElapsedTime(start, pusher.LastMessageAt).TotalSeconds, CpuPerDelivery(context, cpuBefore, expected));
        }
        finally
        {
            await context.DrainAsync(pusher).ConfigureAwait(false);
        }
    }

    /// <summary>A client's masked (zero mask) text frame with <c>pusher:subscribe</c> for <paramref name="channel"/>.</summary>
    public static byte[] SubscribeFrame(string channel)
    {
        byte[] json = Encoding.ASCII.GetBytes($"{{\"event\":\"pusher:subscribe\",\"data\":{{\"channel\":\"{channel}\"}}}}");
        var frame = new byte[6 + json.Length];        // short payload: 7-bit length, 4 bytes of zero mask
        frame[0] = 0x81;
        frame[1] = (byte)(0x80 | json.Length);
        json.CopyTo(frame, 6);
        return frame;
    }

    /// <summary>Polls <c>LIST WEBSOCKETS &lt;channel&gt;</c> until <paramref name="count"/> connections are on it.</summary>
    private static async Task<bool> SubscribedAsync(BenchContext context, string channel, int count)
    {
        using ControlChannel control = await ControlChannel.ConnectAsync(context.Relay.ControlPath, context.Ct).ConfigureAwait(false);
        var waited = Stopwatch.StartNew();
        while (await control.CountAsync("LIST WEBSOCKETS " + channel, context.Ct).ConfigureAwait(false) < count)
        {
            if (waited.Elapsed > context.Timeout)
                return false;
            await Task.Delay(50, context.Ct).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>One signed <c>POST /apps/&lt;id&gt;/batch_events</c> on a connection of its own; its status.</summary>
    private static async Task<int> PostBatchAsync(int port, string channel, string payload, int events, CancellationToken ct)
    {
        var body = new StringBuilder("{\"batch\":[");
        for (int i = 0; i < events; i++)
            body.Append(i == 0 ? "" : ",").Append("{\"name\":\"bench\",\"channel\":\"").Append(channel).Append("\",\"data\":\"").Append(payload).Append("\"}");
        byte[] bytes = Encoding.ASCII.GetBytes(body.Append("]}").ToString());
        string path = $"/apps/{App.AppId}/batch_events";
        var query = new Dictionary<string, string>
        {
            ["auth_key"] = App.Key,
            ["auth_timestamp"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            ["auth_version"] = "1.0",
            ["body_md5"] = PusherSignatures.BodyMd5(bytes),
        };
        string signature = PusherSignatures.Sign(App.Secret, PusherSignatures.RequestSigned("POST", path, query));
        string head = $"POST {path}?{string.Join('&', query.Select(p => p.Key + "=" + p.Value))}&auth_signature={signature} HTTP/1.1\r\n" +
            $"Host: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n";
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), ct).ConfigureAwait(false);
        await socket.SendAsync((byte[])[.. Encoding.ASCII.GetBytes(head), .. bytes], SocketFlags.None, ct).ConfigureAwait(false);
        byte[] answer = new byte[64];
        int filled = 0;
        while (filled < 12)
        {
            int read = await socket.ReceiveAsync(answer.AsMemory(filled), SocketFlags.None, ct).ConfigureAwait(false);
            if (read == 0)
                return 0;
            filled += read;
        }

        return int.TryParse(Encoding.ASCII.GetString(answer, 9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out int status) ? status : 0;
    }
}
