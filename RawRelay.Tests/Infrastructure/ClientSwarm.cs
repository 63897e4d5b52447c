using System.Net;

namespace RawRelay.Tests.Infrastructure;

/// <summary>
/// Many loopback clients at once, for load tests. Their source addresses are spread over 127.0.0.2 to
/// 127.0.0.251 so that thousands of connections never run short of ephemeral ports on one address.
/// Thread-safe (static).
/// </summary>
internal static class ClientSwarm
{
    /// <summary>How many connections are opened at the same time.</summary>
    private const int Parallel = 64;

    /// <summary>The source address of client <paramref name="index"/>: 127.0.0.2 to 127.0.0.251, round robin.</summary>
    public static IPAddress Source(int index) => new([127, 0, 0, (byte)(2 + index % 250)]);

    /// <summary>Runs <paramref name="open"/> for indexes 0 to count-1, at most 64 at a time; results in index order.</summary>
    public static async Task<T[]> OpenAsync<T>(int count, Func<int, CancellationToken, Task<T>> open, CancellationToken ct)
    {
        var results = new T[count];
        await System.Threading.Tasks.Parallel.ForAsync(0, count,
            new ParallelOptions { MaxDegreeOfParallelism = Parallel, CancellationToken = ct },
            async (i, token) => results[i] = await open(i, token).WithTimeout(TimeSpan.FromSeconds(30)));
        return results;
    }

    /// <summary>Connects <paramref name="count"/> WebSocket clients with ids from <paramref name="id"/>.</summary>
    public static Task<RawWebSocketClient[]> ConnectAsync(int port, int count, Func<int, string> id, CancellationToken ct) =>
        OpenAsync(count, (i, token) => RawWebSocketClient.ConnectAsync(port, id(i), token, source: Source(i)), ct);

    /// <summary>Disposes every client (ignoring nulls left by a failed start).</summary>
    public static async Task DisposeAllAsync(IEnumerable<RawWebSocketClient?> clients)
    {
        foreach (RawWebSocketClient? client in clients)
        {
            if (client is not null)
                await client.DisposeAsync();
        }
    }
}
