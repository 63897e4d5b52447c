using System.Net;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration;

/// <summary>
/// <c>--trust-proxy</c>: behind Apache or nginx, LIST shows the browser's address, the last entry of
/// X-Forwarded-For (the one the proxy appended), with the port of the proxy's connection. Off by
/// default, when the header is whatever a client chose to send. Raw handshakes with the header set.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class TrustProxyTests
{
    private RelayFixture _trusting = null!;
    private RelayFixture _default = null!;

    [OneTimeSetUp]
    public void StartRelays()
    {
        _trusting = RelayFixture.Start(options => options with { TrustProxy = true });
        _default = RelayFixture.Start();
    }

    [OneTimeTearDown]
    public async Task StopRelays()
    {
        await _trusting.DisposeAsync();
        await _default.DisposeAsync();
    }

    [TestCase("203.0.113.7", "203.0.113.7", TestName = "With trust-proxy LIST shows the address the proxy forwarded")]
    [TestCase("198.51.100.1, 203.0.113.7", "203.0.113.7", TestName = "With trust-proxy LIST shows the last forwarded address, not what the client claimed before it")]
    [TestCase("2001:db8::7", "[2001:db8::7]", TestName = "With trust-proxy LIST shows a forwarded IPv6 address in brackets")]
    [TestCase("::ffff:203.0.113.7", "203.0.113.7", TestName = "With trust-proxy LIST shows a forwarded IPv4-mapped address as IPv4")]
    [TestCase(null, "127.0.0.1", TestName = "With trust-proxy and no X-Forwarded-For LIST shows the socket's peer")]
    [TestCase("unknown", "127.0.0.1", TestName = "With trust-proxy a forwarded value that is not an address leaves the socket's peer")]
    [CancelAfter(10_000)]
    public async Task Trusting_relay_lists(string? forwardedFor, string expectedHost, CancellationToken ct) =>
        await ExpectListedHostAsync(_trusting, forwardedFor, expectedHost, ct);

    // RFC 9110 §5.3: several lines of one field are one comma-separated list; the proxy appends to the end.
    [TestCase("198.51.100.1, 198.51.100.2", "203.0.113.7", TestName = "With trust-proxy and two X-Forwarded-For lines LIST shows the last entry of the last line")]
    [TestCase("198.51.100.1", "192.0.2.9, 203.0.113.7", TestName = "With trust-proxy and two X-Forwarded-For lines LIST shows the last entry over all lines")]
    [CancelAfter(10_000)]
    public async Task Trusting_relay_lists_over_two_lines(string firstLine, string secondLine, CancellationToken ct) =>
        await ExpectListedWithHeadersAsync(_trusting, $"X-Forwarded-For: {firstLine}\r\nX-Forwarded-For: {secondLine}\r\n",
            "203.0.113.7", ct);

    [Test, CancelAfter(10_000)]
    public async Task Without_trust_proxy_X_Forwarded_For_is_ignored(CancellationToken ct) =>
        await ExpectListedHostAsync(_default, "203.0.113.7", "127.0.0.1", ct);

    [Test]
    public void Trust_proxy_is_off_by_default() =>
        new RawRelay.Hosting.RelayOptions().TrustProxy.Should().BeFalse();

    private static Task ExpectListedHostAsync(RelayFixture relay, string? forwardedFor, string expectedHost,
        CancellationToken ct) =>
        ExpectListedWithHeadersAsync(relay, forwardedFor is null ? "" : $"X-Forwarded-For: {forwardedFor}\r\n", expectedHost, ct);

    /// <summary>Connects with <paramref name="header"/> (header lines, each ending in CRLF) and checks LIST.</summary>
    private static async Task ExpectListedWithHeadersAsync(RelayFixture relay, string header, string expectedHost,
        CancellationToken ct)
    {
        string id = "xff-" + Guid.NewGuid().ToString("N")[..8];
        await using RawWebSocketClient client = await RawWebSocketClient.ConnectAsync(relay.Port, id, ct, extraHeaders: header);
        int clientPort = ((IPEndPoint)client.Socket.LocalEndPoint!).Port;

        using ControlClient control = relay.OpenControl();
        (List<string> lines, _) = await control.CommandWithDataAsync("LIST WEBSOCKETS", ct);

        lines.Should().ContainSingle(line => line.StartsWith(id + " ", StringComparison.Ordinal))
            .Which.Should().Be($"{id} {expectedHost}:{clientPort}");
    }
}
