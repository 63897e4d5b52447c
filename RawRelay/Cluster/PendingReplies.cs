namespace RawRelay.Cluster;

/// <summary>
/// The replies to one request, awaited until as many came as relays got the request (Redis's PUBLISH says
/// how many). Replies may come before that number is known. Thread-safe.
/// </summary>
internal sealed class PendingReplies
{
    private readonly List<ClusterReply> _replies = [];
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _expected = -1;

    public Task Done => _done.Task;

    public void Add(in ClusterReply reply)
    {
        lock (_replies)
        {
            _replies.Add(reply);
            Check();
        }
    }

    public void Expect(long relays)
    {
        lock (_replies)
        {
            _expected = relays;
            Check();
        }
    }

    /// <summary>The replies so far, in the relays' name order (so LIST lists one relay's connections together).</summary>
    public ClusterReply[] Replies()
    {
        lock (_replies)
        {
            ClusterReply[] replies = [.. _replies];
            Array.Sort(replies, static (a, b) => string.CompareOrdinal(a.Node, b.Node));
            return replies;
        }
    }

    private void Check()
    {
        if (_expected >= 0 && _replies.Count >= _expected)
            _done.TrySetResult();
    }
}
