using System.Net;
using RawRelay.Pusher;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Pusher;

/// <summary>The metrics serve both protocols: Pusher connections count among the connections and on their own, the HTTP API's requests by status.</summary>
[TestFixture]
public sealed class PusherMetricsTests
{
    [Test, CancelAfter(10_000)]
    public async Task Pusher_connections_and_api_requests_are_in_the_metrics(CancellationToken ct)
    {
        await using RelayFixture relay = RelayFixture.Start(o => o with
        {
            PusherApp = PusherWireClient.App,
            Metrics = new IPEndPoint(IPAddress.Loopback, 0),
        });
        await using PusherWireClient pusher = await PusherWireClient.ConnectAsync(relay.Port, ct);
        await using RawWebSocketClient native = await RawWebSocketClient.ConnectAsync(relay.Port, "native", ct);
        (await PusherApiRequests.TriggerAsync(relay.Port, "news", "e", "1", ct)).Status.Should().Be(200);
        (await PusherApiRequests.SendAsync(relay.Port, "GET", "/apps/app1/channels", secret: "wrong", ct: ct)).Status.Should().Be(401);

        Exposition scrape = await Exposition.ScrapeAsync(relay.MetricsPort, ct);
        scrape["rawrelay_connections"].Should().Be(2, "both protocols' connections count");
        scrape["rawrelay_pusher_connections"].Should().Be(1);
        scrape["rawrelay_pusher_api_requests_total{status=\"200\"}"].Should().Be(1);
        scrape["rawrelay_pusher_api_requests_total{status=\"401\"}"].Should().Be(1);
        scrape["rawrelay_handshakes_total{result=\"101\"}"].Should().Be(2);
    }
}
