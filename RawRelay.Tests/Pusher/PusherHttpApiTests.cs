using System.Text;
using RawRelay.Pusher;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Pusher;

/// <summary>The HTTP API under <c>/apps/&lt;app_id&gt;/</c> over real sockets: what it answers, and that a refused request does nothing.</summary>
[TestFixture]
public sealed class PusherHttpApiTests
{
    private RelayFixture _relay = null!;

    [OneTimeSetUp]
    public void Start() => _relay = RelayFixture.Start(o => o with
    {
        PusherApp = PusherWireClient.App,
        MaxMessage = 64 * 1024,
    });

    [OneTimeTearDown]
    public async Task Stop() => await _relay.DisposeAsync();

    private static string NewChannel(string prefix = "") => prefix + "c" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>A native connection on the channel: what reaches it shows what the API published.</summary>
    private Task<RawWebSocketClient> ListenAsync(string channel, CancellationToken ct) =>
        RawWebSocketClient.ConnectAsync(_relay.Port, "l-" + channel, ct, query: "&channel=" + channel);

    [Test, CancelAfter(10_000)]
    public async Task A_refused_request_gets_401_and_publishes_nothing(CancellationToken ct)
    {
        string channel = NewChannel();
        await using RawWebSocketClient listener = await ListenAsync(channel, ct);
        string body = $"{{\"name\":\"e\",\"channels\":[\"{channel}\"],\"data\":\"refused\"}}";
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        HttpReply wrongSecret = await PusherApiRequests.SendAsync(_relay.Port, "POST", "/apps/app1/events", body, secret: "wrong", ct: ct);
        wrongSecret.Status.Should().Be(401);
        wrongSecret.BodyText.Should().Be("invalid auth_signature\n");
        (await PusherApiRequests.SendAsync(_relay.Port, "POST", "/apps/app1/events", body, timestamp: now - 601, ct: ct)).Status.Should().Be(401);
        (await PusherApiRequests.SendAsync(_relay.Port, "POST", "/apps/app1/events", body, bodyMd5: new string('0', 32), ct: ct)).Status.Should().Be(401);
        HttpReply unsigned = await HttpReply.ExchangeAsync(_relay.Port,
            $"POST /apps/app1/events HTTP/1.1\r\nHost: x\r\nContent-Length: {body.Length}\r\n\r\n{body}", ct);
        unsigned.Status.Should().Be(401);

        (await PusherApiRequests.SendAsync(_relay.Port, "POST", "/apps/app1/events", body.Replace("refused", "accepted"), ct: ct)).Status.Should().Be(200);
        (await listener.ReceiveTextAsync(ct).WithTimeout()).Should().Contain("accepted", "nothing refused came before it");
    }

    [Test, CancelAfter(10_000)]
    public async Task A_malformed_or_oversized_body_is_refused_and_publishes_nothing(CancellationToken ct)
    {
        string channel = NewChannel();
        await using RawWebSocketClient listener = await ListenAsync(channel, ct);
        (await PusherApiRequests.SendAsync(_relay.Port, "POST", "/apps/app1/events", "{not json", ct: ct)).Status.Should().Be(400);
        (await PusherApiRequests.SendAsync(_relay.Port, "POST", "/apps/app1/events", $"{{\"channels\":[\"{channel}\"],\"data\":\"x\"}}", ct: ct))
            .Status.Should().Be(400, "an event needs a name");
        (await PusherApiRequests.SendAsync(_relay.Port, "POST", "/apps/app1/events", "{\"name\":\"e\",\"channels\":[\"bad name\"],\"data\":\"x\"}", ct: ct))
            .Status.Should().Be(400);
        string large = $"{{\"name\":\"e\",\"channels\":[\"{channel}\"],\"data\":\"{new string('x', 65 * 1024)}\"}}";
        (await PusherApiRequests.SendAsync(_relay.Port, "POST", "/apps/app1/events", large, ct: ct)).Status.Should().Be(400, "data over --max-message");
        HttpReply tooLong = await HttpReply.ExchangeAsync(_relay.Port, "POST /apps/app1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n", ct);
        tooLong.Status.Should().Be(413, "the body is bounded before it is read");
        foreach (string socket in (string[])["1.2\\nXYZ", "12", ".5", "1.", "a.1", "1.2.3"])
        {
            (await PusherApiRequests.SendAsync(_relay.Port, "POST", "/apps/app1/events", $"{{\"name\":\"e\",\"channel\":\"{channel}\",\"data\":\"x\",\"socket_id\":\"{socket}\"}}", ct: ct))
                .Status.Should().Be(400, $"a socket_id is <digits>.<digits>, not {socket}");
        }

        string batch = $"{{\"batch\":[{{\"name\":\"ok\",\"channel\":\"{channel}\",\"data\":\"1\"}},{{\"channel\":\"{channel}\",\"data\":\"2\"}}]}}";
        (await PusherApiRequests.SendAsync(_relay.Port, "POST", "/apps/app1/batch_events", batch, ct: ct)).Status
            .Should().Be(400, "a batch is checked whole before any of it goes");

        (await PusherApiRequests.TriggerAsync(_relay.Port, channel, "last", "z", ct)).Status.Should().Be(200);
        (await listener.ReceiveTextAsync(ct).WithTimeout()).Should().Contain("\"event\":\"last\"", "nothing refused came before it");
    }

    [Test, CancelAfter(10_000)]
    public async Task Batch_events_go_out_in_order(CancellationToken ct)
    {
        string a = NewChannel(), b = NewChannel();
        await using RawWebSocketClient onA = await ListenAsync(a, ct);
        await using RawWebSocketClient onB = await ListenAsync(b, ct);
        string batch = $"{{\"batch\":[{{\"name\":\"one\",\"channel\":\"{a}\",\"data\":\"1\"}},{{\"name\":\"two\",\"channel\":\"{b}\",\"data\":\"2\"}},{{\"name\":\"three\",\"channel\":\"{a}\",\"data\":\"3\"}}]}}";
        HttpReply reply = await PusherApiRequests.SendAsync(_relay.Port, "POST", "/apps/app1/batch_events", batch, ct: ct);
        reply.Status.Should().Be(200, reply.BodyText);
        (await onA.ReceiveTextAsync(ct).WithTimeout()).Should().Be($"{{\"event\":\"one\",\"channel\":\"{a}\",\"data\":\"1\"}}");
        (await onA.ReceiveTextAsync(ct).WithTimeout()).Should().Be($"{{\"event\":\"three\",\"channel\":\"{a}\",\"data\":\"3\"}}");
        (await onB.ReceiveTextAsync(ct).WithTimeout()).Should().Be($"{{\"event\":\"two\",\"channel\":\"{b}\",\"data\":\"2\"}}");
    }

    [Test, CancelAfter(10_000)]
    public async Task Channel_queries_count_connections_of_both_protocols(CancellationToken ct)
    {
        string prefix = "q" + Guid.NewGuid().ToString("N")[..6] + "-";
        string channel = prefix + "news", presence = "presence-" + prefix + "room";
        await using RawWebSocketClient native = await ListenAsync(channel, ct);
        await using PusherWireClient pusher = await PusherWireClient.ConnectAsync(_relay.Port, ct);
        await pusher.SubscribeAsync(channel, ct);
        await pusher.SubscribeAsync(presence, ct, "{\"user_id\":\"ann\"}");

        (await PusherApiRequests.SendAsync(_relay.Port, "GET", "/apps/app1/channels", query: "filter_by_prefix=" + prefix, ct: ct)).BodyText
            .Should().Be($"{{\"channels\":{{\"{channel}\":{{}}}}}}");
        (await PusherApiRequests.SendAsync(_relay.Port, "GET", "/apps/app1/channels", query: $"filter_by_prefix=presence-{prefix}&info=user_count", ct: ct)).BodyText
            .Should().Be($"{{\"channels\":{{\"{presence}\":{{\"user_count\":1}}}}}}");
        (await PusherApiRequests.SendAsync(_relay.Port, "GET", "/apps/app1/channels", query: "info=user_count", ct: ct)).Status
            .Should().Be(400, "user_count is for presence channels");
        (await PusherApiRequests.SendAsync(_relay.Port, "GET", $"/apps/app1/channels/{channel}", query: "info=subscription_count", ct: ct)).BodyText
            .Should().Be("{\"occupied\":true,\"subscription_count\":2}");
        (await PusherApiRequests.SendAsync(_relay.Port, "GET", $"/apps/app1/channels/{presence}", query: "info=user_count", ct: ct)).BodyText
            .Should().Be("{\"occupied\":true,\"user_count\":1}");
        (await PusherApiRequests.SendAsync(_relay.Port, "GET", $"/apps/app1/channels/{prefix}empty", ct: ct)).BodyText
            .Should().Be("{\"occupied\":false}");
        (await PusherApiRequests.SendAsync(_relay.Port, "GET", $"/apps/app1/channels/{channel}/users", ct: ct)).Status.Should().Be(400);
    }

    [Test, CancelAfter(10_000)]
    public async Task Another_app_or_path_or_method_is_refused(CancellationToken ct)
    {
        (await PusherApiRequests.SendAsync(_relay.Port, "GET", "/apps/other/channels", ct: ct)).Status.Should().Be(404);
        (await PusherApiRequests.SendAsync(_relay.Port, "GET", "/apps/app1/nothing", ct: ct)).Status.Should().Be(404);
        (await PusherApiRequests.SendAsync(_relay.Port, "GET", "/apps/app1/events", ct: ct)).Status.Should().Be(405);
        HttpReply chunked = await HttpReply.ExchangeAsync(_relay.Port, "POST /apps/app1/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", ct);
        chunked.Status.Should().Be(411);
        Encoding.UTF8.GetString((await HttpReply.ExchangeAsync(_relay.Port, "GET /app/key1 HTTP/1.1\r\nHost: x\r\n\r\n", ct)).Body)
            .Should().NotBeEmpty("a plain GET of the WebSocket path is answered, not hung");
    }

    [Test, CancelAfter(10_000)]
    public async Task A_client_that_expects_100_continue_gets_it_before_it_sends_the_body(CancellationToken ct)
    {
        string curl = TestEnvironment.RequireOnPath("curl", "curl");
        string channel = NewChannel();
        await using RawWebSocketClient listener = await ListenAsync(channel, ct);
        string body = $"{{\"name\":\"big\",\"channel\":\"{channel}\",\"data\":\"{new string('x', 4000)}\"}}";
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string md5 = Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(Encoding.UTF8.GetBytes(body)));
        string query = $"auth_key=key1&auth_timestamp={now}&auth_version=1.0&body_md5={md5}";
        string signature = PusherWireClient.Hmac($"POST\n/apps/app1/events\n{query}");
        string bodyFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(bodyFile, body, ct);
        try
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            await using ChildProcess process = ChildProcess.Start([curl, "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Content-Type: application/json",
                "-H", "Expect: 100-continue", "--expect100-timeout", "5", "--data-binary", "@" + bodyFile,
                $"http://127.0.0.1:{_relay.Port}/apps/app1/events?{query}&auth_signature={signature}"], []);
            (await process.WaitForExitAsync(ct)).Should().Be(0, process.Output);
            process.Stdout.Trim().Should().Be("200");
            watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(4), "the relay said 100 Continue instead of letting curl wait");
        }
        finally
        {
            File.Delete(bodyFile);
        }

        (await listener.ReceiveTextAsync(ct).WithTimeout()).Should().Contain("\"event\":\"big\"");
    }
}
