using System.Net;
using System.Text.Json;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration.Metrics;

/// <summary>
/// A real Prometheus server (Debian's <c>prometheus</c>) scrapes the relay's <c>--metrics</c> listener with the
/// job of <c>RawRelay/deploy/prometheus.yml</c>, and its query API returns the relay's connection count.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class PrometheusServerTests
{
    [Test, CancelAfter(90_000)]
    public async Task Prometheus_scrapes_the_relay_and_its_query_api_returns_the_connections(CancellationToken ct)
    {
        string prometheus = TestEnvironment.RequireOnPath("prometheus", "prometheus");
        await using RelayFixture relay = RelayFixture.Start(o => o with { Metrics = new IPEndPoint(IPAddress.Loopback, 0) });
        string id = TestData.NewId("scraped");
        await using RawWebSocketClient first = await relay.ConnectAsync(id, ct);
        await using RawWebSocketClient second = await relay.ConnectAsync(id, ct);
        await using RawWebSocketClient third = await relay.ConnectAsync(TestData.NewId("scraped"), ct);

        string folder = Directory.CreateTempSubdirectory("rr-prometheus-").FullName;
        try
        {
            string config = Path.Combine(folder, "prometheus.yml");
            await File.WriteAllTextAsync(config, ScrapeConfig(relay.MetricsPort), ct);
            int port = LoopbackPort.Free();
            await using ChildProcess server = ChildProcess.Start([prometheus], [
                $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(folder, "data")}",
                $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"]);

            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
            double connections = await QueryUntilAsync(http, server, "rawrelay_connections", v => v == 3, ct);
            connections.Should().Be(3);
            (await QueryUntilAsync(http, server, "up{job=\"rawrelay\"}", v => v == 1, ct)).Should().Be(1);
            await third.DisposeAsync();
            (await QueryUntilAsync(http, server, "rawrelay_connections", v => v == 2, ct)).Should().Be(2, "a closed connection leaves the gauge");
            foreach (string panel in Deploy.GrafanaDashboardTests.Queries())
            {
                string query = panel.Replace("$job", "rawrelay", StringComparison.Ordinal).Replace("$__rate_interval", "1m", StringComparison.Ordinal);
                using HttpResponseMessage answer = await http.GetAsync($"/api/v1/query?query={Uri.EscapeDataString(query)}", ct);
                answer.StatusCode.Should().Be(HttpStatusCode.OK, $"Prometheus takes the dashboard's query {panel}: {await answer.Content.ReadAsStringAsync(ct)}");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The deploy folder's scrape job, aimed at the test's relay and scraping four times a second.</summary>
    private static string ScrapeConfig(int metricsPort)
    {
        string shipped = File.ReadAllText(Path.Combine(TestEnvironment.RepositoryRoot(), "RawRelay", "deploy", "prometheus.yml"));
        shipped.Should().Contain("job_name: rawrelay").And.Contain("127.0.0.1:9464");
        return shipped.Replace("127.0.0.1:9464", $"127.0.0.1:{metricsPort}", StringComparison.Ordinal)
            .Replace("scrape_interval: 15s", "scrape_interval: 250ms", StringComparison.Ordinal)
            .Replace("scrape_timeout: 5s", "scrape_timeout: 200ms", StringComparison.Ordinal);
    }

    /// <summary>Asks the query API until the one value of <paramref name="query"/> satisfies <paramref name="done"/> (Prometheus's startup and its scrapes bound the wait).</summary>
    private static async Task<double> QueryUntilAsync(HttpClient http, ChildProcess server, string query, Func<double, bool> done, CancellationToken ct)
    {
        double value = double.NaN;
        await TaskTimeouts.Eventually(async () =>
        {
            if (server.HasExited)
                Assert.Fail($"prometheus exited:\n{server.Output}");
            try
            {
                string body = await http.GetStringAsync($"/api/v1/query?query={Uri.EscapeDataString(query)}", ct);
                using JsonDocument answer = JsonDocument.Parse(body);
                JsonElement result = answer.RootElement.GetProperty("data").GetProperty("result");
                if (result.GetArrayLength() != 1)
                    return false;
                value = double.Parse(result[0].GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture);
                return done(value);
            }
            catch (HttpRequestException)
            {
                return false;                   // not listening yet
            }
        }, TimeSpan.FromSeconds(60));
        return value;
    }
}
