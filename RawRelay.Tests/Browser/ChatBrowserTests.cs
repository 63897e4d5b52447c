using System.Text.Json;
using Microsoft.Playwright;
using RawRelay.Tests.Infrastructure;
using RawRelay.Webhooks;
using static Microsoft.Playwright.Assertions;

namespace RawRelay.Tests.Browser;

/// <summary>
/// The demo's chat (chat.html?room=...) in two real headless Chromiums, each with a profile of its own, as
/// two people on two machines: a line one of them sends goes over its WebSocket to the relay, whose
/// webhook POSTs it to chat-hook.php on php -S, which checks the signature and the line, stores it in
/// SQLite (a data folder of the fixture's own) and publishes it to the room's channel. Besides what the
/// pages show, each test checks with clients of its own: chat-state.php read over HTTP (what PHP stored)
/// and a rawrelay.v1 connection on the room's channel (what the relay published). Each test has a room
/// of its own.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class ChatBrowserTests : DemoSiteBrowserTests
{
    private const string HookSecret = "a-webhook-secret-for-the-chat-tests";
    private const int Rooms = 8;

    private readonly string _data = Path.Combine(Path.GetTempPath(), $"rr-chat-{Guid.NewGuid():N}");
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private HeadlessChromium? _other;
    private int _roomsTaken;

    /// <summary>The second person's browser.</summary>
    private HeadlessChromium Other => _other!;

    private protected override IReadOnlyDictionary<string, string> PhpEnvironment => new Dictionary<string, string>
    {
        ["RAWRELAY_WEBHOOK_SECRET"] = HookSecret,
        ["RAWRELAY_DEMO_DATA"] = _data,
        ["RAWRELAY_CHAT_ROOMS"] = string.Join(',', Enumerable.Range(1, Rooms).Select(RoomName)),
    };

    private protected override WebhookOptions Webhook(int phpPort) => new()
    {
        Url = new Uri($"http://127.0.0.1:{phpPort}/chat-hook.php"), Secret = HookSecret, FirstRetry = TimeSpan.FromMilliseconds(100),
    };

    [OneTimeSetUp]
    public async Task StartTheSecondBrowser()
    {
        _other = await HeadlessChromium.LaunchAsync();
        await _other.SendPhpRequestsToAsync(Php.BaseUrl);
    }

    [OneTimeTearDown]
    public async Task StopTheSecondBrowser()
    {
        if (_other is not null)
            await _other.DisposeAsync();
        if (Directory.Exists(_data))
            Directory.Delete(_data, recursive: true);
    }

    [Test, CancelAfter(60_000)]
    public async Task Two_people_see_each_others_lines_as_text_and_no_other_room_does(CancellationToken ct)
    {
        string room = NewRoom(), otherRoom = NewRoom();
        await using RawWebSocketClient watcher = await V1Client.ConnectAsync(Relay.Port, "chat-watcher-" + room, ct, [Channel(room)]);
        IPage ada = await OpenChatAsync(Browser, room, "Ada");
        IPage bob = await OpenChatAsync(Other, room, "Bob");
        IPage carol = await OpenChatAsync(Other, otherRoom, "Carol");
        const string Html = "<img src=x onerror=\"document.title='pwned'\"><b>bold</b> & <script>document.title='pwned'</script>";
        const string Reply = "Hi Ada \U0001F44B\nsecond line";

        await SayAsync(ada, Html);
        await ExpectLinesAsync(bob, ("Ada", Html));
        await SayAsync(bob, Reply);
        await SayAsync(carol, "only in the other room");

        foreach (IPage page in new[] { ada, bob })
        {
            await ExpectLinesAsync(page, ("Ada", Html), ("Bob", Reply));
            (await page.Locator("#messages img, #messages b, #messages script").CountAsync()).Should().Be(0);
            (await page.TitleAsync()).Should().NotContain("pwned");
            await Expect(page.Locator("#notice")).ToHaveTextAsync("", new() { Timeout = 5_000 });    // "Sending…" is gone
        }
        // Said after the others: had one of them reached this room, it would show first.
        await ExpectLinesAsync(carol, ("Carol", "only in the other room"));
        (await StoredLinesAsync(room)).Should().Equal(("Ada", Html), ("Bob", Reply));
        List<JsonElement> published = [Json((await watcher.ReceiveAsync(ct)).Text), Json((await watcher.ReceiveAsync(ct)).Text)];
        published.Select(l => (l.GetProperty("type").GetString(), l.GetProperty("name").GetString(), l.GetProperty("text").GetString()))
            .Should().Equal(("line", "Ada", Html), ("line", "Bob", Reply));
        await HeadlessChromium.ScreenshotAsync(bob, "chat-two-people.png", "the chat as the second person sees it");
        await Task.WhenAll(ada.CloseAsync(), bob.CloseAsync(), carol.CloseAsync()).WithTimeout();
    }

    [Test, CancelAfter(180_000)]
    public async Task A_reload_shows_the_recent_lines_with_none_missing_or_doubled_while_someone_posts(CancellationToken ct)
    {
        const int MostLines = 60;
        const int Reloads = 4;
        string room = NewRoom();
        IPage steady = await OpenChatAsync(Browser, room, "Steady");
        IPage reloading = await OpenChatAsync(Other, room, "Reloading");
        // The poster is a client of the test's own that speaks as the page does, so it posts as fast as
        // the steady page shows each line.
        await using RawWebSocketClient poster = await Relay.ConnectAsync("chat-poster-" + room, ct);
        await PostAsync(poster, room, "said before the reloads");
        await Expect(reloading.Locator("#messages li .text")).ToHaveTextAsync(["said before the reloads"]);

        int[] postedSoFar = [0];
        using var reloadsOver = new CancellationTokenSource();
        Task posting = Task.Run(async () =>
        {
            for (int i = 1; i <= MostLines && !reloadsOver.IsCancellationRequested; i++)
            {
                await PostAsync(poster, room, $"line {i}");
                Interlocked.Increment(ref postedSoFar[0]);
                await Expect(steady.Locator("#messages li .text").Last).ToHaveTextAsync($"line {i}");
            }
        }, ct);
        Func<int, Task> postedAtLeast = n => TaskTimeouts.Eventually(
            () => Task.FromResult(Volatile.Read(ref postedSoFar[0]) >= Math.Min(n, MostLines) || posting.IsCompleted),
            TimeSpan.FromSeconds(30));

        // The page-load gap, made wide: the reloading page gets the state PHP read only after three
        // more lines were posted. They must come from the relay, from the position in the state.
        await reloading.RouteAsync("**/chat-state.php*", async route =>
        {
            IAPIResponse state = await HeadlessChromium.FetchFromAsync(route, Php.BaseUrl);
            await postedAtLeast(Volatile.Read(ref postedSoFar[0]) + 3);
            await route.FulfillAsync(new() { Response = state });
        });
        for (int reload = 1; reload <= Reloads; reload++)
        {
            await postedAtLeast(Volatile.Read(ref postedSoFar[0]) + 3);
            await reloading.ReloadAsync();
            await Expect(reloading.Locator("#state")).ToHaveTextAsync("connected");
        }
        reloadsOver.Cancel();
        await posting.WithTimeout(TimeSpan.FromSeconds(60));
        int posted = Volatile.Read(ref postedSoFar[0]);
        posted.Should().BeGreaterThan(3 * Reloads, "lines were posted during the reloads");

        string[] all = ["said before the reloads", .. Enumerable.Range(1, posted).Select(i => $"line {i}")];
        await Expect(steady.Locator("#messages li .text")).ToHaveTextAsync(all);
        await Expect(reloading.Locator("#messages li .text")).ToHaveTextAsync(all);
        (await StoredLinesAsync(room)).Select(l => l.Text).Should().Equal(all, "PHP stored each line once");
        await reloading.UnrouteAsync("**/chat-state.php*");
        await reloading.ReloadAsync();                                  // and from PHP's database alone
        await Expect(reloading.Locator("#messages li .text")).ToHaveTextAsync(all);
        await Task.WhenAll(steady.CloseAsync(), reloading.CloseAsync()).WithTimeout();
    }

    [Test, CancelAfter(60_000)]
    public async Task A_line_both_in_the_state_and_sent_by_the_relay_shows_once(CancellationToken ct)
    {
        string room = NewRoom();
        await using RawWebSocketClient poster = await Relay.ConnectAsync("chat-poster-" + room, ct);
        IPage steady = await OpenChatAsync(Browser, room, "Steady");
        foreach (string line in new[] { "one", "two", "three" })
            await PostAsync(poster, room, line);
        await Expect(steady.Locator("#messages li .text")).ToHaveTextAsync(["one", "two", "three"]);

        // As when lines are posted between chat-state.php's POSITION and its read of the database: the
        // state holds them, and its position is from before them, so the relay sends them too.
        IPage page = await Other.NewPageAsync();
        await page.RouteAsync("**/chat-state.php*", async route =>
        {
            IAPIResponse response = await HeadlessChromium.FetchFromAsync(route, Php.BaseUrl);
            var state = System.Text.Json.Nodes.JsonNode.Parse(await response.TextAsync())!;
            string[] position = state["position"]!.GetValue<string>().Split(':');
            state["position"] = $"{position[0]}:{int.Parse(position[1], System.Globalization.CultureInfo.InvariantCulture) - 2}";
            await route.FulfillAsync(new() { Response = response, Body = state.ToJsonString() });
        });
        await page.GotoAsync(PageUrl($"/chat.html?room={room}"));
        await Expect(page.Locator("#state")).ToHaveTextAsync("connected");
        await PostAsync(poster, room, "four");

        await Expect(page.Locator("#messages li .text")).ToHaveTextAsync(["one", "two", "three", "four"]);
        await Task.WhenAll(steady.CloseAsync(), page.CloseAsync()).WithTimeout();
    }

    [Test, CancelAfter(60_000)]
    public async Task A_line_too_long_is_refused_by_the_page_and_again_by_PHP_and_its_sender_is_told_why(CancellationToken ct)
    {
        string room = NewRoom();
        IPage ada = await OpenChatAsync(Browser, room, "Ada");
        IPage bob = await OpenChatAsync(Other, room, "Bob");
        string tooLong = new string('x', 500) + "\U0001F44B";           // 501 characters (502 UTF-16 units)
        string longest = new string('x', 499) + "\U0001F44B";           // 500 characters: allowed

        // The page does not send it, says why, and keeps the text to be shortened.
        await ada.Locator("#text").FillAsync(tooLong);
        await Expect(ada.Locator("#count")).ToHaveTextAsync("501 / 500");
        await ada.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await Expect(ada.Locator("#notice")).ToHaveTextAsync("Not sent: a line is at most 500 characters; this one has 501.");
        await Expect(ada.Locator("#text")).ToHaveValueAsync(tooLong);

        // A client that skips the page's check, with Ada's id: PHP refuses the line and tells the id why.
        string adaId = await ada.EvaluateAsync<string>("() => sessionStorage.getItem('rawrelay.chatId')");
        await using (RawWebSocketClient bypass = await Relay.ConnectAsync(adaId, ct))
        {
            await PostAsync(bypass, room, tooLong, "Ada");
            await Expect(ada.Locator("#notice")).ToHaveTextAsync("Not posted: A line is at most 500 characters; this one has 501.");
        }

        await ada.Locator("#text").FillAsync(longest);
        await ada.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        // The first line Bob sees: neither of the long ones was posted.
        await ExpectLinesAsync(bob, ("Ada", longest));
        await ExpectLinesAsync(ada, ("Ada", longest));
        (await StoredLinesAsync(room)).Should().Equal(("Ada", longest));
        await Task.WhenAll(ada.CloseAsync(), bob.CloseAsync()).WithTimeout();
    }

    [Test, CancelAfter(60_000)]
    public async Task A_room_that_is_not_there_is_refused_and_the_rooms_that_are_are_offered()
    {
        IPage page = await Browser.NewPageAsync();
        await page.GotoAsync(PageUrl("/chat.html?room=attic"));

        await Expect(page.Locator("#state")).ToHaveTextAsync("invalid");
        await Expect(page.Locator("#notice")).ToHaveTextAsync("There is no room \"attic\" here: pick one above.");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Send" })).ToBeDisabledAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "#" + RoomName(1) }).ClickAsync();
        await Expect(page.Locator("#room")).ToHaveTextAsync(RoomName(1));
        await Expect(page.Locator("#state")).ToHaveTextAsync("connected");
        await page.CloseAsync();
    }

    private static string RoomName(int n) => $"room-{n}";

    private static string Channel(string room) => "chat." + room;

    /// <summary>A room no other test of the fixture uses.</summary>
    private string NewRoom()
    {
        int n = Interlocked.Increment(ref _roomsTaken);
        n.Should().BeLessThanOrEqualTo(Rooms, "the fixture names only so many rooms");
        return RoomName(n);
    }

    /// <summary>Opens the room in <paramref name="browser"/>, waits until it is connected, and fills in the name.</summary>
    private async Task<IPage> OpenChatAsync(HeadlessChromium browser, string room, string name)
    {
        IPage page = await browser.NewPageAsync();
        await page.GotoAsync(PageUrl($"/chat.html?room={room}"));
        await Expect(page.Locator("#state")).ToHaveTextAsync("connected");
        await Expect(page.Locator("#room")).ToHaveTextAsync(room);
        await page.Locator("#name").FillAsync(name);
        return page;
    }

    /// <summary>Types the line and presses Send, as a person would.</summary>
    private static async Task SayAsync(IPage page, string text)
    {
        await page.Locator("#text").FillAsync(text);
        await page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
    }

    /// <summary>Sends what chat.html sends for a line, from a client of the test's own.</summary>
    private static Task PostAsync(RawWebSocketClient client, string room, string text, string name = "Poster") =>
        client.SendTextAsync(JsonSerializer.Serialize(new Dictionary<string, string> { ["room"] = room, ["name"] = name, ["text"] = text }));

    /// <summary>Waits until the page shows exactly these lines, in this order.</summary>
    private static async Task ExpectLinesAsync(IPage page, params (string Name, string Text)[] lines)
    {
        await Expect(page.Locator("#messages li .text")).ToHaveTextAsync(lines.Select(l => l.Text).ToArray());
        await Expect(page.Locator("#messages li .who")).ToHaveTextAsync(lines.Select(l => l.Name).ToArray());
    }

    /// <summary>The room's lines as PHP has them stored (chat-state.php, read over HTTP).</summary>
    private async Task<List<(string Name, string Text)>> StoredLinesAsync(string room)
    {
        using HttpResponseMessage response = await Http.GetAsync($"{Php.BaseUrl}/chat-state.php?room={room}").WithTimeout();
        string body = await response.Content.ReadAsStringAsync().WithTimeout();
        ((int)response.StatusCode).Should().Be(200, body);
        return Json(body).GetProperty("lines").EnumerateArray()
            .Select(l => (l.GetProperty("name").GetString()!, l.GetProperty("text").GetString()!)).ToList();
    }

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();
}
