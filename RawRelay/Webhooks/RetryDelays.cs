namespace RawRelay.Webhooks;

/// <summary>
/// The waits between attempts of one POST (SPEC): 1, 2, 4 ... s, at most 60 s, each with jitter (a random
/// 80% to 120% of it, never past the cap), so relays restarted together do not retry in step. Pure but for
/// the random source; thread-safe (static).
/// </summary>
internal static class RetryDelays
{
    /// <summary>The wait after the <paramref name="failures"/>-th failed attempt (1 for the first).</summary>
    public static TimeSpan After(int failures, TimeSpan first, TimeSpan max, double random)
    {
        double doubled = first.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 30));
        double jittered = Math.Min(doubled, max.TotalMilliseconds) * (0.8 + 0.4 * random);
        return TimeSpan.FromMilliseconds(Math.Min(jittered, max.TotalMilliseconds));
    }
}
