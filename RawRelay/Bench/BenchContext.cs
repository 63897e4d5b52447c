using System.Diagnostics;
using System.Text;

namespace RawRelay.Bench;

/// <summary>
/// What every scenario shares: the options, the relay under test, the report, and the steps the shared
/// harness repeats (connect fresh clients, pipeline commands and time the deliveries, check them client by
/// client, wait until the relay has let go of every connection). Not thread-safe: scenarios run one after
/// another.
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

    /// <summary>How long a scenario keeps reading after the last expected message, to catch late extras.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(300);

    public TimeSpan Timeout => TimeSpan.FromSeconds(Options.Timeout);

    /// <summary>
    /// Connects <c>--clients</c> fresh clients; returns them and the handshakes per second. With
    /// <paramref name="check"/>, the clients read from their 101 on and the check judges every message.
    /// </summary>
    public async Task<(ClientPool Pool, double HandshakesPerSecond)> ConnectAsync(string scenario, ClientRequest? request = null, DeliveryCheck? check = null)
    {
        var pool = new ClientPool(Options, Relay.Port, request);
        pool.Watch(check);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(Timeout);
        double seconds = await pool.ConnectAllAsync(timeout.Token, readWhileConnecting: check is not null).ConfigureAwait(false);
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

    /// <summary>
    /// As <see cref="PipelineAsync"/>, for commands whose every reply must be <c>OK want[k]</c> and whose
    /// messages <paramref name="check"/> judges client by client: waits until every reply has come and every
    /// client is settled, reads <see cref="Grace"/> longer for late extras, and returns the seconds from the
    /// first byte written to the read that completed the last client, or null (and a note) when anything
    /// was missing, wrong, twice or extra.
    /// </summary>
    public async Task<double?> PublishCheckedAsync(string scenario, ClientPool pool, DeliveryCheck check, byte[] commands, long[] want)
    {
        using ControlChannel control = await ControlChannel.ConnectAsync(Relay.ControlPath, Ct).ConfigureAwait(false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(Timeout);
        control.ExpectCounts(want);
        pool.Watch(check);
        long start = Stopwatch.GetTimestamp();
        Task replies = control.ReadStatusesAsync(want.Length, timeout.Token);
        await control.WriteAsync(commands, timeout.Token).ConfigureAwait(false);
        bool complete = await Completes(Task.WhenAll(replies, check.AllSettled), timeout.Token).ConfigureAwait(false);
        await Task.Delay(Grace, Ct).ConfigureAwait(false);
        pool.Watch(null);
        return Verdict(scenario, complete, check, control, want.Length) ? Stopwatch.GetElapsedTime(start, check.LastDoneAt).TotalSeconds : null;
    }

    /// <summary>Whether a checked phase is complete and right; otherwise notes what was not.</summary>
    public bool Verdict(string scenario, bool inTime, DeliveryCheck check, ControlChannel? control, long commands)
    {
        if (inTime && check.Passed && (control is null || (control.WrongReplies == 0 && control.Errors == 0)))
            return true;
        string replies = control is null ? "" : control.WrongReplies == 0 && control.Errors == 0
            ? $"; {control.Ok + control.Errors:#,0} of {commands:#,0} replies"
            : $"; {control.WrongReplies:#,0} of {commands:#,0} replies wrong, first: {control.FirstWrongReply}";
        Report.Note($"{scenario}: incomplete{(inTime ? "" : $" after {Options.Timeout:0.#} s")}: {check.Summary()}{replies}");
        return false;
    }

    /// <summary>Closes the clients, then waits (up to 30 s) until the relay lists no connection.</summary>
    public async Task DrainAsync(ClientPool pool)
    {
        pool.Dispose();
        long count = await WaitForConnectionsAsync(0, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200)).ConfigureAwait(false);
        if (count != 0)
            Report.Note($"connections not drained after 30 s (LIST: {count})");
    }

    /// <summary>The relay's connections now, from LIST WEBSOCKETS (-1 for an ERR).</summary>
    public async Task<long> CountConnectionsAsync()
    {
        using ControlChannel control = await ControlChannel.ConnectAsync(Relay.ControlPath, Ct).ConfigureAwait(false);
        return await control.CountAsync("LIST WEBSOCKETS", Ct).ConfigureAwait(false);
    }

    /// <summary>Polls LIST WEBSOCKETS until it shows at most <paramref name="atMost"/> connections or <paramref name="limit"/> has passed; returns the last count.</summary>
    public async Task<long> WaitForConnectionsAsync(long atMost, TimeSpan limit, TimeSpan poll)
    {
        using ControlChannel control = await ControlChannel.ConnectAsync(Relay.ControlPath, Ct).ConfigureAwait(false);
        var waited = Stopwatch.StartNew();
        long count;
        while ((count = await control.CountAsync("LIST WEBSOCKETS", Ct).ConfigureAwait(false)) > atMost && waited.Elapsed < limit)
            await Task.Delay(poll, Ct).ConfigureAwait(false);
        return count;
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
