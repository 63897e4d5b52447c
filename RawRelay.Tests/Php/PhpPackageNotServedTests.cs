using System.Net;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Php;

/// <summary>
/// <c>make run</c> serves static/ with the relay's <c>--static</c>, and the PHP package lives in
/// static/lib/: its sources, tests and PHPUnit configuration must not be served (Apache and nginx deny
/// all of /lib/). Only composer.json is, as a .json file: public metadata.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class PhpPackageNotServedTests
{
    private RelayFixture _relay = null!;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [OneTimeSetUp]
    public void StartRelay() => _relay = RelayFixture.Start(o => o with { Static = TestEnvironment.StaticFolder() });

    [OneTimeTearDown]
    public async Task StopRelay()
    {
        _http.Dispose();
        if (_relay is not null)
            await _relay.DisposeAsync();
    }

    public static IEnumerable<TestCaseData> PackageFiles() =>
        Directory.EnumerateFiles(PhpUnitSuite.PackageFolder, "*", SearchOption.AllDirectories)
            .Select(file => Path.GetRelativePath(TestEnvironment.StaticFolder(), file).Replace('\\', '/'))
            .Where(path => !path.Split('/').Contains("vendor"))                   // a local composer install
            .Order(StringComparer.Ordinal)
            .Select(path => new TestCaseData(path).SetArgDisplayNames(path));

    [TestCaseSource(nameof(PackageFiles)), CancelAfter(20_000)]
    public async Task The_relay_does_not_serve_the_package_file(string path, CancellationToken ct)
    {
        using HttpResponseMessage response = await _http.GetAsync($"http://127.0.0.1:{_relay.Port}/{path}", ct).WithTimeout();

        response.StatusCode.Should().Be(path == "lib/composer.json" ? HttpStatusCode.OK : HttpStatusCode.NotFound);
    }
}
