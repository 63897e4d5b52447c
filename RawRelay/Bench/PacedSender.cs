using System.Diagnostics;
using System.Text;

namespace RawRelay.Bench;

/// <summary>
/// The latency scenarios' sender: writes <c>total</c> commands at <c>rate</c> per second on its own
/// thread, about every half millisecond the ones that are due, each payload starting with the monotonic
/// clock at write time (a <see cref="LatencyStamp"/>), so the latency can be taken at the read that
/// delivers it. Each command is its line up to the payload, the stamp, what follows the stamp, and 'x' up to
/// <c>--payload-bytes</c>. The line functions run on the sender thread only.
/// </summary>
internal static class PacedSender
{
    /// <summary>
    /// Sends the commands, and waits (at most total / rate + 10 s) until every reply has come and
    /// <paramref name="delivered"/> completes; false when that did not happen in time.
    /// </summary>
    /// <param name="command">the line up to the payload for command i, e.g. <c>SEND MESSAGE c7 </c></param>
    /// <param name="afterStamp">what the payload of command i carries after its stamp</param>
    public static async Task<bool> RunAsync(ControlChannel control, int total, int rate, int payloadBytes,
        Func<int, string> command, Func<int, string> afterStamp, Task delivered, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(total / (double)rate + 10));
        Task replies = control.ReadStatusesAsync(control.Ok + control.Errors + total, timeout.Token);
        var sender = new Thread(() => Send(control, total, rate, payloadBytes, command, afterStamp, timeout.Token))
        {
            IsBackground = true,
            Name = "bench paced sender",
        };
        sender.Start();
        bool complete = await BenchContext.Completes(Task.WhenAll(replies, delivered), timeout.Token).ConfigureAwait(false);
        await timeout.CancelAsync().ConfigureAwait(false);
        sender.Join();
        return complete;
    }

    private static void Send(ControlChannel control, int total, int rate, int payloadBytes,
        Func<int, string> command, Func<int, string> afterStamp, CancellationToken ct)
    {
        var line = new StringBuilder();
        byte[] buffer = new byte[64 * 1024];
        long start = Stopwatch.GetTimestamp();
        int sent = 0;
        while (sent < total && !ct.IsCancellationRequested)
        {
            int due = (int)Math.Min(total, Stopwatch.GetElapsedTime(start).TotalSeconds * rate + 1) - sent;
            if (due <= 0)
            {
                Thread.Sleep(TimeSpan.FromMicroseconds(500));
                continue;
            }

            int length = 0;
            long now = Stopwatch.GetTimestamp();
            for (int i = 0; i < due && length < buffer.Length - 512 - payloadBytes; i++, sent++)
            {
                length += Encoding.ASCII.GetBytes(command(sent), buffer.AsSpan(length));
                LatencyStamp.Write(buffer.AsSpan(length), now);
                length += LatencyStamp.Length;
                line.Clear().Append(afterStamp(sent));
                line.Append('x', Math.Max(0, payloadBytes - LatencyStamp.Length - line.Length));
                length += Encoding.ASCII.GetBytes(line.ToString(), buffer.AsSpan(length));
                buffer[length++] = (byte)'\n';
            }

            control.Write(buffer.AsSpan(0, length));
        }
    }
}
