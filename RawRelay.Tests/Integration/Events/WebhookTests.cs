using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using RawRelay.Tests.Infrastructure;
using RawRelay.Webhooks;

namespace RawRelay.Tests.Integration.Events;

/// <summary>
/// SPEC, What browsers say reaches PHP: the webhook POSTs {"events":[...]} signed with X-RawRelay-Signature,
/// each event with its fields; batches of at most 100, one at a time, in order; a failed POST (no answer in
/// time, 408, 429, 5xx, nobody listening) is retried with the same body, any other status gives it up; the
/// queue is bounded and its overflow counted. Against an endpoint of the tests' own that speaks HTTP over a
/// plain socket and answers as each test says.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class WebhookTests
{
    private const string Secret = "hook-secret";

    [Test, CancelAfter(20_000)]
    public async Task Events_arrive_signed_with_every_field_in_order(CancellationToken ct)
    {
        await using WebhookEndpoint endpoint = WebhookEndpoint.Start();
        await using RelayFixture relay = StartRelay(endpoint);
        string id = TestData.NewId("hook");
        await using (RawWebSocketClient client = await relay.ConnectAsync(id, ct))
        {
            await client.SendAsync([.. ClientFrames.Text("héllo <b>\"x\"</b>\n"), .. ClientFrames.Build(WsFrame.Binary, [0, 1, 255])], ct);
            await client.SendAsync(ClientFrames.Close(4005), ct);
            (await client.ReceiveCloseCodeAsync(ct).WithTimeout()).Should().Be(4005);
        }

        List<(WebhookPost Post, JsonElement Event)> events = await EventsUntilAsync(endpoint, e => Kind(e) == "close");
        WebhookPost post = events[0].Post;
        post.RequestLine.Should().Be("POST /hook.php HTTP/1.1");
        post.Header("content-type").Should().StartWith("application/json");
        post.Header("x-rawrelay-signature").Should().Be("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), post.Body)));

        events.Select(e => Kind(e.Event)).Should().Equal("open", "message", "message", "close");
        JsonElement open = events[0].Event, text = events[1].Event, binary = events[2].Event, close = events[3].Event;
        foreach (JsonElement e in new[] { open, text, binary, close })
        {
            e.GetProperty("id").GetString().Should().Be(id);
            e.GetProperty("handle").GetString().Should().MatchRegex("^[A-Za-z0-9.-]{1,64}$").And.Be(open.GetProperty("handle").GetString());
            e.GetProperty("peer").GetString().Should().StartWith("127.0.0.1:");
            e.GetProperty("time").GetDouble().Should().BeApproximately(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0, 30);
        }

        events.Select(e => e.Event.GetProperty("event_id").GetString()).Should().OnlyHaveUniqueItems();
        text.GetProperty("type").GetString().Should().Be("text");
        text.GetProperty("data").GetString().Should().Be("héllo <b>\"x\"</b>\n");
        binary.GetProperty("type").GetString().Should().Be("binary");
        Convert.FromBase64String(binary.GetProperty("data_base64").GetString()!).Should().Equal(0, 1, 255);
        close.GetProperty("code").GetInt32().Should().Be(4005);
    }

    [Test, CancelAfter(30_000)]
    public async Task A_failed_post_is_retried_with_the_same_body_and_later_events_wait_their_turn(CancellationToken ct)
    {
        await using WebhookEndpoint endpoint = WebhookEndpoint.Start();
        endpoint.Answer = n => n switch { 0 => (500, TimeSpan.Zero), 1 => (503, TimeSpan.Zero), 2 => (429, TimeSpan.Zero), 3 => (408, TimeSpan.Zero), _ => (200, TimeSpan.Zero) };
        await using RelayFixture relay = StartRelay(endpoint);
        string id = TestData.NewId("retry");
        await using RawWebSocketClient client = await relay.ConnectAsync(id, ct);
        WebhookPost first = await endpoint.NextAsync();
        for (int i = 0; i < 20; i++)
            await client.SendTextAsync($"m{i}", ct);        // queued behind the batch being retried

        var attempts = new List<WebhookPost> { first };
        for (int i = 1; i < 5; i++)
            attempts.Add(await endpoint.NextAsync());
        attempts.Should().AllSatisfy(a => a.Body.Should().Equal(first.Body, "a retry sends the same body"));
        attempts.Select(a => a.Header("x-rawrelay-signature")).Distinct().Should().ContainSingle();
        // The shortest wait after the i-th failure is 80% of 50 ms x 2^(i-1); the endpoint stamps each attempt
        // when it has read it, which may be a few ms late for one and not the next (one CI-style run saw 78.3 ms for 80).
        for (int i = 1; i < attempts.Count; i++)
            (attempts[i].ReceivedAt - attempts[i - 1].ReceivedAt).Should().BeGreaterThan(TimeSpan.FromMilliseconds(40 * (1 << (i - 1)) - 5), "waits double");

        List<(WebhookPost Post, JsonElement Event)> later = await EventsUntilAsync(endpoint, e => Kind(e) == "message" && e.GetProperty("data").GetString() == "m19");
        later.Select(e => e.Event.GetProperty("data").GetString()).Should().Equal(Enumerable.Range(0, 20).Select(i => $"m{i}"), "in order, none lost");
        (await Stats(relay, ct))["webhook_retries"].Should().Be(4);
    }

    [Test, CancelAfter(20_000)]
    public async Task Another_status_gives_the_batch_up_and_delivery_goes_on(CancellationToken ct)
    {
        await using WebhookEndpoint endpoint = WebhookEndpoint.Start();
        endpoint.Answer = n => n == 0 ? (400, TimeSpan.Zero) : (200, TimeSpan.Zero);
        await using RelayFixture relay = StartRelay(endpoint);
        string id = TestData.NewId("given");
        await using RawWebSocketClient client = await relay.ConnectAsync(id, ct);
        WebhookPost refused = await endpoint.NextAsync();
        Kind(Events(refused)[0]).Should().Be("open");
        await client.SendTextAsync("next", ct);

        WebhookPost next = await endpoint.NextAsync();
        Events(next).Should().ContainSingle().Which.GetProperty("data").GetString().Should().Be("next", "the refused batch is not sent again");
        await TaskTimeouts.Eventually(async () => (await Stats(relay, ct))["webhook_given_up"] == 1);
        relay.LogText.Should().Contain("webhook: POST answered HTTP 400, a batch of 1 event(s) given up");
    }

    [Test, CancelAfter(30_000)]
    public async Task An_endpoint_that_is_down_or_too_slow_gets_every_event_once_it_answers(CancellationToken ct)
    {
        int port = LoopbackPort.Free();
        await using RelayFixture relay = StartRelay(new Uri($"http://127.0.0.1:{port}/hook"));
        string id = TestData.NewId("down");
        await using RawWebSocketClient client = await relay.ConnectAsync(id, ct);
        await client.SendTextAsync("while down", ct);
        await TaskTimeouts.Eventually(() => Task.FromResult(relay.LogText.Contains("webhook: POST failed: ")));

        await using WebhookEndpoint endpoint = WebhookEndpoint.Start(port);
        endpoint.Answer = n => n == 0 ? (200, TimeSpan.FromSeconds(2)) : (200, TimeSpan.Zero);    // the first answer comes too late
        WebhookPost late = await endpoint.NextAsync(TimeSpan.FromSeconds(15));
        WebhookPost again = await endpoint.NextAsync(TimeSpan.FromSeconds(15));
        again.Body.Should().Equal(late.Body, "no answer within the timeout is a failure: the same batch again");
        var events = Events(again).Select(e => (again, e)).ToList();
        if (Kind(events[^1].e) != "message")
            events.AddRange(await EventsUntilAsync(endpoint, e => Kind(e) == "message"));
        events.Select(e => Kind(e.Item2) == "message" ? e.Item2.GetProperty("data").GetString() : Kind(e.Item2)).Should().Equal("open", "while down");
        relay.LogText.Should().Contain("webhook: no answer within 0.5 s");
    }

    [Test, CancelAfter(30_000)]
    public async Task Batches_hold_at_most_100_events_and_a_hanging_endpoint_costs_a_bounded_queue(CancellationToken ct)
    {
        await using WebhookEndpoint endpoint = WebhookEndpoint.Start();
        endpoint.Answer = n => n < 3 ? (200, TimeSpan.FromMilliseconds(200)) : null;   // slow, then it hangs for good
        await using RelayFixture relay = StartRelay(endpoint, o => o with { QueueEvents = 1000, Timeout = TimeSpan.FromSeconds(30) });
        string id = TestData.NewId("flood");
        await using RawWebSocketClient client = await relay.ConnectAsync(id, ct);
        const int Messages = 5000;
        var frames = new List<byte>();
        for (int i = 0; i < Messages; i++)
            frames.AddRange(ClientFrames.Text($"n{i}"));
        await client.SendAsync(frames.ToArray(), ct);
        await client.SendTextAsync("last", ct);
        (await relay.Control.CommandAsync($"SEND MESSAGE {id} after", ct)).Should().Be("OK 1");
        (await client.ReceiveTextAsync(ct).WithTimeout()).Should().Be("after", "the relay goes on");

        var posts = new List<WebhookPost>();
        for (int i = 0; i < 4; i++)
            posts.Add(await endpoint.NextAsync());
        posts.Should().AllSatisfy(p => Events(p).Count.Should().BeInRange(1, 100));
        List<string> delivered = posts.SelectMany(Events).Where(e => Kind(e) == "message").Select(e => e.GetProperty("data").GetString()!).ToList();
        delivered.Should().Equal(Enumerable.Range(0, delivered.Count).Select(i => $"n{i}"), "in order and from the start");

        // open and Messages + 1 messages: each delivered or in flight (in the POSTs above), queued, or counted as dropped.
        int posted = delivered.Count + 1;
        await TaskTimeouts.Eventually(async () => await Stats(relay, ct) is var stats
            && stats["webhook_queued"] + stats["webhook_dropped"] + posted == Messages + 2);
        Dictionary<string, long> stats = await Stats(relay, ct);
        stats["webhook_queued"].Should().BeInRange(1, 1000);
        stats["webhook_dropped"].Should().BeGreaterThan(0);
        stats["webhook_queued_bytes"].Should().BeLessThan(1000 * 400L);
        relay.LogText.Should().Contain("webhook: queue full (1000 events or 67108864 bytes)");
    }

    [Test, CancelAfter(20_000)]
    public async Task A_stopping_relay_delivers_the_close_of_every_connection(CancellationToken ct)
    {
        await using WebhookEndpoint endpoint = WebhookEndpoint.Start();
        RelayFixture relay = StartRelay(endpoint);
        string id = TestData.NewId("stop");
        await using RawWebSocketClient one = await relay.ConnectAsync(id, ct);
        await using RawWebSocketClient two = await relay.ConnectAsync(id, ct);
        int opens = 0;
        await EventsUntilAsync(endpoint, e => Kind(e) == "open" && ++opens == 2);
        await relay.DisposeAsync();     // SIGTERM: close 1001 to every client, then what is queued gets its last chance

        int closes = 0;
        List<(WebhookPost Post, JsonElement Event)> events = await EventsUntilAsync(endpoint, e => Kind(e) == "close" && ++closes == 2);
        events.Select(e => e.Event.GetProperty("code").GetInt32()).Should().Equal(1001, 1001);
    }

    private static RelayFixture StartRelay(WebhookEndpoint endpoint, Func<WebhookOptions, WebhookOptions>? configure = null) =>
        StartRelay(endpoint.Url, configure);

    private static RelayFixture StartRelay(Uri url, Func<WebhookOptions, WebhookOptions>? configure = null)
    {
        var webhook = new WebhookOptions
        {
            Url = url, Secret = Secret, FirstRetry = TimeSpan.FromMilliseconds(50), MaxRetry = TimeSpan.FromMilliseconds(400),
            Timeout = TimeSpan.FromMilliseconds(500), DrainTimeout = TimeSpan.FromSeconds(1),
        };
        return RelayFixture.Start(o => o with { Webhook = configure?.Invoke(webhook) ?? webhook, LogLevel = Diagnostics.LogLevel.Info });
    }

    private static string Kind(JsonElement e) => e.GetProperty("event").GetString()!;

    private static List<JsonElement> Events(WebhookPost post) =>
        JsonDocument.Parse(post.Body).RootElement.GetProperty("events").EnumerateArray().ToList();

    /// <summary>The events of the POSTs to come, up to and including the first that <paramref name="last"/> accepts.</summary>
    private static async Task<List<(WebhookPost Post, JsonElement Event)>> EventsUntilAsync(WebhookEndpoint endpoint, Func<JsonElement, bool> last)
    {
        var events = new List<(WebhookPost, JsonElement)>();
        while (true)
        {
            WebhookPost post = await endpoint.NextAsync();
            foreach (JsonElement e in Events(post))
            {
                events.Add((post, e));
                if (last(e))
                    return events;
            }
        }
    }

    private static async Task<Dictionary<string, long>> Stats(RelayFixture relay, CancellationToken ct)
    {
        (List<string> data, _) = await relay.Control.CommandWithDataAsync("STATS", ct);
        return data.Select(l => l.Split(' ')).ToDictionary(p => p[0], p => long.Parse(p[1]));
    }
}
