using System.Net;
using RawRelay.Tests.Infrastructure;
using RawRelay.Webhooks;

namespace RawRelay.Tests.Integration.Metrics;

/// <summary>
/// SPEC, Seeing it run: <c>--metrics</c> serves <c>GET /metrics</c> in the Prometheus text format on a listener
/// of its own; the values move as traffic flows; labels never carry an id, a channel or client input. Read
/// with the tests' own parser of the format (<see cref="Exposition"/>) and checked by Debian's promtool.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class MetricsEndpointTests
{
    private RelayFixture _relay = null!;

    [OneTimeSetUp]
    public void StartRelay() => _relay = RelayFixture.Start(o => o with
    {
        Metrics = new IPEndPoint(IPAddress.Loopback, 0),
        History = 10,
        PingInterval = 0,
        SendQueue = 64 << 20,
    });

    [OneTimeTearDown]
    public async Task StopRelay() => await _relay.DisposeAsync();

    [Test, CancelAfter(30_000)]
    public async Task The_exposition_passes_promtool_check_metrics(CancellationToken ct)
    {
        string promtool = TestEnvironment.RequireOnPath("promtool", "prometheus");
        await using RawWebSocketClient client = await _relay.ConnectAsync(TestData.NewId("lint"), ct);
        (await _relay.Control.CommandAsync("STATS", ct)).Should().NotBeEmpty();
        Exposition scrape = await Exposition.ScrapeAsync(_relay.MetricsPort, ct);

        string file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, scrape.Text, ct);
            await using ChildProcess check = ChildProcess.Start(["sh", "-c", $"exec '{promtool}' check metrics < '{file}'"], []);
            int exit = await check.WaitForExitAsync(ct).WithTimeout(TimeSpan.FromSeconds(20));
            exit.Should().Be(0, check.Output);
            check.Output.Trim().Should().BeEmpty("promtool finds nothing to say about it");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test, CancelAfter(20_000)]
    public async Task Values_move_as_traffic_flows(CancellationToken ct)
    {
        Exposition before = await Exposition.ScrapeAsync(_relay.MetricsPort, ct);
        string id = TestData.NewId("moves"), channel = "moves-" + Guid.NewGuid().ToString("N")[..8];
        await using RawWebSocketClient a = await V1Client.ConnectAsync(_relay.Port, id, ct, [channel]);
        await using RawWebSocketClient b = await _relay.ConnectAsync(id, ct);
        HttpReply refused = await HttpReply.ExchangeAsync(_relay.Port, "GET /websocket?id=x HTTP/1.1\r\nHost: x\r\n\r\n", ct);
        using ControlClient control = _relay.OpenControl();
        (await control.CommandAsync($"SEND MESSAGE {id} hello", ct)).Should().Be("OK 2");
        (await control.CommandAsync($"PUBLISH MESSAGE {channel} news", ct)).Should().Be("OK 1");
        (await control.CommandAsync("SEND MESSAGE", ct)).Should().StartWith("ERR");
        (await control.CommandAsync("NONSENSE", ct)).Should().StartWith("ERR");
        await b.SendTextAsync("from the browser", ct);
        (await b.ReceiveTextAsync(ct)).Should().Be("hello");

        Exposition after = await Exposition.WaitAsync(_relay.MetricsPort,
            s => s["rawrelay_messages_total{direction=\"in\"}"] > before["rawrelay_messages_total{direction=\"in\"}"], ct);

        after["rawrelay_connections"].Should().Be(before["rawrelay_connections"] + 2);
        after["rawrelay_connections_total"].Should().Be(before["rawrelay_connections_total"] + 2);
        after["rawrelay_handshakes_total{result=\"101\"}"].Should().Be(before["rawrelay_handshakes_total{result=\"101\"}"] + 2);
        string refusal = $"rawrelay_handshakes_total{{result=\"{refused.Status}\"}}";
        after[refusal].Should().Be(before.Samples.GetValueOrDefault(refusal) + 1, $"the {refused.Status} is counted by its status");
        after["rawrelay_messages_total{direction=\"out\"}"].Should().Be(before["rawrelay_messages_total{direction=\"out\"}"] + 3);
        after["rawrelay_messages_total{direction=\"in\"}"].Should().Be(before["rawrelay_messages_total{direction=\"in\"}"] + 1);
        after["rawrelay_bytes_total{direction=\"in\"}"].Should().BeGreaterThanOrEqualTo(before["rawrelay_bytes_total{direction=\"in\"}"] + 6 + 16);
        after["rawrelay_bytes_total{direction=\"out\"}"].Should().BeGreaterThan(before["rawrelay_bytes_total{direction=\"out\"}"]);
        after["rawrelay_control_commands_total{command=\"send\",result=\"ok\"}"].Should().Be(before["rawrelay_control_commands_total{command=\"send\",result=\"ok\"}"] + 1);
        after["rawrelay_control_commands_total{command=\"send\",result=\"err\"}"].Should().Be(before.Samples.GetValueOrDefault("rawrelay_control_commands_total{command=\"send\",result=\"err\"}") + 1);
        after["rawrelay_control_commands_total{command=\"publish\",result=\"ok\"}"].Should().Be(before["rawrelay_control_commands_total{command=\"publish\",result=\"ok\"}"] + 1);
        after["rawrelay_control_commands_total{command=\"invalid\",result=\"err\"}"].Should().Be(before.Samples.GetValueOrDefault("rawrelay_control_commands_total{command=\"invalid\",result=\"err\"}") + 1);
        after["rawrelay_channels"].Should().BeGreaterThanOrEqualTo(1);
        after["rawrelay_history_messages"].Should().BeGreaterThan(before["rawrelay_history_messages"], "history is on: the messages are kept");
        after["rawrelay_history_bytes"].Should().BeGreaterThan(before["rawrelay_history_bytes"]);
        after.Text.Should().NotContain(id).And.NotContain(channel).And.NotContain("hello").And.NotContain("NONSENSE");
    }

    [Test, CancelAfter(20_000)]
    public async Task Stats_shows_the_same_counters(CancellationToken ct)
    {
        await using RawWebSocketClient client = await _relay.ConnectAsync(TestData.NewId("same"), ct);
        // A scrape between two STATS that agree (a connection of an earlier test may still be closing).
        Dictionary<string, double> stats, again;
        Exposition scrape;
        do
        {
            stats = await StatsAsync(ct);
            scrape = await Exposition.ScrapeAsync(_relay.MetricsPort, ct);
            again = await StatsAsync(ct);
        }
        while (stats.Any(s => s.Key != "uptime_seconds" && again[s.Key] != s.Value));

        foreach ((string stat, string metric) in new[]
        {
            ("connections", "rawrelay_connections"), ("connections_total", "rawrelay_connections_total"),
            ("messages_out", "rawrelay_messages_total{direction=\"out\"}"), ("messages_in", "rawrelay_messages_total{direction=\"in\"}"),
            ("bytes_out", "rawrelay_bytes_total{direction=\"out\"}"), ("bytes_in", "rawrelay_bytes_total{direction=\"in\"}"),
            ("slow_clients_dropped", "rawrelay_slow_clients_dropped_total"), ("ping_timeouts", "rawrelay_ping_timeouts_total"),
            ("rate_limited", "rawrelay_rate_limited_total"), ("busy_refused", "rawrelay_busy_refused_total"),
            ("channels", "rawrelay_channels"), ("subscriptions", "rawrelay_subscriptions"),
            ("history_messages", "rawrelay_history_messages"), ("history_bytes", "rawrelay_history_bytes"),
            ("log_lines_lost", "rawrelay_log_lines_lost_total"),
        })
        {
            scrape[metric].Should().Be(stats[stat], $"STATS {stat} and {metric} count the same");
        }
    }

    private async Task<Dictionary<string, double>> StatsAsync(CancellationToken ct)
    {
        (List<string> lines, string status) = await _relay.Control.CommandWithDataAsync("STATS", ct);
        status.Should().Be("OK");
        return lines.Select(l => l.Split(' ')).ToDictionary(w => w[0], w => double.Parse(w[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Test, CancelAfter(20_000)]
    public async Task Labels_are_a_fixed_set_and_every_family_declares_its_type(CancellationToken ct)
    {
        Exposition scrape = await Exposition.ScrapeAsync(_relay.MetricsPort, ct);

        scrape.LabelNames().Should().BeSubsetOf(["result", "direction", "command", "generation"]);
        foreach (string sample in scrape.Samples.Keys)
        {
            string family = sample.Split('{')[0];
            scrape.Types.Should().ContainKey(family);
            if (scrape.Types[family] == "counter")
                family.Should().EndWith("_total");
        }

        scrape.Samples.Keys.Should().Contain(["rawrelay_connections", "rawrelay_slow_clients_dropped_total", "rawrelay_ping_timeouts_total",
            "rawrelay_queued_bytes", "rawrelay_subscriptions", "process_resident_memory_bytes", "process_cpu_seconds_total",
            "process_open_fds", "process_start_time_seconds", "dotnet_gc_collections_total{generation=\"0\"}"]);
        scrape["process_resident_memory_bytes"].Should().BeGreaterThan(1 << 20);
        scrape["process_open_fds"].Should().BeApproximately(Directory.GetFiles("/proc/self/fd").Length, 64,
            "the relay runs in this process, whose descriptors the tests open and close meanwhile");
        scrape["process_start_time_seconds"].Should().BeInRange(DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        scrape.Samples.Keys.Should().NotContain(k => k.StartsWith("rawrelay_webhook_", StringComparison.Ordinal), "this relay has no webhook");
    }

    [Test, CancelAfter(30_000)]
    public async Task Bytes_queued_for_a_client_that_does_not_read_show_until_it_is_gone(CancellationToken ct)
    {
        string id = TestData.NewId("stalled");
        RawWebSocketClient stalled = await _relay.ConnectAsync(id, ct);
        stalled.Socket.ReceiveBufferSize = 4096;
        string payload = new('q', 256 * 1024);
        for (int i = 0; i < 40; i++)
            (await _relay.Control.CommandAsync($"SEND MESSAGE {id} {payload}", ct)).Should().Be("OK 1");

        Exposition queued = await Exposition.WaitAsync(_relay.MetricsPort, s => s["rawrelay_queued_bytes"] > 1 << 20, ct);
        queued["rawrelay_queued_bytes"].Should().BeLessThanOrEqualTo(40 * (payload.Length + 10));

        await stalled.DisposeAsync();
        await Exposition.WaitAsync(_relay.MetricsPort, s => s["rawrelay_queued_bytes"] == 0, ct);
    }

    [TestCase("GET /metrics/ HTTP/1.1", 404)]
    [TestCase("GET / HTTP/1.1", 404)]
    [TestCase("GET /websocket HTTP/1.1", 404)]
    [TestCase("POST /metrics HTTP/1.1", 405)]
    [TestCase("GET /metrics HTTP/1.1\r\nBad header", 400)]
    [CancelAfter(10_000)]
    public async Task Only_GET_and_HEAD_of_metrics_are_answered(string requestLine, int status, CancellationToken ct)
    {
        HttpReply reply = await HttpReply.ExchangeAsync(_relay.MetricsPort, $"{requestLine}\r\nHost: x\r\n\r\n", ct);

        reply.Status.Should().Be(status);
    }

    [Test, CancelAfter(10_000)]
    public async Task Head_of_metrics_has_the_length_and_no_body(CancellationToken ct)
    {
        HttpReply reply = await HttpReply.ExchangeAsync(_relay.MetricsPort, "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n", ct);

        reply.Status.Should().Be(200);
        int.Parse(reply.Header("Content-Length")!, System.Globalization.CultureInfo.InvariantCulture).Should().BeGreaterThan(1000);
        reply.Body.Should().BeEmpty();
    }

    [Test, CancelAfter(10_000)]
    public async Task The_public_port_does_not_serve_metrics(CancellationToken ct)
    {
        HttpReply reply = await HttpReply.ExchangeAsync(_relay.Port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", ct);

        reply.Status.Should().Be(404);
        reply.BodyText.Should().NotContain("rawrelay_");
    }

    [Test, CancelAfter(20_000)]
    public async Task The_webhook_families_appear_with_a_webhook(CancellationToken ct)
    {
        await using WebhookEndpoint endpoint = WebhookEndpoint.Start();
        var webhook = new WebhookOptions { Url = endpoint.Url, Secret = "s", DrainTimeout = TimeSpan.FromSeconds(1) };
        await using RelayFixture relay = RelayFixture.Start(o => o with { Metrics = new IPEndPoint(IPAddress.Loopback, 0), Webhook = webhook });
        await using (await relay.ConnectAsync(TestData.NewId("hooked"), ct))
        {
        }

        Exposition scrape = await Exposition.WaitAsync(relay.MetricsPort, s => s["rawrelay_webhook_delivered_events_total"] >= 2, ct);
        scrape["rawrelay_webhook_queued_events"].Should().Be(0);
        scrape["rawrelay_webhook_dropped_events_total"].Should().Be(0);
        scrape.Samples.Keys.Should().Contain(["rawrelay_webhook_queued_bytes", "rawrelay_webhook_retries_total", "rawrelay_webhook_given_up_events_total"]);
        scrape.Samples.Keys.Should().NotContain("rawrelay_history_messages", "this relay keeps no history");
    }
}
