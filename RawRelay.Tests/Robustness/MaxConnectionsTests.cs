using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Robustness;

/// <summary><c>--max-connections</c>: one over the limit gets 503, and a freed slot can be used again.</summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class MaxConnectionsTests
{
    private const int Limit = 3;
    private RelayFixture _relay = null!;

    [OneTimeSetUp]
    public void StartRelay() => _relay = RelayFixture.Start(o => o with { MaxConnections = Limit });

    [OneTimeTearDown]
    public async Task StopRelay() => await _relay.DisposeAsync();

    [Test, CancelAfter(20_000)]
    public async Task One_over_the_limit_gets_503_and_a_freed_slot_is_usable_again(CancellationToken ct)
    {
        var clients = new List<RawWebSocketClient>();
        try
        {
            for (int i = 0; i < Limit; i++)
                clients.Add(await _relay.ConnectAsync($"max-{i}", ct).WithTimeout());

            HttpReply refused = await HttpReply.ExchangeAsync(_relay.Port, UpgradeRequest("max-over"), ct).WithTimeout();
            refused.Status.Should().Be(503);
            refused.Header("Content-Type").Should().StartWith("text/plain");
            using ControlClient control = _relay.OpenControl();
            (await control.CommandAsync("LIST WEBSOCKETS", ct)).Should().Be($"OK {Limit}", "the refused one was never registered");

            // Free a slot with a closing handshake; once LIST shows it gone, the slot takes a new client.
            await clients[0].SendAsync(ClientFrames.Close(1000), ct);
            (await clients[0].ReceiveCloseCodeAsync(ct).WithTimeout()).Should().Be(1000);
            await TaskTimeouts.Eventually(async () => await control.CommandAsync("LIST WEBSOCKETS", ct) == $"OK {Limit - 1}");

            clients.Add(await _relay.ConnectAsync("max-again", ct).WithTimeout());
            (await control.CommandAsync("SEND MESSAGE max-again back in", ct)).Should().Be("OK 1");
            (await clients[^1].ReceiveTextAsync(ct).WithTimeout()).Should().Be("back in");
            (await HttpReply.ExchangeAsync(_relay.Port, UpgradeRequest("max-over"), ct).WithTimeout()).Status.Should().Be(503);
        }
        finally
        {
            await ClientSwarm.DisposeAllAsync(clients);
        }
    }

    private string UpgradeRequest(string id) =>
        $"GET /websocket?id={id} HTTP/1.1\r\nHost: 127.0.0.1:{_relay.Port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
}
