namespace RawRelay.Bench;

/// <summary>
/// Connects <c>--clients</c> clients (handshakes per second, at most <c>--in-flight</c> at once), holds
/// them idle for <c>--settle</c> seconds, and reads the relay's memory: (RSS now - RSS of the fresh relay)
/// / connections. User-space memory only: kernel socket buffers are not in RSS.
/// </summary>
internal static class ConnectScenario
{
    public static async Task RunAsync(BenchContext context, long? freshResidentBytes)
    {
        (ClientPool pool, double handshakesPerSecond) = await context.ConnectAsync("connect").ConfigureAwait(false);
        await Task.Delay(TimeSpan.FromSeconds(context.Options.Settle), context.Ct).ConfigureAwait(false);
        long? resident = context.Relay.ResidentBytes();
        int clients = context.Options.Clients;
        if (pool.ClosedByServer > 0)
            context.Report.Note($"connect: the relay closed {pool.ClosedByServer} idle connections ({pool.FirstProblem})");
        if (resident is { } now && freshResidentBytes is { } fresh && pool.Open > 0)
            context.Report.Add($"relay memory per idle connection ({clients:#,0} connections)", (now - fresh) / (double)pool.Open, "bytes", "bytes_per_idle_conn");
        context.Report.Add($"handshakes per second ({clients:#,0} clients, {context.Options.InFlight} in flight)", handshakesPerSecond, "/s", "handshakes_per_s");
        if (resident is { } held)
            context.Report.Add($"relay RSS with {pool.Open:#,0} idle connections", held / 1e6, "MB", "rss_idle_mb");
        await context.DrainAsync(pool).ConfigureAwait(false);
    }
}
