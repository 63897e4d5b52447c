using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using RawRelay.Http;

namespace RawRelay.Bench;

/// <summary>
/// The clients of one scenario: connects them with a bounded number of handshakes in flight, counts the
/// messages they receive, notes when an expected count is reached, keeps latency samples, and hands each
/// message to the <see cref="DeliveryCheck"/> it watches with, if any. Thread-safe: the clients' receive
/// loops report from any thread.
/// </summary>
internal sealed class ClientPool : IDisposable
{
    private readonly BenchOptions _options;
    private readonly int _port;
    private readonly ClientRequest _request;
    private readonly BenchClient[] _clients;
    private readonly List<Task> _receiveLoops = [];
    private long _messages;
    private long _expected = long.MaxValue;
    private long _lastMessageAt;
    private TaskCompletionSource _allArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long[]? _latencies;
    private int _latencyCount;
    private int _closed;
    private string? _firstProblem;
    private DeliveryCheck? _check;
    private bool _connected;

    public ClientPool(BenchOptions options, int port, ClientRequest? request = null)
    {
        _options = options;
        _port = port;
        _request = request ?? ClientRequest.Plain;
        _clients = new BenchClient[options.Clients];
    }

    public int Open { get; private set; }

    public int Failed { get; private set; }

    public int ClosedByServer => Volatile.Read(ref _closed);

    public string? FirstProblem => _firstProblem;

    public long Messages => Interlocked.Read(ref _messages);

    /// <summary>
    /// Connects every client; returns the seconds from the first connect to the last 101. Clients start
    /// reading when all are connected, or, with <paramref name="readWhileConnecting"/>, each right after its
    /// 101 (for a resume, whose messages come while the others connect).
    /// </summary>
    public async Task<double> ConnectAllAsync(CancellationToken ct, bool readWhileConnecting = false)
    {
        string key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        string accept = AcceptKey.Compute(key);
        int next = -1;
        long start = Stopwatch.GetTimestamp();
        var workers = new Task[Math.Min(_options.InFlight, _clients.Length)];
        for (int w = 0; w < workers.Length; w++)
            workers[w] = Task.Run(Work, ct);
        await Task.WhenAll(workers).ConfigureAwait(false);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        _connected = true;
        if (!readWhileConnecting)
        {
            foreach (BenchClient? client in _clients)
            {
                if (client is { IsOpen: true })
                    _receiveLoops.Add(client.ReceiveLoopAsync());
            }
        }

        return seconds;

        async Task Work()
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < _clients.Length)
            {
                var client = new BenchClient(this, index);
                _clients[index] = client;
                var source = new IPAddress(new byte[] { 127, 0, 0, (byte)(2 + index % _options.Sources) });
                string? problem = await client.ConnectAsync(source, _port, key, accept, _request, ct).ConfigureAwait(false);
                lock (_clients)
                {
                    if (problem is null)
                    {
                        Open++;
                    }
                    else
                    {
                        Failed++;
                        _firstProblem ??= problem;
                    }
                }

                if (problem is not null)
                {
                    Volatile.Read(ref _check)?.Fail(index, "connections failed");
                }
                else if (readWhileConnecting)
                {
                    Task loop = client.ReceiveLoopAsync();
                    lock (_clients)
                        _receiveLoops.Add(loop);
                }
            }
        }
    }

    /// <summary>Whether client <paramref name="index"/> (id <c>c&lt;index&gt;</c>) is connected.</summary>
    public bool IsOpenAt(int index) => _clients[index] is { IsOpen: true };

    /// <summary>
    /// From now on every message is also judged by <paramref name="check"/> (null: none), and a client the
    /// relay closes fails it. Once the pool has connected, clients that are not open are left out of it;
    /// before that, a client whose connection fails fails it.
    /// </summary>
    public void Watch(DeliveryCheck? check)
    {
        Volatile.Write(ref _check, check);
        if (check is null || !_connected)
            return;
        for (int i = 0; i < _clients.Length; i++)
        {
            if (_clients[i] is not { IsOpen: true })
                check.Exclude(i);
        }
    }

    /// <summary>Starts counting toward <paramref name="expected"/> messages; keeps latency samples if asked.</summary>
    public void Expect(long expected, bool keepLatencies)
    {
        _latencies = keepLatencies ? new long[expected] : null;
        _latencyCount = 0;
        _allArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Exchange(ref _messages, 0);
        Volatile.Write(ref _expected, expected);
        if (expected == 0)
            _allArrived.TrySetResult();
    }

    /// <summary>Completes when the expected messages have all arrived.</summary>
    public Task AllArrived => _allArrived.Task;

    /// <summary>When the last expected message arrived (a <see cref="Stopwatch"/> timestamp).</summary>
    public long LastMessageAt => Interlocked.Read(ref _lastMessageAt);

    /// <summary>The latency samples in nanoseconds, sorted.</summary>
    public long[] SortedLatencies()
    {
        long[] samples = _latencies is null ? [] : _latencies[..Math.Min(_latencyCount, _latencies.Length)];
        Array.Sort(samples);
        return samples;
    }

    /// <summary>A whole message arrived at a client: judged by the check, and its latency kept when the scenario wants it.</summary>
    public void OnMessage(int client, ReadOnlySpan<byte> prefix, long readTimestamp)
    {
        Volatile.Read(ref _check)?.OnMessage(client, prefix, readTimestamp);
        if (_latencies is not { } latencies || !LatencyStamp.TryRead(prefix, out long sentAt) || readTimestamp <= sentAt)
            return;
        int slot = Interlocked.Increment(ref _latencyCount) - 1;
        if (slot < latencies.Length)
            latencies[slot] = LatencyStamp.ToNanoseconds(readTimestamp - sentAt);
    }

    /// <summary>A client read <paramref name="count"/> whole messages in one read.</summary>
    public void Delivered(int count)
    {
        long total = Interlocked.Add(ref _messages, count);
        long expected = Volatile.Read(ref _expected);
        if (total >= expected && total - count < expected)
        {
            Interlocked.Exchange(ref _lastMessageAt, Stopwatch.GetTimestamp());
            _allArrived.TrySetResult();
        }
    }

    public void OnClosed(int client, string why)
    {
        Volatile.Read(ref _check)?.Fail(client, "connections closed by the relay");
        Interlocked.Increment(ref _closed);
        Interlocked.CompareExchange(ref _firstProblem, why, null);
    }

    /// <summary>Every client leaves as a page does (close frame 1000, then its socket is closed); bounded as <see cref="Dispose"/>.</summary>
    public void CloseAll()
    {
        Volatile.Write(ref _check, null);
        foreach (BenchClient? client in _clients)
            client?.CloseNormally();
        WaitForReceiveLoops();
    }

    /// <summary>Closes every client and waits (bounded) for their receive loops to end.</summary>
    public void Dispose()
    {
        foreach (BenchClient? client in _clients)
            client?.Dispose();
        WaitForReceiveLoops();
    }

    private void WaitForReceiveLoops()
    {
        Task[] loops;
        lock (_clients)
            loops = [.. _receiveLoops];
        Task.WhenAll(loops).Wait(TimeSpan.FromSeconds(10));
    }
}
