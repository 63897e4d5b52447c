using Microsoft.Playwright;
using RawRelay.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace RawRelay.Tests.Browser;

/// <summary>
/// The demo's live feed (feed.html?topic=...) in a real headless Chromium: each page connects on the
/// topic's channel, and publish.php publishes to it with the PHP client (see
/// <see cref="DemoSiteBrowserTests"/> for who serves what).
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class FeedBrowserTests : DemoSiteBrowserTests
{
    [Test, CancelAfter(60_000)]
    public async Task Every_open_feed_of_the_topic_shows_what_the_PHP_page_publishes_and_no_other_feed_does()
    {
        string topic = NewTopic("orders");
        string otherTopic = NewTopic("article");
        IPage feed1 = await OpenFeedAsync(topic);
        IPage feed2 = await OpenFeedAsync(topic);
        IPage otherFeed = await OpenFeedAsync(otherTopic);

        await PublishWithThePhpPageAsync(topic, "Order 1042 shipped \u2713", expectedConnections: 2);
        await PublishWithThePhpPageAsync(otherTopic, "New comment", expectedConnections: 1);

        await Expect(feed1.Locator("#messages li")).ToHaveTextAsync(["Order 1042 shipped \u2713"]);
        await Expect(feed2.Locator("#messages li")).ToHaveTextAsync(["Order 1042 shipped \u2713"]);
        // Published after the first message: had that reached this feed, it would be shown first.
        await Expect(otherFeed.Locator("#messages li")).ToHaveTextAsync(["New comment"]);
        await HeadlessChromium.ScreenshotAsync(feed1, "feed-after-publish.png", "a topic's feed as a person sees it");
        await Task.WhenAll(feed1.CloseAsync(), feed2.CloseAsync(), otherFeed.CloseAsync()).WithTimeout();
    }

    [Test, CancelAfter(60_000)]
    public async Task A_message_with_HTML_in_it_shows_as_text_and_creates_no_element()
    {
        string topic = NewTopic("html");
        IPage feed = await OpenFeedAsync(topic);
        const string Html = "<img src=x onerror=\"document.title='pwned'\"><b>bold</b><script>document.title='pwned'</script>";

        await PublishWithThePhpPageAsync(topic, Html, expectedConnections: 1);

        await Expect(feed.Locator("#messages li")).ToHaveTextAsync([Html]);
        (await feed.Locator("#messages img, #messages b, #messages script").CountAsync()).Should().Be(0);
        (await feed.TitleAsync()).Should().NotContain("pwned");
        await feed.CloseAsync();
    }

    [Test, CancelAfter(60_000)]
    public async Task The_board_and_the_feed_link_to_each_other()
    {
        IPage page = await Browser.NewPageAsync();
        await page.GotoAsync(PageUrl("/"));
        await page.GetByRole(AriaRole.Link, new() { Name = "Live feed: orders" }).ClickAsync();

        await Expect(page.Locator("#topic")).ToHaveTextAsync("orders");
        await Expect(page.Locator("#state")).ToHaveTextAsync("connected");
        await page.GetByRole(AriaRole.Link, new() { Name = "Message board" }).ClickAsync();
        await Expect(page.Locator("#board-id")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^[A-Z0-9]{10}$"));
        await page.CloseAsync();
    }

    [Test, CancelAfter(60_000)]
    public async Task A_topic_that_is_not_a_channel_name_is_refused_by_the_page()
    {
        IPage feed = await Browser.NewPageAsync();
        await feed.GotoAsync(PageUrl($"/feed.html?topic={Uri.EscapeDataString("no spaces/slashes")}"));

        await Expect(feed.Locator("#state")).ToHaveTextAsync("invalid");
        await Expect(feed.Locator("#topic")).ToHaveTextAsync("no spaces/slashes");
        await feed.CloseAsync();
    }

    [Test, CancelAfter(180_000)]
    public async Task Two_feeds_of_a_topic_end_with_the_same_full_list_while_one_reloads_as_PHP_publishes()
    {
        const int MostMessages = 95;                                        // all fit in the store (it keeps 100)
        const int Reloads = 4;
        string topic = NewTopic("reload");
        await PublishWithPhpAsync(topic, "stored before the feeds opened");
        IPage steady = await OpenFeedAsync(topic);
        IPage reloading = await OpenFeedAsync(topic);
        await Expect(reloading.Locator("#messages li")).ToHaveTextAsync(["stored before the feeds opened"]);

        // PHP publishes "message 1", "message 2", ... until the reloads are over, each once the
        // steady feed shows the one before (so at the pace a browser takes them).
        int[] publishedSoFar = [0];
        using var reloadsOver = new CancellationTokenSource();
        Task publishing = Task.Run(async () =>
        {
            for (int i = 1; i <= MostMessages && !reloadsOver.IsCancellationRequested; i++)
            {
                await PublishWithPhpAsync(topic, $"message {i}");
                Interlocked.Increment(ref publishedSoFar[0]);
                await Expect(steady.Locator("#messages li").Last).ToHaveTextAsync($"message {i}");
            }
        });
        Func<int, Task> publishedAtLeast = n => TaskTimeouts.Eventually(
            () => Task.FromResult(Volatile.Read(ref publishedSoFar[0]) >= Math.Min(n, MostMessages) || publishing.IsCompleted),
            TimeSpan.FromSeconds(30));

        // The page-load gap, made wide: the reloading page gets its state (read at once) only after
        // three more messages were published, as when PHP renders slowly. They must come over the
        // WebSocket, from the position in the state, and nothing the state holds may come twice.
        await reloading.RouteAsync("**/feed-state.php*", async route =>
        {
            IAPIResponse state = await HeadlessChromium.FetchFromAsync(route, Php.BaseUrl);
            await publishedAtLeast(Volatile.Read(ref publishedSoFar[0]) + 3);
            await route.FulfillAsync(new() { Response = state });
        });
        for (int reload = 1; reload <= Reloads; reload++)
        {
            await publishedAtLeast(Volatile.Read(ref publishedSoFar[0]) + 3);
            await reloading.ReloadAsync();
            await Expect(reloading.Locator("#state")).ToHaveTextAsync("connected");
        }
        reloadsOver.Cancel();
        await publishing.WithTimeout(TimeSpan.FromSeconds(60));
        int published = Volatile.Read(ref publishedSoFar[0]);
        published.Should().BeGreaterThan(3 * Reloads, "PHP was publishing during the reloads");

        string[] all = ["stored before the feeds opened", .. Enumerable.Range(1, published).Select(i => $"message {i}")];
        await Expect(steady.Locator("#messages li")).ToHaveTextAsync(all);
        await Expect(reloading.Locator("#messages li")).ToHaveTextAsync(all);
        await reloading.UnrouteAsync("**/feed-state.php*");
        await reloading.ReloadAsync();                                  // and from PHP's store alone
        await Expect(reloading.Locator("#messages li")).ToHaveTextAsync(all);
        await Task.WhenAll(steady.CloseAsync(), reloading.CloseAsync()).WithTimeout();
    }

    [Test, CancelAfter(120_000)]
    public async Task After_the_relay_restarts_the_feed_reloads_its_state_from_PHP_and_goes_on_live()
    {
        string topic = NewTopic("reset");
        IPage feed = await OpenFeedAsync(topic);
        await PublishWithPhpAsync(topic, "before the restart");
        await Expect(feed.Locator("#messages li")).ToHaveTextAsync(["before the restart"]);

        await RestartRelayAsync(async () =>                             // a new epoch: the feed is told to reset
        {
            await Expect(feed.Locator("#state")).ToHaveTextAsync("disconnected");
            await PublishWithPhpAsync(topic, "stored while the relay was down", expectedStatus: 502);
        });

        await Expect(feed.Locator("#messages li")).ToHaveTextAsync(["before the restart", "stored while the relay was down"],
            new() { Timeout = 45_000 });
        await Expect(feed.Locator("#state")).ToHaveTextAsync("connected");
        await PublishWithPhpAsync(topic, "after the restart");
        await Expect(feed.Locator("#messages li")).ToHaveTextAsync(["before the restart", "stored while the relay was down", "after the restart"]);
        await feed.CloseAsync();
    }

    /// <summary>publish.php's store of a topic (demo/feed-store.php, in the system's temporary folder).</summary>
    private static string StoreFile(string topic) => Path.Combine(Path.GetTempPath(), "rawrelay-demo", $"topic-{topic}.jsonl");

    private readonly System.Collections.Concurrent.ConcurrentBag<string> _topics = [];

    /// <summary>publish.php stores what it publishes: the topics this fixture made leave no file behind.</summary>
    [OneTimeTearDown]
    public void DeleteTheTopicsStores()
    {
        foreach (string topic in _topics)
            File.Delete(StoreFile(topic));
    }

    private string NewTopic(string label)
    {
        string topic = $"{label}-{Guid.NewGuid():N}"[..20];
        _topics.Add(topic);
        return topic;
    }

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>
    /// Posts publish.php's form, as its Publish button does (a script of the site's could do the same);
    /// 502 when the relay cannot be reached (the message is stored all the same).
    /// </summary>
    private async Task PublishWithPhpAsync(string topic, string message, int expectedStatus = 200)
    {
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["topic"] = topic, ["message"] = message });
        using HttpResponseMessage response = await Http.PostAsync($"{Php.BaseUrl}/publish.php", form).WithTimeout();
        string page = await response.Content.ReadAsStringAsync().WithTimeout();
        ((int)response.StatusCode).Should().Be(expectedStatus, page);
        page.Should().Contain(expectedStatus == 200 ? "Published to " : "Not sent: ");
    }

    /// <summary>Opens a feed of the topic as a visitor would and waits until it is connected.</summary>
    private async Task<IPage> OpenFeedAsync(string topic)
    {
        IPage feed = await Browser.NewPageAsync();
        await feed.GotoAsync(PageUrl($"/feed.html?topic={Uri.EscapeDataString(topic)}"));
        await Expect(feed.Locator("#state")).ToHaveTextAsync("connected");
        await Expect(feed.Locator("#topic")).ToHaveTextAsync(topic);
        return feed;
    }

    /// <summary>Fills publish.php's form for the topic and presses Publish, as a person would.</summary>
    private async Task PublishWithThePhpPageAsync(string topic, string message, int expectedConnections)
    {
        IPage publisher = await Browser.NewPageAsync();
        await publisher.GotoAsync($"{Php.BaseUrl}/publish.php?topic={Uri.EscapeDataString(topic)}");
        await publisher.Locator("#message").FillAsync(message);
        await publisher.GetByRole(AriaRole.Button, new() { Name = "Publish" }).ClickAsync();

        await Expect(publisher.Locator(".notice.ok")).ToHaveTextAsync($"Published to {expectedConnections} connection(s)");
        await publisher.CloseAsync();
    }
}
