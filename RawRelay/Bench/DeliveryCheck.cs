using System.Globalization;

namespace RawRelay.Bench;

/// <summary>
/// Checks, client by client, that each one got exactly the messages it should, once and in order, as the
/// shared harness's <c>chanfanout</c> and <c>storm</c> do: a client is settled once it has all of them
/// (done) or can no longer get them right (a problem, counted by kind). Completes when every client is
/// settled, so a broken run ends early instead of at the timeout; a message to a client that was done
/// counts as an extra. Thread-safe across clients: each client's messages come from its own receive loop,
/// one at a time, and only that loop touches its per-client state.
/// </summary>
internal abstract class DeliveryCheck
{
    private const int Pending = 0, Done = 1, Failed = 2, Excluded = 3;

    private readonly int[] _state;
    private readonly Dictionary<string, long> _problems = [];
    private readonly TaskCompletionSource _allSettled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _settled;
    private int _done;
    private int _excluded;
    private long _extra;
    private long _lastDoneAt;

    protected DeliveryCheck(int clients)
    {
        _state = new int[clients];
        if (clients == 0)
            _allSettled.TrySetResult();
    }

    /// <summary>What a message did to its client.</summary>
    protected enum Step
    {
        More,
        Complete,
        Problem,
    }

    public int Clients => _state.Length;

    /// <summary>Clients that got everything they should.</summary>
    public int DoneCount => Volatile.Read(ref _done);

    /// <summary>Clients the check was told to leave out (not connected when it started).</summary>
    public int ExcludedCount => Volatile.Read(ref _excluded);

    /// <summary>Messages that reached a client after it had all of its own.</summary>
    public long Extra => Interlocked.Read(ref _extra);

    /// <summary>Completes when every client is settled.</summary>
    public Task AllSettled => _allSettled.Task;

    /// <summary>The read that settled the last client done (a <see cref="System.Diagnostics.Stopwatch"/> timestamp).</summary>
    public long LastDoneAt => Interlocked.Read(ref _lastDoneAt);

    /// <summary>Every client that was not left out is done, and nothing went wrong or came extra.</summary>
    public bool Passed
    {
        get
        {
            lock (_problems)
                return _problems.Count == 0 && Extra == 0 && DoneCount + ExcludedCount == Clients;
        }
    }

    /// <summary>A message arrived at <paramref name="client"/> in the read made at <paramref name="readTimestamp"/>.</summary>
    public void OnMessage(int client, ReadOnlySpan<byte> prefix, long readTimestamp)
    {
        int state = Volatile.Read(ref _state[client]);
        if (state == Done)
            Interlocked.Increment(ref _extra);
        if (state != Pending)
            return;
        switch (Inspect(client, prefix, out string? problem))
        {
            case Step.Complete:
                Settle(client, Done, readTimestamp);
                break;
            case Step.Problem:
                Fail(client, problem ?? "bad message");
                break;
        }
    }

    /// <summary>The client's connection failed or ended: it cannot get the rest.</summary>
    public void Fail(int client, string problem)
    {
        if (!Settle(client, Failed, 0))
            return;
        lock (_problems)
            _problems[problem] = _problems.GetValueOrDefault(problem) + 1;
    }

    /// <summary>Leaves out a client that is not connected (its absence is the connect step's note).</summary>
    public void Exclude(int client)
    {
        if (Settle(client, Excluded, 0))
            Interlocked.Increment(ref _excluded);
    }

    /// <summary>One line for a note: clients done, then each kind of problem with its count.</summary>
    public string Summary()
    {
        var parts = new List<string> { $"{DoneCount:#,0} of {Clients - ExcludedCount:#,0} clients got all their messages" };
        lock (_problems)
            parts.AddRange(_problems.OrderByDescending(p => p.Value).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Value:#,0} {p.Key}")));
        if (Extra > 0)
            parts.Add($"{Extra:#,0} extra messages");
        return string.Join(", ", parts);
    }

    /// <summary>Judges one whole message (its first bytes) of a client that is still pending.</summary>
    protected abstract Step Inspect(int client, ReadOnlySpan<byte> prefix, out string? problem);

    /// <summary>For a client that expects nothing: done from the start.</summary>
    protected void CompleteAtStart(int client) => Settle(client, Done, 0);

    /// <summary>Moves a pending client to <paramref name="state"/>; false when it was settled already.</summary>
    private bool Settle(int client, int state, long readTimestamp)
    {
        if (Interlocked.CompareExchange(ref _state[client], state, Pending) != Pending)
            return false;
        if (state == Done)
        {
            Interlocked.Increment(ref _done);
            long last;
            while (readTimestamp > (last = Interlocked.Read(ref _lastDoneAt)) && Interlocked.CompareExchange(ref _lastDoneAt, readTimestamp, last) != last)
            {
                // another client finished at the same moment: keep the later read
            }
        }

        if (Interlocked.Increment(ref _settled) == _state.Length)
            _allSettled.TrySetResult();
        return true;
    }
}
