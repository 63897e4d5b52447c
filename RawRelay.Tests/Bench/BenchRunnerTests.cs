using RawRelay.Bench;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Bench;

/// <summary>`rawrelay bench` against a running relay, at a size that proves the scenarios complete, not speed.</summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class BenchRunnerTests
{
    [Test, CancelAfter(180_000)]
    public async Task Every_scenario_completes_and_prints_its_figures(CancellationToken ct)
    {
        await using RelayFixture relay = RelayFixture.Start();
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
                     "channel_latency_p50_us=", "channel_latency_p99_us=", "rss_peak_mb="])
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
    }

    [TestCase("connect,broadcast,send,latency,channels", BenchScenarios.All, TestName = "All five names")]
    [TestCase("send", BenchScenarios.Send, TestName = "One name")]
    [TestCase("fanout, latency", BenchScenarios.Fanout | BenchScenarios.Latency, TestName = "Aliases and spaces")]
    [TestCase("chanfanout", BenchScenarios.Channels, TestName = "The harness's name for channels")]
    [TestCase("send,nonsense", null, TestName = "An unknown name is refused")]
    [TestCase("", null, TestName = "An empty list is refused")]
    public void Scenario_list_is_parsed(string list, object? expected) =>
        BenchCommandLine.ParseScenarios(list).Should().Be((BenchScenarios?)expected);

    /// <summary>200 clients from 2 addresses against the fixture's relay.</summary>
    private static BenchOptions Small(RelayFixture relay) => new()
    {
        TargetPort = relay.Port,
        TargetControl = relay.ControlPath,
        RelayPid = Environment.ProcessId,
        Clients = 200,
        Sources = 2,
        InFlight = 16,
        Settle = 0,
        Timeout = 60,
    };

    /// <summary>Runs the bench; it must exit 0 with no note.</summary>
    private static async Task<string> RunAsync(BenchOptions options, CancellationToken ct)
    {
        var output = new StringWriter();
        int exit = await BenchRunner.RunAsync(options, output, ct).WithTimeout(TimeSpan.FromSeconds(150));
        exit.Should().Be(0);
        string table = output.ToString();
        table.Split('\n').Where(line => line.StartsWith("- ", StringComparison.Ordinal))
            .Should().BeEmpty("no scenario may be incomplete or note a problem:\n" + table);
        return table;
    }
}
