using System.Net.Sockets;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration;

/// <summary>
/// SPEC, Seeing it run: <c>GET /healthz</c> on the main port answers 200 while the relay accepts connections,
/// and 503 from SIGTERM until the listener closes; in that window upgrades get 503 too, so that a load
/// balancer takes the relay out before its connections are gone.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class HealthTests
{
    [Test, CancelAfter(10_000)]
    public async Task Healthz_is_200_ok_while_accepting_and_head_has_no_body(CancellationToken ct)
    {
        await using RelayFixture relay = RelayFixture.Start();

        HttpReply get = await HttpReply.ExchangeAsync(relay.Port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", ct);
        HttpReply head = await HttpReply.ExchangeAsync(relay.Port, "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n", ct);
        HttpReply post = await HttpReply.ExchangeAsync(relay.Port, "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", ct);

        get.Status.Should().Be(200);
        get.BodyText.Should().Be("ok\n");
        get.Header("Cache-Control").Should().Be("no-cache");
        head.Status.Should().Be(200);
        head.Header("Content-Length").Should().Be("3");
        head.Body.Should().BeEmpty();
        post.Status.Should().Be(404, "only GET and HEAD ask for health; anything else is an unknown path");
    }

    [Test, CancelAfter(20_000)]
    public async Task From_sigterm_until_the_listener_closes_healthz_and_upgrades_get_503(CancellationToken ct)
    {
        RelayFixture relay = RelayFixture.Start();
        int port = relay.Port;
        await using (relay)
        {
            // A client that never answers the close keeps the relay in its shutdown window (3 s).
            await using RawWebSocketClient silent = await relay.ConnectAsync(TestData.NewId("silent"), ct);
            relay.BeginStop();

            HttpReply health = await HttpReply.ExchangeAsync(relay.Port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", ct);
            health.Status.Should().Be(503);
            health.BodyText.Should().Be("shutting down\n");
            HttpReply upgrade = await TryUpgradeAsync(relay.Port, ct);
            upgrade.Status.Should().Be(503);
            upgrade.BodyText.Should().Contain("shutting down");
            relay.Run.IsCompleted.Should().BeFalse("the silent client holds the relay open for the shutdown timeout");
            (await silent.ReceiveCloseCodeAsync(ct).WithTimeout()).Should().Be(1001);

            await relay.Run.WithTimeout(TimeSpan.FromSeconds(10));
            using var late = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            Func<Task> connect = async () => await late.ConnectAsync(System.Net.IPAddress.Loopback, port, ct);
            await connect.Should().ThrowAsync<SocketException>("the listener is closed once the relay has stopped");
        }
    }

    private static async Task<HttpReply> TryUpgradeAsync(int port, CancellationToken ct)
    {
        await using RawWebSocketClient client = await RawWebSocketClient.OpenAsync(port, ct);
        await client.SendAsync(System.Text.Encoding.ASCII.GetBytes(
            "GET /websocket?id=late HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"), ct);
        return await client.ReadHttpResponseAsync(ct).WithTimeout();
    }
}
