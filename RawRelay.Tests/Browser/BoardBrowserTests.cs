using Microsoft.Playwright;
using RawRelay.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace RawRelay.Tests.Browser;

/// <summary>
/// The demo board (index.html) in a real headless Chromium; send.php sends to it (see
/// <see cref="DemoSiteBrowserTests"/> for who serves what).
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class BoardBrowserTests : DemoSiteBrowserTests
{
    [Test, CancelAfter(60_000)]
    public async Task A_message_sent_from_the_PHP_page_appears_on_the_board()
    {
        (IPage board, string id) = await OpenBoardAsync();
        IPage sender = await Browser.NewPageAsync();

        await sender.GotoAsync($"{Php.BaseUrl}/send.php?id={Uri.EscapeDataString(id)}");
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

        await RestartRelayAsync(() => Expect(board.Locator("#state")).ToHaveTextAsync("disconnected"));

        await Expect(board.Locator("#state")).ToHaveTextAsync("connected", new() { Timeout = 45_000 });
        await SendWithPhpScriptAsync(id, "after the restart");
        await Expect(board.Locator("#messages li")).ToHaveTextAsync(["before the restart", "after the restart"]);
        await ScreenshotAsync(board, "board-after-restart.png");
        await board.CloseAsync();
    }

    /// <summary>Opens the board as a visitor would (it makes its own random id) and waits until it is connected.</summary>
    private async Task<(IPage Board, string Id)> OpenBoardAsync()
    {
        IPage board = await Browser.NewPageAsync();
        await board.GotoAsync(PageUrl("/"));
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
            ["-r", Script, Path.Combine(TestEnvironment.StaticFolder(), "lib", "RawRelay.php"), Relay.ControlPath, id, message]);
        exit.Should().Be(0, $"php said: {error}");
        output.Should().Be("1", "the board is the one connection of its id");
    }

    private static Task ScreenshotAsync(IPage page, string name) =>
        HeadlessChromium.ScreenshotAsync(page, name, "the board as a person sees it");
}
