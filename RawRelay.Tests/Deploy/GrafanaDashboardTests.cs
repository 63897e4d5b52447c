using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using RawRelay.Tests.Infrastructure;
using RawRelay.Webhooks;

namespace RawRelay.Tests.Deploy;

/// <summary>
/// RawRelay/deploy/rawrelay-grafana.json: a Grafana dashboard whose every query names metrics a relay with
/// history and a webhook serves (no panel stays empty for a renamed metric), filtered by the dashboard's job.
/// Prometheus itself checks the queries parse (<see cref="Integration.Metrics.PrometheusServerTests"/>).
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed partial class GrafanaDashboardTests
{
    /// <summary>Every query of every panel, as the dashboard file has it.</summary>
    internal static List<string> Queries()
    {
        string path = Path.Combine(TestEnvironment.RepositoryRoot(), "RawRelay", "deploy", "rawrelay-grafana.json");
        using JsonDocument dashboard = JsonDocument.Parse(File.ReadAllText(path));
        return dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(panel => panel.GetProperty("targets").EnumerateArray())
            .Select(target => target.GetProperty("expr").GetString()!)
            .ToList();
    }

    [Test, CancelAfter(20_000)]
    public async Task Every_query_names_a_metric_the_relay_serves_and_filters_by_job(CancellationToken ct)
    {
        await using WebhookEndpoint endpoint = WebhookEndpoint.Start();
        var webhook = new WebhookOptions { Url = endpoint.Url, Secret = "s", DrainTimeout = TimeSpan.FromSeconds(1) };
        await using RelayFixture relay = RelayFixture.Start(o => o with
        {
            Metrics = new IPEndPoint(IPAddress.Loopback, 0), Webhook = webhook, History = 10,
        });
        Exposition scrape = await Exposition.ScrapeAsync(relay.MetricsPort, ct);
        var families = scrape.Types.Keys.ToHashSet();

        List<string> queries = Queries();
        queries.Should().HaveCountGreaterThan(15);
        foreach (string query in queries)
        {
            List<string> names = MetricName().Matches(query).Select(m => m.Value).ToList();
            names.Should().NotBeEmpty(query);
            families.Should().Contain(names, query);
            query.Should().Contain("{job=~\"$job\"}", "every panel follows the dashboard's job choice");
        }

        families.Where(f => f.StartsWith("rawrelay_", StringComparison.Ordinal))
            .Where(f => !queries.Any(q => q.Contains(f, StringComparison.Ordinal)))
            .Should().BeSubsetOf(["rawrelay_connections_total", "rawrelay_event_consumers", "rawrelay_webhook_queued_bytes"],
                "every other family of the relay has a panel");
    }

    [GeneratedRegex(@"\b(?:rawrelay|process|dotnet)_[a-z_]+")]
    private static partial Regex MetricName();
}
