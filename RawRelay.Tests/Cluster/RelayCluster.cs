using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Cluster;

/// <summary>
/// A Redis and relay processes joined to it (<c>--redis</c>, <c>--node-name n1..</c>, a short
/// <c>--node-timeout</c>), each waited for until it logs that Redis is up. Dispose stops them (SIGTERM, by
/// PID) and Redis; a relay that logged an unexpected ERROR fails the test then. Not thread-safe.
/// </summary>
internal sealed class RelayCluster : IAsyncDisposable
{
    public const double NodeTimeout = 2;

    private RelayCluster(RedisServer redis, RelayProcess[] relays)
    {
        Redis = redis;
        Relays = relays;
    }

    public RedisServer Redis { get; }

    public RelayProcess[] Relays { get; }

    public static async Task<RelayCluster> StartAsync(int relays, CancellationToken ct, params string[] more)
    {
        RedisServer redis = await RedisServer.StartAsync();
        var started = new List<RelayProcess>();
        try
        {
            for (int i = 1; i <= relays; i++)
            {
                RelayProcess relay = await RelayProcess.StartOnLoopbackAsync(
                    ["--redis", redis.Url, "--node-name", $"n{i}", "--node-timeout", NodeTimeout.ToString(System.Globalization.CultureInfo.InvariantCulture), .. more], ct);
                started.Add(relay);
            }

            foreach (RelayProcess relay in started)
                await relay.WaitForLineAsync(l => l.Contains(" INFO redis up: ", StringComparison.Ordinal)).WithTimeout();
            return new RelayCluster(redis, [.. started]);
        }
        catch
        {
            foreach (RelayProcess relay in started)
                await relay.DisposeAsync();
            await redis.DisposeAsync();
            throw;
        }
    }

    /// <summary>How many "redis up" lines a relay has logged (one per change of state).</summary>
    public static int UpLines(RelayProcess relay) => relay.CountLines(l => l.Contains(" INFO redis up: ", StringComparison.Ordinal));

    public static int DownLines(RelayProcess relay) => relay.CountLines(l => l.Contains(" WARN redis down: ", StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        foreach (RelayProcess relay in Relays)
            await relay.DisposeAsync();
        await Redis.DisposeAsync();
    }
}
