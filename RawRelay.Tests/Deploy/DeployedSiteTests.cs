using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using RawRelay.Hosting;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Deploy;

/// <summary>
/// The README's deployment on a real box: a web server of Debian's runs one of the sites of deploy/ on a
/// loopback port, serving a copy of static/ (the install step's /var/www/rawrelay) with PHP and passing
/// /websocket to the relay, which runs as deploy/rawrelay.service says (<see cref="UnitRelay"/>). The
/// site is the shipped file with only the values a test must change swapped in: its document root, the
/// relay's port, the control socket's path, the demo's data folder (and, by the server class, its
/// listening port). PHP runs as Debian's web user, so only the group bits let send.php reach the socket:
/// no permission is fixed up by the test. Each server runs twice: as shipped, and with secrets (the
/// relay's --secret and the site's commented RAWRELAY_SECRET line turned on, where a board first fetches
/// its token from token.php, as index.html does; and the relay's webhook, rawrelay.default's commented
/// RAWRELAY_WEBHOOK lines, with the site's RAWRELAY_WEBHOOK_SECRET line, for the chat). A subclass names
/// the site and starts its server.
/// </summary>
public abstract class DeployedSiteTests(bool withSecret)
{
    private const string Secret = "a-long-random-secret-for-the-deploy-test";
    private const string HookSecret = "a-long-random-webhook-secret-for-the-deploy-test";
    private const string DemoData = "/var/lib/rawrelay-demo";

    private UnitRelay? _relay;
    private StaticSiteCopy? _documentRoot;
    private string? _demoData;
    private IWebServer? _server;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(20) };

    /// <summary>The site's file in deploy/.</summary>
    private protected abstract string SiteFile { get; }

    /// <summary>What the server names itself in its Server header.</summary>
    private protected abstract string ServerHeader { get; }

    private IWebServer Server => _server!;

    /// <summary>Why the server cannot run here (it is not installed, say), or null when it can.</summary>
    private protected abstract string? MissingReason();

    /// <summary>Starts the server on <paramref name="port"/> with <paramref name="site"/>, the site file with the test's values in it.</summary>
    private protected abstract Task<IWebServer> StartServerAsync(string site, int port);

    [OneTimeSetUp]
    public async Task StartRelayAndServer()
    {
        if (MissingReason() is { } missing)
            Assert.Ignore(missing);
        if (!Environment.IsPrivilegedProcess)
            Assert.Ignore("the web server switches its workers to www-data only when started as root");

        int serverPort = LoopbackPort.Free();        // the relay's webhook names it before the server starts
        _relay = await UnitRelay.StartAsync(withSecret ? ["--secret", Secret] : [], withSecret ? WebhookDefaults(serverPort) : null);
        _documentRoot = StaticSiteCopy.Create();
        _demoData = await DemoDataFolderAsync();
        string site = DeployFiles.Read(SiteFile);
        site = DeployFiles.Swap(site, "/var/www/rawrelay", _documentRoot.Root);
        site = DeployFiles.Swap(site, $"127.0.0.1:{DeployFiles.UnitOption("--port")}", $"127.0.0.1:{_relay.Port}");
        site = DeployFiles.Swap(site, DeployFiles.UnitOption("--control"), _relay.ControlPath);
        site = DeployFiles.Swap(site, DemoData, _demoData);
        if (withSecret)
            site = TurnOn(TurnOn(site, "RAWRELAY_SECRET", "change-me-to-a-long-random-string", Secret),
                "RAWRELAY_WEBHOOK_SECRET", "change-me-to-another-long-random-string", HookSecret);
        _server = await StartServerAsync(site, serverPort);
    }

    [OneTimeTearDown]
    public async Task StopServerAndRelay()
    {
        _http.Dispose();
        if (_server is not null)
            await _server.DisposeAsync();
        if (_relay is not null)
            await _relay.DisposeAsync();
        _documentRoot?.Dispose();
        if (_demoData is not null)
            Directory.Delete(_demoData, recursive: true);
    }

    [Test, CancelAfter(30_000)]
    public async Task The_server_serves_the_board_page(CancellationToken ct)
    {
        using HttpResponseMessage response = await _http.GetAsync(Http("/"), ct).WithTimeout();

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Headers.Server.ToString().Should().Contain(ServerHeader);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        (await response.Content.ReadAsStringAsync(ct).WithTimeout()).Should().Contain("<script src=\"rawrelay.js\"></script>");
    }

    [Test, CancelAfter(30_000)]
    public async Task The_server_does_not_serve_the_PHP_client_library(CancellationToken ct)
    {
        using HttpResponseMessage response = await _http.GetAsync(Http("/lib/RawRelay.php"), ct).WithTimeout();

        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Test, CancelAfter(30_000)]
    public async Task A_board_connected_through_the_server_receives_what_send_php_posts(CancellationToken ct)
    {
        string id = "board-" + Guid.NewGuid().ToString("N")[..8];
        using ClientWebSocket board = await ConnectBoardAsync(id, ct);

        await PostToSendPhpAsync(id, "héllo from PHP", ct);

        (await ReceiveTextAsync(board, ct)).Should().Be("{\"message\":\"héllo from PHP\"}");
    }

    [Test, CancelAfter(30_000)]
    public async Task Send_php_takes_a_message_of_half_the_largest_the_relay_sends(CancellationToken ct)
    {
        // 512 KiB of UTF-8 (the unit leaves --max-message at its 1 MiB default), which the form sends
        // percent-encoded, three bytes a byte: 1.5 MB of request body.
        string message = new('é', (int)new RelayOptions().MaxMessage / 2 / Encoding.UTF8.GetByteCount("é"));
        string id = "large-" + Guid.NewGuid().ToString("N")[..8];
        using ClientWebSocket board = await ConnectBoardAsync(id, ct);

        await PostToSendPhpAsync(id, message, ct);

        (await ReceiveTextAsync(board, ct)).Should().Be($"{{\"message\":\"{message}\"}}");
    }

    [Test, CancelAfter(30_000)]
    public async Task Behind_the_server_LIST_shows_the_browser_address_it_forwarded(CancellationToken ct)
    {
        string id = "xff-" + Guid.NewGuid().ToString("N")[..8];
        // The browser is 127.0.0.2 and claims to be 203.0.113.9; the server appends what it saw.
        await using RawWebSocketClient browser = await RawWebSocketClient.ConnectAsync(Server.Port, id, ct,
            source: IPAddress.Parse("127.0.0.2"), extraHeaders: "X-Forwarded-For: 203.0.113.9\r\n", query: await TokenQueryAsync($"id={id}", ct));
        using ControlClient control = ControlClient.Connect(_relay!.ControlPath);

        (List<string> lines, _) = await control.CommandWithDataAsync("LIST WEBSOCKETS", ct);

        lines.Should().ContainSingle(line => line.StartsWith(id + " ", StringComparison.Ordinal))
            .Which.Should().MatchRegex($@"^{id} 127\.0\.0\.2:\d+$");
    }

    [Test, CancelAfter(30_000)]
    public async Task Token_php_hands_out_tokens_only_when_the_site_has_a_secret(CancellationToken ct)
    {
        using HttpResponseMessage response = await _http.GetAsync(Http("/token.php?id=QVZS7CQWAE"), ct).WithTimeout();

        response.StatusCode.Should().Be(withSecret ? HttpStatusCode.OK : HttpStatusCode.NotFound);
    }

    [Test, CancelAfter(30_000)]
    public async Task A_board_without_a_token_is_refused_exactly_when_the_relay_has_a_secret(CancellationToken ct)
    {
        await using RawWebSocketClient client = await RawWebSocketClient.OpenAsync(Server.Port, ct);
        await client.SendAsync(Encoding.ASCII.GetBytes(
            "GET /websocket?id=no-token HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"), ct);

        string head = await client.ReadResponseHeadAsync(ct).WithTimeout();

        head.Should().StartWith(withSecret ? "HTTP/1.1 403 " : "HTTP/1.1 101 ");
    }

    [Test, CancelAfter(30_000)]
    public async Task A_chat_line_goes_through_the_relays_webhook_to_PHP_and_to_the_room_when_the_webhook_is_set_up(CancellationToken ct)
    {
        if (!withSecret)
        {
            (await ChatStateAsync(ct)).GetProperty("enabled").GetBoolean().Should().BeFalse("PHP has no webhook secret as shipped");
            return;
        }

        string ada = "chat-ada-" + Guid.NewGuid().ToString("N")[..8], bob = "chat-bob-" + Guid.NewGuid().ToString("N")[..8];
        using ClientWebSocket adaPage = await ConnectBoardAsync(ada, ct, "chat.lobby");
        using ClientWebSocket bobPage = await ConnectBoardAsync(bob, ct, "chat.lobby");
        string text = $"héllo <b>{ada}</b>";

        await SendTextAsync(adaPage, JsonSerializer.Serialize(new { room = "lobby", name = "Ada", text, @ref = "DEPLOY1" }), ct);

        foreach (ClientWebSocket page in new[] { bobPage, adaPage })
        {
            using JsonDocument line = JsonDocument.Parse(await ReceiveTextAsync(page, ct));
            (line.RootElement.GetProperty("type").GetString(), line.RootElement.GetProperty("name").GetString(),
                line.RootElement.GetProperty("text").GetString()).Should().Be(("line", "Ada", text), Server.Logs);
        }
        (await ChatStateAsync(ct)).GetProperty("lines").EnumerateArray().Select(l => l.GetProperty("text").GetString())
            .Should().Contain(text, "PHP stored the line in its SQLite database");

        await SendTextAsync(adaPage, JsonSerializer.Serialize(new { room = "lobby", name = "Ada", text = new string('x', 501) }), ct);
        using JsonDocument refusal = JsonDocument.Parse(await ReceiveTextAsync(adaPage, ct));
        refusal.RootElement.GetProperty("reason").GetString().Should().Be("A line is at most 500 characters; this one has 501.");
    }

    [Test, CancelAfter(30_000)]
    public async Task Chat_hook_php_refuses_a_post_the_relay_did_not_sign(CancellationToken ct)
    {
        using var post = new StringContent("{\"events\":[]}", Encoding.UTF8, "application/json");
        post.Headers.Add("X-RawRelay-Signature", "sha256=" + new string('0', 64));

        using HttpResponseMessage response = await _http.PostAsync(Http("/chat-hook.php"), post, ct).WithTimeout();

        response.StatusCode.Should().Be(withSecret ? HttpStatusCode.Unauthorized : HttpStatusCode.ServiceUnavailable, Server.Logs);
    }

    [Test]
    public void The_control_socket_is_open_to_its_user_and_group_only() =>
        File.GetUnixFileMode(_relay!.ControlPath).Should().Be(
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);

    private Uri Http(string pathAndQuery) => new($"http://127.0.0.1:{Server.Port}{pathAndQuery}");

    /// <summary>
    /// A board (a WebSocket client, as index.html is) connected through the server to <paramref name="id"/>,
    /// on <paramref name="channels"/> (as feed.html and chat.html ask for theirs).
    /// </summary>
    private async Task<ClientWebSocket> ConnectBoardAsync(string id, CancellationToken ct, params string[] channels)
    {
        var board = new ClientWebSocket();
        try
        {
            string query = $"id={id}" + string.Concat(channels.Select(c => "&channel=" + c));
            await board.ConnectAsync(new Uri($"ws://127.0.0.1:{Server.Port}/websocket?{query}{await TokenQueryAsync(query, ct)}"), ct).WithTimeout();
            return board;
        }
        catch
        {
            board.Dispose();
            throw;
        }
    }

    /// <summary>Posts send.php's form, as its Send button does; it must deliver to one board.</summary>
    private async Task PostToSendPhpAsync(string id, string message, CancellationToken ct)
    {
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["id"] = id, ["message"] = message });
        using HttpResponseMessage posted = await _http.PostAsync(Http("/send.php"), form, ct).WithTimeout();
        string page = await posted.Content.ReadAsStringAsync(ct).WithTimeout();

        posted.StatusCode.Should().Be(HttpStatusCode.OK, page + Server.Logs);
        page.Should().Contain("Delivered to 1 connection(s)");
    }

    /// <summary>The next message a board receives, which must be text.</summary>
    private static async Task<string> ReceiveTextAsync(ClientWebSocket board, CancellationToken ct)
    {
        using var message = new MemoryStream();
        var buffer = new byte[64 * 1024];
        WebSocketReceiveResult received;
        do
        {
            received = await board.ReceiveAsync(buffer, ct).WithTimeout();
            received.MessageType.Should().Be(WebSocketMessageType.Text);
            message.Write(buffer, 0, received.Count);
        }
        while (!received.EndOfMessage);

        return Encoding.UTF8.GetString(message.ToArray());
    }

    /// <summary>
    /// What index.html appends to the WebSocket URL: with a secret, <c>&amp;exp=..&amp;token=..</c> from
    /// token.php under the server for the query's id and channels; without, nothing.
    /// </summary>
    private async Task<string> TokenQueryAsync(string query, CancellationToken ct)
    {
        if (!withSecret)
            return "";
        using HttpResponseMessage response = await _http.GetAsync(Http($"/token.php?{query}"), ct).WithTimeout();
        string body = await response.Content.ReadAsStringAsync(ct).WithTimeout();
        response.StatusCode.Should().Be(HttpStatusCode.OK, body + Server.Logs);
        using var json = JsonDocument.Parse(body);
        return $"&exp={json.RootElement.GetProperty("exp").GetInt64()}&token={json.RootElement.GetProperty("token").GetString()}";
    }

    /// <summary>
    /// The site with its commented line for <paramref name="variable"/> (<c># &lt;directive&gt; RAWRELAY_... change-me-...</c>)
    /// turned on with the test's <paramref name="secret"/>.
    /// </summary>
    private static string TurnOn(string site, string variable, string placeholder, string secret)
    {
        var commented = new Regex($@"^(\s*)# (\S+ {variable}) {placeholder}", RegexOptions.Multiline);
        commented.Matches(site).Should().ContainSingle($"the site shows how to give PHP {variable}");
        return commented.Replace(site, $"$1$2 {secret}");
    }

    /// <summary>
    /// rawrelay.default's commented webhook settings turned on, as the README's install step does: the
    /// relay posts to chat-hook.php on the web server's port with the test's secret.
    /// </summary>
    private static Dictionary<string, string> WebhookDefaults(int serverPort)
    {
        Dictionary<string, string> settings = DeployFiles.CommentedDefaults("RAWRELAY_WEBHOOK", "RAWRELAY_WEBHOOK_SECRET");
        settings["RAWRELAY_WEBHOOK"] = DeployFiles.Swap(settings["RAWRELAY_WEBHOOK"], "http://127.0.0.1/", $"http://127.0.0.1:{serverPort}/");
        settings["RAWRELAY_WEBHOOK_SECRET"] = DeployFiles.Swap(settings["RAWRELAY_WEBHOOK_SECRET"], "change-me-to-another-long-random-string", HookSecret);
        return settings;
    }

    /// <summary>The site's demo data folder, as the README's install step makes it: the web server's group may write to it.</summary>
    private static async Task<string> DemoDataFolderAsync()
    {
        string folder = ServerProcess.CreateFolder("rr-demo-data-");
        await using ChildProcess chgrp = ChildProcess.Start(["chgrp", DeployFiles.UnitSetting("Group"), folder], []);
        (await chgrp.WaitForExitAsync()).Should().Be(0, chgrp.Output);
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute);
        return folder;
    }

    /// <summary>chat-state.php of the lobby, through the server.</summary>
    private async Task<JsonElement> ChatStateAsync(CancellationToken ct)
    {
        using HttpResponseMessage response = await _http.GetAsync(Http("/chat-state.php?room=lobby"), ct).WithTimeout();
        string body = await response.Content.ReadAsStringAsync(ct).WithTimeout();
        response.StatusCode.Should().Be(HttpStatusCode.OK, body + Server.Logs);
        using JsonDocument state = JsonDocument.Parse(body);
        return state.RootElement.Clone();
    }

    private static Task SendTextAsync(ClientWebSocket page, string text, CancellationToken ct) =>
        page.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, ct).WithTimeout();
}
