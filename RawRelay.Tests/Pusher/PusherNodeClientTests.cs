using RawRelay.Pusher;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Pusher;

/// <summary>
/// Independent clients from npm against the relay: the official Node server SDK <c>pusher</c> (its own signer)
/// against the HTTP API, and Laravel Echo on pusher-js (node builds) subscribing to public, private and presence
/// channels through a PHP auth endpoint (<c>php -S</c> serving RawRelay.Tests/Pusher/php/, signing with
/// <c>hash_hmac</c>). Skipped without node, php or the npm packages (see <see cref="NpmPackages"/>).
/// </summary>
[TestFixture, NonParallelizable]
public sealed class PusherNodeClientTests
{
    private RelayFixture _relay = null!;

    [OneTimeSetUp]
    public void Start() => _relay = RelayFixture.Start(o => o with
    {
        PusherApp = PusherWireClient.App,
        PusherClientEvents = true,
    });

    [OneTimeTearDown]
    public async Task Stop() => await _relay.DisposeAsync();

    [Test, CancelAfter(60_000)]
    public async Task The_node_server_sdk_triggers_events_batches_and_queries_and_its_requests_with_a_bad_signature_are_refused(CancellationToken ct)
    {
        string suffix = Guid.NewGuid().ToString("N")[..8];
        string a = "sdk-a-" + suffix, b = "sdk-b-" + suffix;
        await using RawWebSocketClient onA = await RawWebSocketClient.ConnectAsync(_relay.Port, "la" + suffix, ct, query: "&channel=" + a);
        await using RawWebSocketClient onB = await RawWebSocketClient.ConnectAsync(_relay.Port, "lb" + suffix, ct, query: "&channel=" + b);

        string[] output = await NpmPackages.RunAsync("server-sdk.cjs", [_relay.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), a, b], ct);

        output.Should().Equal(
            "trigger 200",
            "trigger-many 200",
            "batch 200",
            $"channels {{\"channels\":{{\"{a}\":{{}},\"{b}\":{{}}}}}}".Replace(",\"" + b, ",\"" + b),
            $"channel {{\"occupied\":true,\"subscription_count\":1}}",
            "wrong-secret 401",
            "old-timestamp 401",
            "wrong-body-md5 401",
            "last 200",
            "done");
        (await onA.ReceiveTextAsync(ct).WithTimeout()).Should().Be($"{{\"event\":\"one\",\"channel\":\"{a}\",\"data\":\"{{\\\"n\\\":1}}\"}}");
        (await onA.ReceiveTextAsync(ct).WithTimeout()).Should().Be($"{{\"event\":\"two\",\"channel\":\"{a}\",\"data\":\"plain text\"}}");
        (await onA.ReceiveTextAsync(ct).WithTimeout()).Should().Be($"{{\"event\":\"four\",\"channel\":\"{a}\",\"data\":\"4\"}}");
        (await onA.ReceiveTextAsync(ct).WithTimeout()).Should().Contain("\"event\":\"last\"", "no refused request published anything");
        (await onB.ReceiveTextAsync(ct).WithTimeout()).Should().Be($"{{\"event\":\"two\",\"channel\":\"{b}\",\"data\":\"plain text\"}}");
        (await onB.ReceiveTextAsync(ct).WithTimeout()).Should().Be($"{{\"event\":\"three\",\"channel\":\"{b}\",\"data\":\"{{\\\"n\\\":3}}\"}}");
    }

    [Test, CancelAfter(60_000)]
    public async Task Laravel_echo_on_pusher_js_subscribes_to_public_private_and_presence_channels_through_a_php_auth_endpoint(CancellationToken ct)
    {
        await using PhpServer php = await PhpServer.StartAsync(Path.Combine(TestEnvironment.RepositoryRoot(), "RawRelay.Tests", "Pusher", "php"), _relay.ControlPath);
        string suffix = Guid.NewGuid().ToString("N")[..8];
        string[] output = await NpmPackages.RunAsync("echo-clients.cjs",
            [_relay.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), php.BaseUrl, suffix], ct);

        string news = "news-" + suffix, orders = "orders-" + suffix, room = "room-" + suffix;
        output.Should().Contain([
            $"ann subscribed {news}",
            $"ann subscribed private {orders}",
            "ann here [{\"name\":\"Ann\"}]",
            "ann forbidden error 403",
            "wrong signature error 401",
            "trigger 200",
            "ann news OrderShipped {\"id\":1,\"total\":\"9.50\"}",
            "ann private OrderPaid {\"id\":1}",
            "batch 200",
            "ann news Batch {\"n\":1}",
            "ann news Batch {\"n\":2}",
            "ann joining {\"name\":\"Bob\"}",
            "bob here 2",
            "ann whisper {\"who\":\"bob\"}",
            $"channels {{\"channels\":{{\"presence-{room}\":{{\"user_count\":2}}}}}}",
            "users {\"users\":[{\"id\":\"ann\"},{\"id\":\"bob\"}]}",
            "info {\"occupied\":true,\"subscription_count\":1}",
            "ann signed in ann",
            "sendToUser 200",
            "ann user Notice {\"hi\":1}",
            "ann leaving {\"name\":\"Bob\"}",
            "done",
        ]);
        output.Should().NotContain(l => l.StartsWith("FAIL", StringComparison.Ordinal));
        // Events of one channel arrive in their order.
        Array.IndexOf(output, "ann news Batch {\"n\":1}").Should().BeLessThan(Array.IndexOf(output, "ann news Batch {\"n\":2}"));
    }
}
