using System.Diagnostics;
using System.Text;

namespace RawRelay.Bench;

/// <summary>
/// What every scenario shares: the options, the relay under test, the report, and the steps the shared
/// harness repeats (connect fresh clients, pipeline commands and time the deliveries, wait until the relay
/// has let go of every connection). Not thread-safe: scenarios run one after another.
/// </summary>
internal sealed class BenchContext
{
    public BenchContext(BenchOptions options, RelayUnderTest relay, BenchReport report, CancellationToken ct)
    {
        Options = options;
        Relay = relay;
        Report = report;
        Ct = ct;
    }

    public BenchOptions Options { get; }

    public RelayUnderTest Relay { get; }

    public BenchReport Report { get; }

    public CancellationToken Ct { get; }

    public TimeSpan Timeout => TimeSpan.FromSeconds(Options.Timeout);

    /// <summary>Connects <c>--clients</c> fresh clients; returns them and the handshakes per second.</summary>
    public async Task<(ClientPool Pool, double HandshakesPerSecond)> ConnectAsync(string scenario)
    {
        var pool = new ClientPool(Options, Relay.Port);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(Timeout);
        double seconds = await pool.ConnectAllAsync(timeout.Token).ConfigureAwait(false);
        if (pool.Failed > 0)
            Report.Note($"{scenario}: {pool.Failed} of {Options.Clients} connections failed (first: {pool.FirstProblem})");
        return (pool, pool.Open / seconds);
    }

    /// <summary>
    /// Writes <paramref name="commands"/> to the control socket at once and waits for
    /// <paramref name="expectedMessages"/> messages at the clients and one reply per command. Returns the
    /// seconds from the first byte written to the last message received, or null when incomplete.
    /// </summary>
    public async Task<double?> PipelineAsync(string scenario, ClientPool pool, byte[] commands, int commandCount, long expectedMessages)
    {
        using ControlChannel control = await ControlChannel.ConnectAsync(Relay.ControlPath, Ct).ConfigureAwait(false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(Timeout);
        pool.Expect(expectedMessages, keepLatencies: false);
        long start = Stopwatch.GetTimestamp();
        Task replies = control.ReadStatusesAsync(commandCount, timeout.Token);
        await control.WriteAsync(commands, timeout.Token).ConfigureAwait(false);
        bool complete = await Completes(Task.WhenAll(replies, pool.AllArrived), timeout.Token).ConfigureAwait(false);
        if (!complete || pool.ClosedByServer > 0 || control.Errors > 0)
        {
            Report.Note($"{scenario}: incomplete: {pool.Messages} of {expectedMessages} messages, {control.Ok} OK and " +
                $"{control.Errors} ERR of {commandCount} replies, {pool.ClosedByServer} closed by the relay ({pool.FirstProblem})");
            return null;
        }

        if (control.OkSum != expectedMessages)
            Report.Note($"{scenario}: the OK replies add up to {control.OkSum}, expected {expectedMessages}");
        return Stopwatch.GetElapsedTime(start, pool.LastMessageAt).TotalSeconds;
    }

    /// <summary>Closes the clients, then waits (up to 30 s) until the relay lists no connection.</summary>
    public async Task DrainAsync(ClientPool pool)
    {
        pool.Dispose();
        using ControlChannel control = await ControlChannel.ConnectAsync(Relay.ControlPath, Ct).ConfigureAwait(false);
        var waited = Stopwatch.StartNew();
        long count = -1;
        while (waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            count = await control.CountAsync("LIST WEBSOCKETS", Ct).ConfigureAwait(false);
            if (count == 0)
                return;
            await Task.Delay(TimeSpan.FromMilliseconds(200), Ct).ConfigureAwait(false);
        }

        Report.Note($"connections not drained after 30 s (LIST: {count})");
    }

    /// <summary>A payload of <c>--payload-bytes</c> bytes of 'x'.</summary>
    public string Payload() => new('x', Options.PayloadBytes);

    public static byte[] Ascii(StringBuilder text) => Encoding.ASCII.GetBytes(text.ToString());

    /// <summary>Whether <paramref name="task"/> completes before <paramref name="ct"/> fires.</summary>
    public static async Task<bool> Completes(Task task, CancellationToken ct)
    {
        try
        {
            await task.WaitAsync(ct).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or System.Net.Sockets.SocketException)
        {
            return false;
        }
    }
}
