using Microsoft.Playwright;
using RawRelay.Pusher;
using RawRelay.Tests.Browser;
using RawRelay.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace RawRelay.Tests.Pusher;

/// <summary>
/// pusher-js and Laravel Echo (their browser builds from npm) in a real headless Chromium, configured as a
/// Laravel app with <c>BROADCAST_CONNECTION=reverb</c> configures Echo: the page comes from the relay's own
/// <c>--static</c> (Chromium lets a loopback page only connect to loopback), its <c>/auth.php</c> goes to
/// <c>php -S</c> serving RawRelay.Tests/Pusher/php/. Events come from the HTTP API and the control socket.
/// </summary>
[TestFixture, NonParallelizable]
public sealed class PusherBrowserTests
{
    private string _site = null!;
    private RelayFixture _relay = null!;
    private PhpServer _php = null!;
    private HeadlessChromium _browser = null!;

    [OneTimeSetUp]
    public async Task StartEverything()
    {
        TestEnvironment.RequireOnPath("php", "php-cli");
        HeadlessChromium.RequireInstalled();
        string npm = NpmPackages.Require();
        _site = Directory.CreateTempSubdirectory("rr-echo-site-").FullName;
        File.Copy(Path.Combine(npm, "node_modules", "pusher-js", "dist", "web", "pusher.min.js"), Path.Combine(_site, "pusher.min.js"));
        File.Copy(Path.Combine(npm, "node_modules", "laravel-echo", "dist", "echo.iife.js"), Path.Combine(_site, "echo.iife.js"));
        File.Copy(Path.Combine(TestEnvironment.RepositoryRoot(), "RawRelay.Tests", "Pusher", "Pages", "echo.html"), Path.Combine(_site, "echo.html"));
        _relay = RelayFixture.Start(o => o with
        {
            Static = _site,
            PusherApp = PusherWireClient.App,
        });
        _php = await PhpServer.StartAsync(Path.Combine(TestEnvironment.RepositoryRoot(), "RawRelay.Tests", "Pusher", "php"), _relay.ControlPath);
        _browser = await HeadlessChromium.LaunchAsync();
        await _browser.SendPhpRequestsToAsync(_php.BaseUrl);
    }

    [OneTimeTearDown]
    public async Task StopEverything()
    {
        if (_browser is not null)
            await _browser.DisposeAsync();
        if (_php is not null)
            await _php.DisposeAsync();
        if (_relay is not null)
            await _relay.DisposeAsync();
        if (_site is not null)
            Directory.Delete(_site, recursive: true);
    }

    private async Task<IPage> OpenAsync(string user, string suffix)
    {
        IPage page = await _browser.NewPageAsync();
        await page.GotoAsync($"http://127.0.0.1:{_relay.Port}/echo.html?user={user}&suffix={suffix}");
        await Expect(page.Locator("#state")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^ready "));
        return page;
    }

    [Test, CancelAfter(60_000)]
    public async Task Echo_in_chromium_gets_public_private_and_presence_events_from_the_http_api_and_the_control_socket(CancellationToken ct)
    {
        string suffix = Guid.NewGuid().ToString("N")[..8];
        IPage ann = await OpenAsync("ann", suffix);
        ILocator log = ann.Locator("#log li");
        await Expect(log.Nth(0)).ToHaveTextAsync("here Ann");

        IPage bob = await OpenAsync("bob", suffix);
        await Expect(log.Nth(1)).ToHaveTextAsync("joining Bob");
        (await PusherApiRequests.TriggerAsync(_relay.Port, "news-" + suffix, "OrderShipped", "{\"id\":1}", ct)).Status.Should().Be(200);
        await Expect(log.Nth(2)).ToHaveTextAsync("news OrderShipped {\"id\":1}");
        (await PusherApiRequests.TriggerAsync(_relay.Port, "private-orders-" + suffix, "OrderPaid", "{\"id\":2}", ct)).Status.Should().Be(200);
        await Expect(log.Nth(3)).ToHaveTextAsync("private OrderPaid {\"id\":2}");
        (await _relay.Control.CommandAsync($"PUBLISH MESSAGE news-{suffix} {{\"from\":\"php\"}}", ct)).Should().Be("OK 2");
        await Expect(log.Nth(4)).ToHaveTextAsync("news message {\"from\":\"php\"}");

        await bob.CloseAsync();
        await Expect(log.Nth(5)).ToHaveTextAsync("leaving Bob");
        await Expect(log).ToHaveCountAsync(6);
        await ann.CloseAsync();
    }
}
