using System.Net;
using System.Net.WebSockets;
using System.Text;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Deploy;

/// <summary>
/// The README's deployment on a real LAMP box. Debian's Apache (prefork, mod_php, mod_proxy_wstunnel)
/// runs deploy/apache-rawrelay.conf: it serves a copy of static/ (the install step's /var/www/rawrelay)
/// with PHP and passes /websocket to the relay. The relay runs as deploy/rawrelay.service says: its
/// ExecStart options, the unit's Group= as its group, umask 077, its socket in a 0750 directory of that
/// group (what RuntimeDirectory= makes). Its user stays root (the unit's rawrelay user does not exist on
/// a CI box, and root can run the executable wherever the checkout is), which grants Apache nothing: the
/// workers run as Debian's Apache user, so only the group bits let send.php in. No permission is fixed up
/// by the test: send.php reaches the socket only if the unit's reasoning holds. It runs twice: as shipped,
/// and with a secret (the relay's --secret, and the site's commented SetEnv RAWRELAY_SECRET turned on), where
/// a board first fetches its token from token.php, as index.html does.
/// </summary>
[TestFixture(false), TestFixture(true), Parallelizable(ParallelScope.Self)]
public sealed class ApacheEndToEndTests(bool withSecret)
{
    private const string Secret = "a-long-random-secret-for-the-apache-test";
    private const string SecretLine = "    # SetEnv RAWRELAY_SECRET change-me-to-a-long-random-string";

    private string? _socketDirectory;
    private string _controlPath = "";
    private string? _documentRoot;
    private RelayProcess? _relay;
    private ApacheServer? _apache;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(20) };

    private ApacheServer Apache => _apache!;

    [OneTimeSetUp]
    public async Task StartRelayAndApache()
    {
        if (ApacheServer.MissingReason() is { } missing)
            Assert.Ignore(missing);
        if (!Environment.IsPrivilegedProcess)
            Assert.Ignore("Apache switches its workers to www-data only when started as root");

        string group = DeployFiles.UnitSetting("Group");
        _socketDirectory = $"/tmp/rr-{Guid.NewGuid():N}";
        Directory.CreateDirectory(_socketDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        await RunAsync("chgrp", group, _socketDirectory);
        _controlPath = Path.Combine(_socketDirectory, "rawrelay.sock");

        List<string> arguments = RelayProcess.WithValue(
            RelayProcess.WithValue(DeployFiles.UnitArguments(), "--port", "0"), "--control", _controlPath);
        if (withSecret)
            arguments.AddRange(["--secret", Secret]);
        _relay = RelayProcess.Start(arguments, null,
            prefix: ["setpriv", $"--regid={group}", "--clear-groups", "/bin/sh", "-c", "umask 077 && exec \"$0\" \"$@\""]);
        int relayPort = await _relay.WaitUntilListeningAsync();

        _documentRoot = CopyOfStaticSite();
        string site = DeployFiles.Read(DeployFiles.ApacheSite);
        site = Swap(site, "/var/www/rawrelay", _documentRoot);
        site = Swap(site, $"127.0.0.1:{DeployFiles.UnitOption("--port")}/", $"127.0.0.1:{relayPort}/");
        site = Swap(site, DeployFiles.UnitOption("--control"), _controlPath);
        if (withSecret)
            site = Swap(site, SecretLine, $"    SetEnv RAWRELAY_SECRET {Secret}");
        _apache = await ApacheServer.StartAsync(site);
    }

    [OneTimeTearDown]
    public async Task StopApacheAndRelay()
    {
        _http.Dispose();
        if (_apache is not null)
            await _apache.DisposeAsync();
        if (_relay is not null)
            await _relay.DisposeAsync();
        foreach (string? directory in new[] { _socketDirectory, _documentRoot })
        {
            if (directory is not null)
                Directory.Delete(directory, recursive: true);
        }
    }

    [Test, CancelAfter(30_000)]
    public async Task Apache_serves_the_board_page(CancellationToken ct)
    {
        using HttpResponseMessage response = await _http.GetAsync(Apache.Http("/"), ct).WithTimeout();

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Headers.Server.ToString().Should().Contain("Apache");
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        (await response.Content.ReadAsStringAsync(ct).WithTimeout()).Should().Contain("'/websocket?id='");
    }

    [Test, CancelAfter(30_000)]
    public async Task Apache_does_not_serve_the_PHP_client_library(CancellationToken ct)
    {
        using HttpResponseMessage response = await _http.GetAsync(Apache.Http("/lib/RawRelay.php"), ct).WithTimeout();

        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Test, CancelAfter(30_000)]
    public async Task A_board_connected_through_Apache_receives_what_send_php_posts(CancellationToken ct)
    {
        string id = "lamp-" + Guid.NewGuid().ToString("N")[..8];
        using var board = new ClientWebSocket();
        await board.ConnectAsync(new Uri($"ws://127.0.0.1:{Apache.Port}/websocket?id={id}{await TokenQueryAsync(id, ct)}"), ct).WithTimeout();

        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["id"] = id, ["message"] = "héllo from PHP" });
        using HttpResponseMessage posted = await _http.PostAsync(Apache.Http("/send.php"), form, ct).WithTimeout();
        string page = await posted.Content.ReadAsStringAsync(ct).WithTimeout();

        posted.StatusCode.Should().Be(HttpStatusCode.OK, page + Apache.ErrorLog);
        page.Should().Contain("Delivered to 1 connection(s)");
        var buffer = new byte[1024];
        WebSocketReceiveResult received = await board.ReceiveAsync(buffer, ct).WithTimeout();
        received.MessageType.Should().Be(WebSocketMessageType.Text);
        Encoding.UTF8.GetString(buffer, 0, received.Count).Should().Be("{\"message\":\"héllo from PHP\"}");
    }

    [Test, CancelAfter(30_000)]
    public async Task Behind_Apache_LIST_shows_the_browser_address_Apache_forwarded(CancellationToken ct)
    {
        string id = "xff-" + Guid.NewGuid().ToString("N")[..8];
        // The browser is 127.0.0.2 and claims to be 203.0.113.9; Apache appends what it saw.
        await using RawWebSocketClient browser = await RawWebSocketClient.ConnectAsync(Apache.Port, id, ct,
            source: IPAddress.Parse("127.0.0.2"), extraHeaders: "X-Forwarded-For: 203.0.113.9\r\n", query: await TokenQueryAsync(id, ct));
        using ControlClient control = ControlClient.Connect(_controlPath);

        (List<string> lines, _) = await control.CommandWithDataAsync("LIST WEBSOCKETS", ct);

        lines.Should().ContainSingle(line => line.StartsWith(id + " ", StringComparison.Ordinal))
            .Which.Should().MatchRegex($@"^{id} 127\.0\.0\.2:\d+$");
    }

    [Test, CancelAfter(30_000)]
    public async Task Token_php_hands_out_tokens_only_when_the_site_has_a_secret(CancellationToken ct)
    {
        using HttpResponseMessage response = await _http.GetAsync(Apache.Http("/token.php?id=QVZS7CQWAE"), ct).WithTimeout();

        response.StatusCode.Should().Be(withSecret ? HttpStatusCode.OK : HttpStatusCode.NotFound);
    }

    [Test, CancelAfter(30_000)]
    public async Task A_board_without_a_token_is_refused_exactly_when_the_relay_has_a_secret(CancellationToken ct)
    {
        await using RawWebSocketClient client = await RawWebSocketClient.OpenAsync(Apache.Port, ct);
        await client.SendAsync(Encoding.ASCII.GetBytes(
            "GET /websocket?id=no-token HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"), ct);

        string head = await client.ReadResponseHeadAsync(ct).WithTimeout();

        head.Should().StartWith(withSecret ? "HTTP/1.1 403 " : "HTTP/1.1 101 ");
    }

    [Test]
    public void The_control_socket_is_open_to_its_user_and_group_only() =>
        File.GetUnixFileMode(_controlPath).Should().Be(
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);

    /// <summary>
    /// What index.html appends to the WebSocket URL: with a secret, <c>&amp;exp=..&amp;token=..</c> from
    /// token.php under Apache; without, nothing.
    /// </summary>
    private async Task<string> TokenQueryAsync(string id, CancellationToken ct)
    {
        if (!withSecret)
            return "";
        using HttpResponseMessage response = await _http.GetAsync(Apache.Http($"/token.php?id={id}"), ct).WithTimeout();
        string body = await response.Content.ReadAsStringAsync(ct).WithTimeout();
        response.StatusCode.Should().Be(HttpStatusCode.OK, body + Apache.ErrorLog);
        using var json = System.Text.Json.JsonDocument.Parse(body);
        return $"&exp={json.RootElement.GetProperty("exp").GetInt64()}&token={json.RootElement.GetProperty("token").GetString()}";
    }

    /// <summary>Replaces a production value of a deploy file with the test's; the value must be there.</summary>
    private static string Swap(string text, string production, string test)
    {
        text.Should().Contain(production, "the test replaces it with its own value");
        return text.Replace(production, test, StringComparison.Ordinal);
    }

    /// <summary>static/ copied to a new directory all may read, as the install step copies it to /var/www/rawrelay.</summary>
    private static string CopyOfStaticSite()
    {
        const UnixFileMode readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        const UnixFileMode searchable = readable | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        DirectoryInfo root = Directory.CreateTempSubdirectory("rr-www-");
        root.UnixFileMode = searchable;
        foreach (string file in Directory.EnumerateFiles(TestEnvironment.StaticFolder(), "*", SearchOption.AllDirectories))
        {
            string copy = Path.Combine(root.FullName, Path.GetRelativePath(TestEnvironment.StaticFolder(), file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!, searchable);
            File.Copy(file, copy);
            File.SetUnixFileMode(copy, readable);
        }

        return root.FullName;
    }

    private static async Task RunAsync(string program, params string[] arguments)
    {
        await using ChildProcess process = ChildProcess.Start([program], arguments);
        (await process.WaitForExitAsync()).Should().Be(0, process.Output);
    }
}
