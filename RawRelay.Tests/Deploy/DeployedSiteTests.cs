using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.RegularExpressions;
using RawRelay.Hosting;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Deploy;

/// <summary>
/// The README's deployment on a real box: a web server of Debian's runs one of the sites of deploy/ on a
/// loopback port, serving a copy of static/ (the install step's /var/www/rawrelay) with PHP and passing
/// /websocket to the relay, which runs as deploy/rawrelay.service says (<see cref="UnitRelay"/>). The
/// site is the shipped file with only the values a test must change swapped in: its document root, the
/// relay's port, the control socket's path (and, by the server class, its listening port). PHP runs as
/// Debian's web user, so only the group bits let send.php reach the socket: no permission is fixed up by
/// the test. Each server runs twice: as shipped, and with a secret (the relay's --secret, and the site's
/// commented RAWRELAY_SECRET line turned on), where a board first fetches its token from token.php, as
/// index.html does. A subclass names the site and starts its server.
/// </summary>
public abstract class DeployedSiteTests(bool withSecret)
{
    private const string Secret = "a-long-random-secret-for-the-deploy-test";

    private UnitRelay? _relay;
    private StaticSiteCopy? _documentRoot;
    private IWebServer? _server;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(20) };

    /// <summary>The site's file in deploy/.</summary>
    private protected abstract string SiteFile { get; }

    /// <summary>What the server names itself in its Server header.</summary>
    private protected abstract string ServerHeader { get; }

    private IWebServer Server => _server!;

    /// <summary>Why the server cannot run here (it is not installed, say), or null when it can.</summary>
    private protected abstract string? MissingReason();

    /// <summary>Starts the server with <paramref name="site"/>, the site file with the test's values in it.</summary>
    private protected abstract Task<IWebServer> StartServerAsync(string site);

    [OneTimeSetUp]
    public async Task StartRelayAndServer()
    {
        if (MissingReason() is { } missing)
            Assert.Ignore(missing);
        if (!Environment.IsPrivilegedProcess)
            Assert.Ignore("the web server switches its workers to www-data only when started as root");

        _relay = await UnitRelay.StartAsync(withSecret ? ["--secret", Secret] : []);
        _documentRoot = StaticSiteCopy.Create();
        string site = DeployFiles.Read(SiteFile);
        site = DeployFiles.Swap(site, "/var/www/rawrelay", _documentRoot.Root);
        site = DeployFiles.Swap(site, $"127.0.0.1:{DeployFiles.UnitOption("--port")}", $"127.0.0.1:{_relay.Port}");
        site = DeployFiles.Swap(site, DeployFiles.UnitOption("--control"), _relay.ControlPath);
        if (withSecret)
            site = WithSecret(site);
        _server = await StartServerAsync(site);
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
            source: IPAddress.Parse("127.0.0.2"), extraHeaders: "X-Forwarded-For: 203.0.113.9\r\n", query: await TokenQueryAsync(id, ct));
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

    [Test]
    public void The_control_socket_is_open_to_its_user_and_group_only() =>
        File.GetUnixFileMode(_relay!.ControlPath).Should().Be(
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);

    private Uri Http(string pathAndQuery) => new($"http://127.0.0.1:{Server.Port}{pathAndQuery}");

    /// <summary>A board (a WebSocket client, as index.html is) connected through the server to <paramref name="id"/>.</summary>
    private async Task<ClientWebSocket> ConnectBoardAsync(string id, CancellationToken ct)
    {
        var board = new ClientWebSocket();
        try
        {
            await board.ConnectAsync(new Uri($"ws://127.0.0.1:{Server.Port}/websocket?id={id}{await TokenQueryAsync(id, ct)}"), ct).WithTimeout();
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
    /// token.php under the server; without, nothing.
    /// </summary>
    private async Task<string> TokenQueryAsync(string id, CancellationToken ct)
    {
        if (!withSecret)
            return "";
        using HttpResponseMessage response = await _http.GetAsync(Http($"/token.php?id={id}"), ct).WithTimeout();
        string body = await response.Content.ReadAsStringAsync(ct).WithTimeout();
        response.StatusCode.Should().Be(HttpStatusCode.OK, body + Server.Logs);
        using var json = System.Text.Json.JsonDocument.Parse(body);
        return $"&exp={json.RootElement.GetProperty("exp").GetInt64()}&token={json.RootElement.GetProperty("token").GetString()}";
    }

    /// <summary>
    /// The site with its commented secret line (<c># &lt;directive&gt; RAWRELAY_SECRET change-me-...</c>)
    /// turned on with the test's secret.
    /// </summary>
    private static string WithSecret(string site)
    {
        var commented = new Regex(@"^(\s*)# (\S+ RAWRELAY_SECRET) change-me-to-a-long-random-string", RegexOptions.Multiline);
        commented.Matches(site).Should().ContainSingle("the site shows how to give PHP the secret");
        return commented.Replace(site, $"$1$2 {Secret}");
    }
}
