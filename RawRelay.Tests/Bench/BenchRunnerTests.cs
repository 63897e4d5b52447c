using RawRelay.Bench;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Bench;

/// <summary>`rawrelay bench` against a running relay, at a size that proves the scenarios complete, not speed.</summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class BenchRunnerTests
{
    [Test, CancelAfter(120_000)]
    public async Task Every_scenario_completes_and_prints_one_figure_each(CancellationToken ct)
    {
        await using RelayFixture relay = RelayFixture.Start();
        var options = new BenchOptions
        {
            TargetPort = relay.Port,
            TargetControl = relay.ControlPath,
            RelayPid = Environment.ProcessId,
            Clients = 40,
            Sources = 2,
            InFlight = 8,
            Messages = 5,
            SendCommands = 200,
            LatencyMessages = 100,
            Rate = 1000,
            Settle = 0,
            Timeout = 60,
        };
        var output = new StringWriter();

        int exit = await BenchRunner.RunAsync(options, output, ct).WithTimeout(TimeSpan.FromSeconds(100));

        exit.Should().Be(0);
        string table = output.ToString();
        table.Should().NotContain("\n- ", "no scenario may be incomplete:\n" + table);
        foreach (string key in (string[])["bytes_per_idle_conn=", "handshakes_per_s=", "broadcast_deliveries_per_s=",
                     "send_cmds_per_s=", "latency_p50_us=", "latency_p99_us=", "latency_max_us=", "rss_peak_mb="])
            table.Should().Contain(key);
    }

    [TestCase("connect,broadcast,send,latency", BenchScenarios.All, TestName = "All four names")]
    [TestCase("send", BenchScenarios.Send, TestName = "One name")]
    [TestCase("fanout, latency", BenchScenarios.Fanout | BenchScenarios.Latency, TestName = "Aliases and spaces")]
    [TestCase("send,nonsense", null, TestName = "An unknown name is refused")]
    [TestCase("", null, TestName = "An empty list is refused")]
    public void Scenario_list_is_parsed(string list, object? expected) =>
        BenchCommandLine.ParseScenarios(list).Should().Be((BenchScenarios?)expected);
}
