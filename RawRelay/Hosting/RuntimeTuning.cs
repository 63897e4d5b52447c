namespace RawRelay.Hosting;

/// <summary>
/// Process-wide runtime settings that must be made before the first socket is used. Thread-safe
/// (static; called once at the top of Main).
/// </summary>
internal static class RuntimeTuning
{
    private const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>
    /// Runs socket continuations on the epoll threads instead of handing each to the thread pool. Every
    /// continuation of the relay is short and never blocks (writes are non-blocking, a slow client only
    /// queues), so the hop saved is pure latency: p50 at 2,000 SENDs/s with 10,000 clients went from about
    /// 85 to 33 µs, p99 from about 190 to 75-150 µs. An explicit setting in the environment wins.
    /// </summary>
    public static void Apply()
    {
        if (Environment.GetEnvironmentVariable(InlineCompletions) is null)
            Environment.SetEnvironmentVariable(InlineCompletions, "1");
    }
}
