namespace RawRelay.Webhooks;

/// <summary>Where and how the relay's events are POSTed (SPEC, What browsers say reaches PHP). Immutable.</summary>
internal sealed record WebhookOptions
{
    public required Uri Url { get; init; }

    /// <summary>The key of the X-RawRelay-Signature HMAC (<c>--webhook-secret</c>).</summary>
    public required string Secret { get; init; }

    /// <summary>Events the queue holds at most (<c>--webhook-queue</c>); past it, events are dropped and counted.</summary>
    public int QueueEvents { get; init; } = 10_000;

    /// <summary>What the queued events may take in all (<c>--webhook-memory</c>); past it, events are dropped and counted.</summary>
    public long QueueBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Events in one POST at most (SPEC: 100).</summary>
    public int BatchEvents { get; init; } = 100;

    /// <summary>A batch takes no more events once they cost this much (it always takes one).</summary>
    public long BatchBytes { get; init; } = 1024 * 1024;

    /// <summary>A POST without an answer for this long failed (SPEC: 10 s).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The wait before the first retry; each next one doubles it (SPEC: 1, 2, 4 ... s).</summary>
    public TimeSpan FirstRetry { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between retries (SPEC: 60 s).</summary>
    public TimeSpan MaxRetry { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a stopping relay tries to deliver what is still queued.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
