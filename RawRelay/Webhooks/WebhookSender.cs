using System.Net.Http.Headers;
using System.Text;
using RawRelay.Diagnostics;
using RawRelay.Hub;

namespace RawRelay.Webhooks;

/// <summary>
/// Delivers the relay's events to <c>--webhook</c> (SPEC): batches of at most 100 from the queue, one POST
/// at a time and in order, each signed. A batch leaves as soon as the one before it is done, so one that
/// starts while the endpoint keeps up leaves at once, and events that come meanwhile make the next batch.
/// A failed POST (no answer within 10 s, a connection error, 408, 429, 5xx) is retried with the same body
/// after 1, 2, 4 ... at most 60 s, with jitter; any other status gives the batch up. Runs on one task of
/// the thread pool, with the runtime's HttpClient. Thread-safe: the counters may be read from any thread.
/// </summary>
internal sealed class WebhookSender : IDisposable
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private readonly WebhookOptions _options;
    private readonly RelayLog _log;
    private readonly HttpClient _http;
    private readonly IWebhookFormat _format;
    private long _delivered;
    private long _givenUp;
    private long _retries;
    private long _droppedReported;

    public WebhookSender(WebhookOptions options, RelayLog log, IWebhookFormat? format = null)
    {
        _options = options;
        _log = log;
        _format = format ?? new RawRelayWebhookFormat(options.Secret);
        Queue = new WebhookQueue(options.QueueEvents, options.QueueBytes);
        _http = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,          // a 3xx is "any other status": the batch is given up
            ConnectTimeout = options.Timeout,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        })
        {
            Timeout = Timeout.InfiniteTimeSpan, // each attempt has its own
        };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("RawRelay", "2"));
    }

    public WebhookOptions Options => _options;

    /// <summary>The events waiting; the relay's event bus feeds it.</summary>
    public WebhookQueue Queue { get; }

    /// <summary>Events the endpoint took (2xx).</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Events of batches given up on a status that is not retried.</summary>
    public long GivenUp => Interlocked.Read(ref _givenUp);

    /// <summary>POSTs repeated after a failure.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>Delivers batches until the queue is completed and empty, or <paramref name="abandon"/> fires.</summary>
    public async Task RunAsync(CancellationToken abandon)
    {
        _log.Info($"{_format.Label}: posting events to {_options.Url}");
        while (true)
        {
            List<RelayEvent> batch = await Queue.TakeAsync(_options.BatchEvents, _options.BatchBytes, abandon).ConfigureAwait(false);
            if (batch.Count == 0)
                return;
            await DeliverAsync(_format.Body(batch), batch.Count, abandon).ConfigureAwait(false);
            ReportDrops();
        }
    }

    private async Task DeliverAsync(byte[] body, int events, CancellationToken abandon)
    {
        KeyValuePair<string, string>[] signature = [.. _format.Signature(body)];
        for (int failures = 0; ;)
        {
            (bool delivered, bool retry, string what) = await PostAsync(body, signature, abandon).ConfigureAwait(false);
            if (delivered)
            {
                Interlocked.Add(ref _delivered, events);
                if (failures > 0)
                    _log.Info($"{_format.Label}: delivered again after {failures} failed attempt(s)");
                return;
            }

            if (!retry)
            {
                Interlocked.Add(ref _givenUp, events);
                _log.Warn($"{_format.Label}: {what}, a batch of {events} event(s) given up (only timeouts, 408, 429 and 5xx are retried)");
                return;
            }

            failures++;
            ReportDrops();
            TimeSpan wait = RetryDelays.After(failures, _options.FirstRetry, _options.MaxRetry, Random.Shared.NextDouble());
            _log.Warn($"{_format.Label}: {what}; retry {failures} of a batch of {events} event(s) in {wait.TotalSeconds:0.0} s");
            await Task.Delay(wait, abandon).ConfigureAwait(false);
            Interlocked.Increment(ref _retries);
        }
    }

    /// <summary>One attempt: delivered, or failed and whether to retry, with what happened.</summary>
    private async Task<(bool Delivered, bool Retry, string What)> PostAsync(byte[] body, KeyValuePair<string, string>[] signature, CancellationToken abandon)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _options.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = Json;
        foreach ((string name, string value) in signature)
            request.Headers.TryAddWithoutValidation(name, value);
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(abandon);
        attempt.CancelAfter(_options.Timeout);
        try
        {
            using HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attempt.Token)
                .ConfigureAwait(false);
            int status = (int)response.StatusCode;
            if (status is >= 200 and < 300)
                return (true, false, "");
            return (false, status is 408 or 429 or >= 500, $"POST answered HTTP {status}");
        }
        catch (OperationCanceledException) when (!abandon.IsCancellationRequested)
        {
            return (false, true, $"no answer within {_options.Timeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException e)
        {
            return (false, true, "POST failed: " + e.Message);
        }
    }

    /// <summary>Says, once per batch at most, how many events a full queue dropped since the last time.</summary>
    private void ReportDrops()
    {
        long dropped = Queue.Dropped;
        if (dropped == _droppedReported)
            return;
        _log.Warn($"{_format.Label}: queue full ({_options.QueueEvents} events or {_options.QueueBytes} bytes), {dropped - _droppedReported} event(s) dropped");
        _droppedReported = dropped;
    }

    public void Dispose() => _http.Dispose();
}
