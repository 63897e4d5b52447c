using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Browser;

/// <summary>
/// The demo site in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright). Its
/// pages are served by the relay's own <c>--static</c>, as <c>make run</c> and a reverse proxy both do,
/// so their <c>ws://&lt;their own host&gt;/websocket</c> is the relay; the PHP pages (send.php,
/// publish.php, feed-state.php) run on <c>php -S</c> over the same static/ folder and reach the relay
/// through the control socket, and the browser sends a page's requests for <c>.php</c> there, so to the
/// page one site serves both, as Apache does. The relay keeps history (<c>--history 100</c>, as
/// <c>make run</c> starts it), and a webhook to php -S when a subclass asks for one. A subclass tests one page.
/// </summary>
public abstract class DemoSiteBrowserTests
{
    private protected RelayFixture Relay { get; set; } = null!;

    private protected PhpServer Php { get; private set; } = null!;

    private protected HeadlessChromium Browser { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartEverything()
    {
        TestEnvironment.RequireOnPath("php", "php-cli");
        HeadlessChromium.RequireInstalled();
        _phpPort = LoopbackPort.Free();                 // known before the relay starts, for its webhook
        Relay = StartRelay(port: 0, RelayFixture.TempSocketPath());
        Php = await PhpServer.StartAsync(TestEnvironment.StaticFolder(), Relay.ControlPath, PhpEnvironment, _phpPort);
        Browser = await HeadlessChromium.LaunchAsync();
        await Browser.SendPhpRequestsToAsync(Php.BaseUrl);
    }

    [OneTimeTearDown]
    public async Task StopEverything()
    {
        if (Browser is not null)
            await Browser.DisposeAsync();
        if (Php is not null)
            await Php.DisposeAsync();
        if (Relay is not null)
            await Relay.DisposeAsync();
    }

    private int _phpPort;

    /// <summary>What php -S gets in its environment besides the control socket (none unless a subclass says).</summary>
    private protected virtual IReadOnlyDictionary<string, string>? PhpEnvironment => null;

    /// <summary>The relay's webhook, given the port php -S listens on (none unless a subclass says).</summary>
    private protected virtual global::RawRelay.Webhooks.WebhookOptions? Webhook(int phpPort) => null;

    /// <summary>Messages the relay keeps per stream, as <c>make run</c> has it.</summary>
    private protected const int History = 100;

    /// <summary>The folder the relay serves (<c>--static</c>): static/, unless a subclass serves pages of its own.</summary>
    private protected virtual string SiteFolder => TestEnvironment.StaticFolder();

    /// <summary>A relay serving <see cref="SiteFolder"/> on <paramref name="port"/> (0: any) with <paramref name="controlPath"/>, keeping <see cref="History"/>.</summary>
    private protected RelayFixture StartRelay(int port, string controlPath) =>
        RelayFixture.Start(o => o with
        {
            Port = port, Control = controlPath, Static = SiteFolder, History = History, Webhook = Webhook(_phpPort),
            LogLevel = global::RawRelay.Diagnostics.LogLevel.Info,
        });

    /// <summary>
    /// Stops the relay, runs <paramref name="whileDown"/> (e.g. waits until a page has noticed), and
    /// starts a new one on the same port and control socket path, as a restarted service would be:
    /// every stream starts again under a new epoch.
    /// </summary>
    private protected async Task RestartRelayAsync(Func<Task> whileDown)
    {
        int port = Relay.Port;
        string control = Relay.ControlPath;
        await Relay.DisposeAsync();
        await whileDown();
        Relay = StartRelay(port, control);
    }

    /// <summary>The address of a page (path and query) the relay serves.</summary>
    private protected string PageUrl(string pathAndQuery) => $"http://127.0.0.1:{Relay.Port}{pathAndQuery}";
}
