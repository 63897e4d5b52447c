using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using RawRelay.Diagnostics;
using RawRelay.Http;
using RawRelay.Transport;

namespace RawRelay.Metrics;

/// <summary>
/// The <c>--metrics</c> listener: <c>GET /metrics</c> (or HEAD) answers the Prometheus text of
/// <see cref="RelayMetrics"/>, any other path 404 and any other method 405, each on a connection of its
/// own (Connection: close). It is a listener of its own so that metrics never reach the public port. A scrape
/// runs on the thread pool, one at a time, never on a socket-engine thread (it reads /proc and takes every
/// connection's lock once). Thread-safe.
/// </summary>
internal sealed class MetricsServer : IDisposable
{
    public const string MetricsPath = "/metrics";

    /// <summary>How long a scraper may take to send its request head.</summary>
    private static readonly TimeSpan HeadTimeout = TimeSpan.FromSeconds(10);

    private readonly Listener _listener;
    private readonly RelayMetrics _metrics;
    private readonly RelayLog _log;
    private readonly SemaphoreSlim _oneScrape = new(1, 1);

    private MetricsServer(Listener listener, RelayMetrics metrics, RelayLog log)
    {
        _listener = listener;
        _metrics = metrics;
        _log = log;
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint;

    /// <summary>Binds <paramref name="endPoint"/>; a <see cref="StartupException"/> says why it cannot.</summary>
    public static MetricsServer Start(IPEndPoint endPoint, RelayMetrics metrics, RelayLog log)
    {
        try
        {
            return new MetricsServer(Listener.Start(endPoint, "metrics listener", log), metrics, log);
        }
        catch (SocketException e)
        {
            throw new StartupException($"cannot listen for metrics on {endPoint}: {e.Message}");
        }
    }

    /// <summary>Serves scrapes until <paramref name="stop"/> fires.</summary>
    public Task RunAsync(CancellationToken stop) => _listener.AcceptLoopAsync(socket => ServeAsync(socket, stop), stop);

    private async Task ServeAsync(Socket socket, CancellationToken stop)
    {
        try
        {
            socket.NoDelay = true;
            await HttpExchange.SendWithinAsync(socket, await AnswerAsync(socket, stop).ConfigureAwait(false)).ConfigureAwait(false);
            await HttpExchange.CloseGracefullyAsync(socket).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The scraper went away or took too long, or the relay is stopping.
            socket.Dispose();
        }
    }

    private async Task<byte[]> AnswerAsync(Socket socket, CancellationToken stop)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(HeadTimeout);
        var stream = new NetworkStream(socket, ownsSocket: false);
        var reader = new LineReader(PipeReader.Create(stream, HttpExchange.HeadReaderOptions), RequestHeadReader.MaxHeadBytes);
        RequestHeadResult result;
        try
        {
            result = await RequestHeadReader.ReadAsync(reader, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            return HttpResponses.Refusal(408, "request not complete in time");
        }
        finally
        {
            reader.Complete();
        }

        if (result.Head is not { } head)
            return HttpResponses.Refusal(result.Status, result.Reason);
        if (head.Path != MetricsPath)
            return HttpResponses.Refusal(404, $"not found; metrics are at {MetricsPath}");
        if (head.Method is not ("GET" or "HEAD"))
            return HttpResponses.Refusal(405, "only GET and HEAD");
        if (result.IsMalformed)
            return HttpResponses.Refusal(400, result.Reason);
        byte[]? body = await ScrapeAsync(stop).ConfigureAwait(false);
        return body is null
            ? HttpResponses.Refusal(500, "the scrape failed; the relay's log says why")
            : HttpResponses.Complete(200, PrometheusText.ContentType, body, head.Method == "HEAD");
    }

    /// <summary>The exposition, or null when making it failed (a bug of ours, logged).</summary>
    private async Task<byte[]?> ScrapeAsync(CancellationToken stop)
    {
        await _oneScrape.WaitAsync(stop).ConfigureAwait(false);
        try
        {
            return await Task.Run(_metrics.Scrape, stop).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _log.Error("metrics scrape failed unexpectedly", e);
            return null;
        }
        finally
        {
            _oneScrape.Release();
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
        _oneScrape.Dispose();
    }
}
