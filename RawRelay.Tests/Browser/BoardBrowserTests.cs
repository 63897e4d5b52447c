using Microsoft.Playwright;
using RawRelay.Diagnostics;
using RawRelay.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace RawRelay.Tests.Browser;

/// <summary>
/// The demo site in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright). The
/// board is served by the relay's own <c>--static</c>, as <c>make run</c> and a reverse proxy both
/// do, so its <c>ws://&lt;its own host&gt;/websocket</c> is the relay; send.php runs on <c>php -S</c>
/// over the same static/ folder and reaches the relay through the control socket.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class BoardBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";
    private static readonly string[] ChromiumFlags =
    [
        "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    private RelayFixture _relay = null!;
    private PhpServer _php = null!;
    private IPlaywright _playwright = null!;
    private IBrowserContext _browser = null!;
    private string _profile = "";

    [OneTimeSetUp]
    public async Task StartEverything()
    {
        TestEnvironment.RequireOnPath("php", "php-cli");
        if (!File.Exists(Chromium))
            Assert.Ignore($"{Chromium} is not installed (apt-get install chromium); CI installs it");
        _relay = StartRelay(port: 0, RelayFixture.TempSocketPath());
        _php = await PhpServer.StartAsync(TestEnvironment.StaticFolder(), _relay.ControlPath);
        _playwright = await Playwright.CreateAsync();
        _profile = Directory.CreateTempSubdirectory("rr-chromium-").FullName; // a fresh profile every run
        _browser = await _playwright.Chromium.LaunchPersistentContextAsync(_profile, new BrowserTypeLaunchPersistentContextOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ChromiumFlags,
            ViewportSize = new ViewportSize { Width = 900, Height = 600 },
        });
        _browser.SetDefaultTimeout(20_000);
    }

    [OneTimeTearDown]
    public async Task StopEverything()
    {
        if (_browser is not null)
            await _browser.CloseAsync();
        _playwright?.Dispose();
        if (_php is not null)
            await _php.DisposeAsync();
        if (_relay is not null)
            await _relay.DisposeAsync();
        if (_profile != "")
            Directory.Delete(_profile, recursive: true);
    }

    [Test, CancelAfter(60_000)]
    public async Task A_message_sent_from_the_PHP_page_appears_on_the_board()
    {
        (IPage board, string id) = await OpenBoardAsync();
        IPage sender = await _browser.NewPageAsync();

        await sender.GotoAsync($"{_php.BaseUrl}/send.php?id={Uri.EscapeDataString(id)}");
        await sender.Locator("#message").FillAsync("Hello from PHP \u2713");
        await sender.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();

        await Expect(sender.Locator(".notice.ok")).ToHaveTextAsync("Delivered to 1 connection(s)");
        await Expect(board.Locator("#messages li")).ToHaveTextAsync(["Hello from PHP \u2713"]);
        await ScreenshotAsync(board, "board-after-send.png");
        await sender.CloseAsync();
        await board.CloseAsync();
    }

    [Test, CancelAfter(60_000)]
    public async Task A_message_with_HTML_in_it_shows_as_text_and_creates_no_element()
    {
        (IPage board, string id) = await OpenBoardAsync();
        const string Html = "<img src=x onerror=\"document.title='pwned'\"><b>bold</b><script>document.title='pwned'</script>";

        await SendWithPhpScriptAsync(id, Html);                          // raw text, not JSON
        await SendWithPhpScriptAsync(id, "{\"message\":\"<i>in JSON</i>\"}"); // JSON: its message field

        await Expect(board.Locator("#messages li")).ToHaveTextAsync([Html, "<i>in JSON</i>"]);
        (await board.Locator("#messages img, #messages b, #messages script, #messages i").CountAsync()).Should().Be(0);
        (await board.TitleAsync()).Should().NotContain("pwned");
        await ScreenshotAsync(board, "board-html-as-text.png");
        await board.CloseAsync();
    }

    [Test, CancelAfter(90_000)]
    public async Task After_the_relay_restarts_the_board_reconnects_by_itself_and_receives_again()
    {
        (IPage board, string id) = await OpenBoardAsync();
        await SendWithPhpScriptAsync(id, "before the restart");
        await Expect(board.Locator("#messages li")).ToHaveTextAsync(["before the restart"]);
        int port = _relay.Port;
        string control = _relay.ControlPath;

        await _relay.DisposeAsync();
        await Expect(board.Locator("#state")).ToHaveTextAsync("disconnected");
        _relay = StartRelay(port, control);                               // the same port and socket path

        await Expect(board.Locator("#state")).ToHaveTextAsync("connected", new() { Timeout = 45_000 });
        await SendWithPhpScriptAsync(id, "after the restart");
        await Expect(board.Locator("#messages li")).ToHaveTextAsync(["before the restart", "after the restart"]);
        await ScreenshotAsync(board, "board-after-restart.png");
        await board.CloseAsync();
    }

    private static RelayFixture StartRelay(int port, string controlPath) =>
        RelayFixture.Start(o => o with { Port = port, Control = controlPath, Static = TestEnvironment.StaticFolder(), LogLevel = global::RawRelay.Diagnostics.LogLevel.Info });

    /// <summary>Opens the board as a visitor would (it makes its own random id) and waits until it is connected.</summary>
    private async Task<(IPage Board, string Id)> OpenBoardAsync()
    {
        IPage board = await _browser.NewPageAsync();
        await board.GotoAsync($"http://127.0.0.1:{_relay.Port}/");
        await Expect(board.Locator("#state")).ToHaveTextAsync("connected");
        string id = await board.Locator("#board-id").InnerTextAsync();
        id.Should().MatchRegex("^[A-Z0-9]{10}$");
        return (board, id);
    }

    /// <summary>Sends with the PHP client from a one-file script, as an application's PHP code would.</summary>
    private async Task SendWithPhpScriptAsync(string id, string message)
    {
        const string Script = """
            require $argv[1];
            $relay = new RawRelay($argv[2]);
            echo $relay->send($argv[3], $argv[4]);
            """;
        (int exit, string output, string error) = await PhpCli.RunAsync(
            ["-r", Script, Path.Combine(TestEnvironment.StaticFolder(), "lib", "RawRelay.php"), _relay.ControlPath, id, message]);
        exit.Should().Be(0, $"php said: {error}");
        output.Should().Be("1", "the board is the one connection of its id");
    }

    private static async Task ScreenshotAsync(IPage page, string name)
    {
        string path = Path.Combine(TestContext.CurrentContext.WorkDirectory, name);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        TestContext.AddTestAttachment(path, "the board as a person sees it");
    }
}
