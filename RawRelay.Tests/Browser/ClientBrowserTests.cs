using System.Text;
using Microsoft.Playwright;
using RawRelay.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace RawRelay.Tests.Browser;

/// <summary>
/// static/rawrelay.js in a real headless Chromium, on a probe page of the relay's own site
/// (RawRelay.Tests/Browser/Pages/, served by the relay under /test-pages/ next to rawrelay.js) that writes
/// down every message, with its stream and position, and every reset it is handed. The relay keeps
/// history (see <see cref="DemoSiteBrowserTests"/>). Each check compares the exact list the page saw,
/// and ends with a live message published last: messages of one stream arrive in order, so anything
/// missing or doubled before it would show.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class ClientBrowserTests : DemoSiteBrowserTests
{
    private readonly Lazy<string> _site = new(CopyTheProbeSite);

    /// <summary>
    /// The relay serves the probe site itself: Chromium lets a page connect to a loopback WebSocket
    /// only when the page came from a loopback address too (Local Network Access), so the pages cannot
    /// be handed to the browser by the test.
    /// </summary>
    private protected override string SiteFolder => _site.Value;

    [OneTimeTearDown]
    public void DeleteTheProbeSite()
    {
        if (_site.IsValueCreated)
            Directory.Delete(_site.Value, recursive: true);
    }

    /// <summary>A new folder with static/rawrelay.js and rawrelay.esm.js and, in test-pages/, the probe pages.</summary>
    private static string CopyTheProbeSite()
    {
        string site = Directory.CreateTempSubdirectory("rr-probe-site-").FullName;
        foreach (string script in new[] { "rawrelay.js", "rawrelay.esm.js" })
            File.Copy(Path.Combine(TestEnvironment.StaticFolder(), script), Path.Combine(site, script));
        string pages = Directory.CreateDirectory(Path.Combine(site, "test-pages")).FullName;
        foreach (string file in Directory.GetFiles(Path.Combine(TestEnvironment.RepositoryRoot(), "RawRelay.Tests", "Browser", "Pages")))
            File.Copy(file, Path.Combine(pages, Path.GetFileName(file)));
        return site;
    }

    [Test, CancelAfter(60_000)]
    public async Task After_a_navigation_to_another_page_and_back_it_gets_exactly_what_was_published_while_away()
    {
        string channel = NewChannel("nav");
        IPage page = await OpenProbeAsync($"id={NewId()}&channel={channel}");
        await PublishAsync(channel, "m1", "m2", "m3");
        string epoch = await EpochAsync(channel);
        await WaitForEventsAsync(page, 3);

        await page.Locator("#away").ClickAsync();                      // a page of the site without the client
        await Expect(page.Locator("#state")).ToHaveTextAsync("away");
        await PublishAsync(channel, "m4", "m5", "m6");                  // nobody listens on the channel now
        await page.Locator("#back").ClickAsync();                      // the probe again, a new document
        await Expect(page.Locator("#state")).ToHaveTextAsync("open");
        await PublishAsync(channel, "m7");

        await WaitForEventsAsync(page, 4);
        (await EventsAsync(page)).Should().Equal(
            Message(channel, epoch, 4, "m4"), Message(channel, epoch, 5, "m5"), Message(channel, epoch, 6, "m6"),
            Message(channel, epoch, 7, "m7"));
        await page.CloseAsync();
    }

    [Test, CancelAfter(60_000)]
    public async Task Text_with_LFs_and_binary_payloads_arrive_intact_without_their_header_line_and_a_reload_replays_nothing_seen()
    {
        string channel = NewChannel("reload");
        IPage page = await OpenProbeAsync($"id={NewId()}&channel={channel}");
        await PublishAsync(channel, "before");
        await WaitForEventsAsync(page, 1);

        await page.ReloadAsync();
        await Expect(page.Locator("#state")).ToHaveTextAsync("open");
        await PublishRawAsync($"PUBLISH TEXT {channel} 9\n", "two\nlines"u8.ToArray());
        await PublishRawAsync($"PUBLISH BINARY {channel} 4\n", [0x00, 0x0A, 0xFF, 0x0A]);
        string epoch = await EpochAsync(channel);

        await WaitForEventsAsync(page, 2);
        (await EventsAsync(page)).Should().Equal(Message(channel, epoch, 2, "two\nlines"), Message(channel, epoch, 3, "bytes:000aff0a"));
        await page.CloseAsync();
    }

    [Test, CancelAfter(90_000)]
    public async Task After_the_relay_restarts_the_page_is_told_to_reset_and_then_gets_live_messages_again()
    {
        string channel = NewChannel("restart");
        IPage page = await OpenProbeAsync($"id={NewId()}&channel={channel}");
        await PublishAsync(channel, "before the restart");
        string oldEpoch = await EpochAsync(channel);
        await WaitForEventsAsync(page, 1);

        await RestartRelayAsync(() => Expect(page.Locator("#state")).Not.ToHaveTextAsync("open"));   // a new epoch

        await WaitForEventsAsync(page, 2, timeoutMs: 45_000);          // reconnected with backoff, and reset
        string newEpoch = await EpochAsync(channel);
        newEpoch.Should().NotBe(oldEpoch);
        await PublishAsync(channel, "after the restart");

        await WaitForEventsAsync(page, 3);
        (await EventsAsync(page)).Should().Equal(
            Message(channel, oldEpoch, 1, "before the restart"), $"!reset {channel} {newEpoch}:0",
            Message(channel, newEpoch, 1, "after the restart"));
        await page.CloseAsync();
    }

    [Test, CancelAfter(60_000)]
    public async Task A_page_opened_with_the_position_PHP_read_gets_what_was_published_while_it_loaded_then_live_ones()
    {
        string channel = NewChannel("gap");
        string position = await PositionAsync(channel);                 // as PHP reads it before its database
        await PublishAsync(channel, "p1", "p2", "p3");                  // while the page is being rendered
        (string epoch, int offset) = Split(position);

        IPage page = await OpenProbeAsync($"id={NewId()}&channel={channel}&at={Uri.EscapeDataString($"{channel} {position}")}");
        await PublishAsync(channel, "p4");

        await WaitForEventsAsync(page, 4);
        (await EventsAsync(page)).Should().Equal(
            Message(channel, epoch, offset + 1, "p1"), Message(channel, epoch, offset + 2, "p2"),
            Message(channel, epoch, offset + 3, "p3"), Message(channel, epoch, offset + 4, "p4"));
        await page.CloseAsync();
    }

    [Test, CancelAfter(60_000)]
    public async Task Messages_to_the_id_and_broadcasts_come_on_their_own_streams()
    {
        string id = NewId();
        IPage page = await OpenProbeAsync($"id={id}");
        string idEpoch = (await PositionAsync("#" + id)).Split(':')[0];
        (string allEpoch, int allOffset) = Split(await PositionAsync("*"));

        (await Relay.Control.CommandAsync($"SEND MESSAGE {id} to the id")).Should().Be("OK 1");
        (await Relay.Control.CommandAsync("BROADCAST MESSAGE to everyone")).Should().MatchRegex("^OK [1-9]");

        await WaitForEventsAsync(page, 2);
        (await EventsAsync(page)).Should().Equal(Message("#" + id, idEpoch, 1, "to the id"), Message("*", allEpoch, allOffset + 1, "to everyone"));
        await page.CloseAsync();
    }

    [Test, CancelAfter(60_000)]
    public async Task The_client_can_be_imported_as_an_ES_module()
    {
        IPage page = await Browser.NewPageAsync();
        await page.GotoAsync(PageUrl("/test-pages/module.html"));

        await Expect(page.Locator("#state")).ToHaveTextAsync("imported");
        await page.CloseAsync();
    }

    private static string NewChannel(string label) => $"{label}-{Guid.NewGuid():N}"[..20];

    private static string NewId() => "probe-" + Guid.NewGuid().ToString("N")[..12];

    private static string Message(string stream, string epoch, int offset, string text) => $"{stream} {epoch}:{offset} {text}";

    private static (string Epoch, int Offset) Split(string position) =>
        (position.Split(':')[0], int.Parse(position.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Opens the probe page with the query and waits until its client is connected.</summary>
    private async Task<IPage> OpenProbeAsync(string query)
    {
        IPage page = await Browser.NewPageAsync();
        var console = new List<string>();
        page.Console += (_, message) => console.Add(message.Text);
        await page.GotoAsync(PageUrl($"/test-pages/probe.html?{query}"));
        try
        {
            await Expect(page.Locator("#state")).ToHaveTextAsync("open");
        }
        catch (PlaywrightException e)
        {
            throw new AssertionException($"the probe did not connect: {e.Message}\nits console:\n{string.Join('\n', console)}\nthe relay's log:\n{Relay.LogText}");
        }

        return page;
    }

    /// <summary>What the page saw, one line each: <c>&lt;stream&gt; &lt;position&gt; &lt;text&gt;</c> or <c>!reset &lt;stream&gt; &lt;position&gt;</c>.</summary>
    private static async Task<string[]> EventsAsync(IPage page) =>
        await page.EvaluateAsync<string[]>(
            "() => probe.events.map(e => e.kind === 'reset' ? `!reset ${e.stream} ${e.position}` : `${e.stream} ${e.position} ${e.text}`)");

    private static Task WaitForEventsAsync(IPage page, int count, float timeoutMs = 20_000) =>
        page.WaitForFunctionAsync("n => probe.events.length >= n", count, new() { Timeout = timeoutMs });

    private async Task PublishAsync(string channel, params string[] messages)
    {
        foreach (string message in messages)
            (await Relay.Control.CommandAsync($"PUBLISH MESSAGE {channel} {message}")).Should().MatchRegex("^OK [01]$");
    }

    /// <summary>A length-prefixed command line and its payload.</summary>
    private async Task PublishRawAsync(string line, byte[] payload)
    {
        await Relay.Control.WriteAsync(Encoding.ASCII.GetBytes(line).Concat(payload).ToArray()).WithTimeout();
        (await Relay.Control.ReadReplyAsync()).Status.Should().Be("OK 1");
    }

    private async Task<string> PositionAsync(string stream)
    {
        string reply = await Relay.Control.CommandAsync($"POSITION {stream}");
        reply.Should().MatchRegex("^OK [A-Za-z0-9]{1,32}:[0-9]+$");
        return reply[3..];
    }

    private async Task<string> EpochAsync(string stream) => (await PositionAsync(stream)).Split(':')[0];
}
