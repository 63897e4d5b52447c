using RawRelay.Bench;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Bench;

/// <summary>`rawrelay bench` against a running relay, at a size that proves the scenarios complete, not speed.</summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class BenchRunnerTests
{
    private const int StormMessages = 20;

    /// <summary>The one note a run against a relay it did not start always has (when the storm runs).</summary>
    private const string HistoryHint = "must run with --history";

    [Test, CancelAfter(180_000)]
    public async Task Every_scenario_completes_and_prints_its_figures(CancellationToken ct)
    {
        await using RelayFixture relay = RelayFixture.Start(o => o with { History = StormMessages });
        BenchOptions options = Small(relay) with
        {
            Clients = 40,
            InFlight = 8,
            Messages = 5,
            SendCommands = 200,
            LatencyMessages = 100,
            Rate = 1000,
            Publishes = 5,
            LatencyPublishes = 200,
        };

        string table = await RunAsync(options, ct);

        foreach (string key in (string[])["bytes_per_idle_conn=", "handshakes_per_s=", "broadcast_deliveries_per_s=",
                     "send_cmds_per_s=", "latency_p50_us=", "latency_p99_us=", "latency_max_us=", "channel_deliveries_per_s=",
                     "channel_latency_p50_us=", "channel_latency_p99_us=", "storm_live_s=", "storm_s=", "storm_ratio=", "rss_peak_mb="])
            table.Should().Contain(key);
    }

    [Test, CancelAfter(120_000)]
    public async Task Channels_scenario_checks_every_client_and_prints_deliveries_and_latency(CancellationToken ct)
    {
        await using RelayFixture relay = RelayFixture.Start();
        BenchOptions options = Small(relay) with { Scenarios = BenchScenarios.Channels, Publishes = 10, LatencyPublishes = 300 };

        string table = await RunAsync(options, ct);

        table.Should().Contain("| channel deliveries per second (200 clients in 100 channels, 10 x 100 PUBLISH of 64 B pipelined) |");
        table.Should().Contain("channel_deliveries_per_s=").And.Contain("channel_latency_p50_us=").And.Contain("channel_latency_p99_us=");
        table.Should().NotContain("storm");
    }

    [Test, CancelAfter(120_000)]
    public async Task Storm_scenario_resumes_every_client_and_prints_storm_against_live(CancellationToken ct)
    {
        await using RelayFixture relay = RelayFixture.Start(o => o with { History = StormMessages });
        BenchOptions options = Small(relay) with { Scenarios = BenchScenarios.Storm };

        string table = await RunAsync(options, ct);

        table.Should().Contain("storm_live_s=").And.Contain("storm_s=").And.Contain("storm_ratio=");
        table.Should().Contain($"until each has its {StormMessages} missed");
        table.Should().Contain(HistoryHint, "a relay the bench did not start is told what it needs");
        (await relay.Control.CommandAsync("LIST WEBSOCKETS", ct).WithTimeout()).Should().Be("OK 0", "the bench drained its clients");
    }

    [Test, CancelAfter(120_000)]
    public async Task Storm_against_a_relay_with_too_little_history_is_incomplete_and_has_no_figure(CancellationToken ct)
    {
        await using RelayFixture relay = RelayFixture.Start(o => o with { History = StormMessages / 4 });
        BenchOptions options = Small(relay) with { Scenarios = BenchScenarios.Storm };
        var output = new StringWriter();

        int exit = await BenchRunner.RunAsync(options, output, ct).WithTimeout(TimeSpan.FromSeconds(100));

        exit.Should().Be(0);
        string table = output.ToString();
        table.Should().Contain("- storm: incomplete: 0 of 200 clients got all their messages, 200 !reset", table);
        table.Should().Contain("storm_live_s=", "the live phase needs no history").And.NotContain("storm_s=").And.NotContain("storm_ratio=");
    }

    [Test, CancelAfter(120_000)]
    public async Task Pusher_scenario_prints_rates_and_the_relays_cpu_per_delivery_beside_the_native_ones(CancellationToken ct)
    {
        await using RelayFixture relay = RelayFixture.Start(o => o with { PusherApp = PusherScenario.App });
        BenchOptions options = Small(relay) with { Scenarios = BenchScenarios.Pusher, Messages = 20 };

        string table = await RunAsync(options, ct);

        foreach (string key in (string[])["pusher_native_deliveries_per_s=", "pusher_native_cpu_ns=", "pusher_batch100_deliveries_per_s=",
                     "pusher_batch100_cpu_ns=", "pusher_batch100_cpu_vs_native_pct=", "pusher_batch10_cpu_vs_native_pct=", "pusher_batch1_vs_native_pct="])
            table.Should().Contain(key);
        table.Should().Contain("| relay CPU per delivery, Pusher batch_events of 100 |");
    }

    [Test]
    public void A_relay_the_bench_starts_keeps_history_for_the_storm() =>
        BenchRunner.RelayArguments(new BenchOptions { StormMessages = 150, RelayArguments = ["--log-level", "info"] })
            .Should().Equal("--history", "150", "--log-level", "info");

    [TestCase("connect,broadcast,send,latency,channels,storm", BenchScenarios.All, TestName = "All six names")]
    [TestCase("send", BenchScenarios.Send, TestName = "One name")]
    [TestCase("fanout, latency", BenchScenarios.Fanout | BenchScenarios.Latency, TestName = "Aliases and spaces")]
    [TestCase("chanfanout,resume", BenchScenarios.Channels | BenchScenarios.Storm, TestName = "The harness's names for the new two")]
    [TestCase("send,nonsense", null, TestName = "An unknown name is refused")]
    [TestCase("", null, TestName = "An empty list is refused")]
    public void Scenario_list_is_parsed(string list, object? expected) =>
        BenchCommandLine.ParseScenarios(list).Should().Be((BenchScenarios?)expected);

    /// <summary>200 clients from 2 addresses against the fixture's relay; the storm's M is <see cref="StormMessages"/>.</summary>
    private static BenchOptions Small(RelayFixture relay) => new()
    {
        TargetPort = relay.Port,
        TargetControl = relay.ControlPath,
        RelayPid = Environment.ProcessId,
        Clients = 200,
        Sources = 2,
        InFlight = 16,
        StormMessages = StormMessages,
        Settle = 0,
        Timeout = 60,
    };

    /// <summary>Runs the bench; it must exit 0 with no note but the history hint.</summary>
    private static async Task<string> RunAsync(BenchOptions options, CancellationToken ct)
    {
        var output = new StringWriter();
        int exit = await BenchRunner.RunAsync(options, output, ct).WithTimeout(TimeSpan.FromSeconds(150));
        exit.Should().Be(0);
        string table = output.ToString();
        table.Split('\n').Where(line => line.StartsWith("- ", StringComparison.Ordinal) && !line.Contains(HistoryHint, StringComparison.Ordinal))
            .Should().BeEmpty("no scenario may be incomplete or note a problem:\n" + table);
        return table;
    }
}
