using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration;

/// <summary>Plain HTTP on the relay's port: the demo site with --static, 404 for everything else.</summary>
[TestFixture]
public sealed class StaticFilesTests
{
    private string _root = null!;
    private RelayFixture _relay = null!;

    [OneTimeSetUp]
    public void StartRelay()
    {
        _root = Directory.CreateTempSubdirectory("rr-static-").FullName;
        File.WriteAllText(Path.Combine(_root, "index.html"), "<h1>board</h1>");
        File.WriteAllText(Path.Combine(_root, "app.js"), "console.log(1);");
        File.WriteAllText(Path.Combine(_root, "send.php"), "<?php echo 'secret source';");
        Directory.CreateDirectory(Path.Combine(_root, "css"));
        File.WriteAllText(Path.Combine(_root, "css", "site.css"), "body{}");
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(_root)!, "outside.txt"), "outside");
        _relay = RelayFixture.Start(o => o with { Static = _root });
    }

    [OneTimeTearDown]
    public async Task StopRelay()
    {
        await _relay.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [TestCase("/", "text/html; charset=utf-8", "<h1>board</h1>")]
    [TestCase("/index.html", "text/html; charset=utf-8", "<h1>board</h1>")]
    [TestCase("/app.js", "text/javascript; charset=utf-8", "console.log(1);")]
    [TestCase("/css/site.css", "text/css; charset=utf-8", "body{}")]
    [TestCase("/css/site.css?v=3", "text/css; charset=utf-8", "body{}")]
    [CancelAfter(10_000)]
    public async Task Files_of_the_folder_are_served_with_their_content_type(string path, string type, string body, CancellationToken ct)
    {
        HttpReply reply = await HttpReply.ExchangeAsync(_relay.Port, $"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n", ct);

        reply.Status.Should().Be(200);
        reply.Header("Content-Type").Should().Be(type);
        reply.Header("Content-Length").Should().Be(body.Length.ToString());
        reply.BodyText.Should().Be(body);
    }

    [Test, CancelAfter(10_000)]
    public async Task Head_sends_the_headers_without_the_body(CancellationToken ct)
    {
        HttpReply reply = await HttpReply.ExchangeAsync(_relay.Port, "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", ct);

        reply.Status.Should().Be(200);
        reply.Header("Content-Length").Should().Be("14");
        reply.Body.Should().BeEmpty();
    }

    [TestCase("/send.php")]                         // PHP sources are never served
    [TestCase("/missing.html")]
    [TestCase("/css")]                              // a directory
    [TestCase("/css/")]
    [TestCase("/../outside.txt")]                   // traversal, plain
    [TestCase("/css/../../outside.txt")]
    [TestCase("/%2e%2e/outside.txt")]               // traversal, percent-encoded
    [TestCase("/%2E%2E%2Foutside.txt")]
    [TestCase("/css/%2e%2e/%2e%2e/outside.txt")]
    [TestCase("/..%5coutside.txt")]                 // backslash
    [TestCase("/index.html%00.txt")]                // NUL
    [CancelAfter(10_000)]
    public async Task Anything_else_is_404(string path, CancellationToken ct)
    {
        HttpReply reply = await HttpReply.ExchangeAsync(_relay.Port, $"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n", ct);

        reply.Status.Should().Be(404);
        reply.Header("Content-Type").Should().StartWith("text/plain");
        reply.BodyText.Should().NotContain("outside").And.NotContain("secret source");
    }

    [Test, CancelAfter(10_000)]
    public async Task Other_methods_on_a_file_get_405(CancellationToken ct)
    {
        HttpReply reply = await HttpReply.ExchangeAsync(_relay.Port, "POST /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", ct);

        reply.Status.Should().Be(405);
    }

    [Test, CancelAfter(10_000)]
    public async Task Without_static_every_path_but_the_endpoint_is_404(CancellationToken ct)
    {
        await using RelayFixture bare = RelayFixture.Start();

        HttpReply reply = await HttpReply.ExchangeAsync(bare.Port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", ct);

        reply.Status.Should().Be(404);
    }

    [Test, CancelAfter(10_000)]
    public async Task The_websocket_endpoint_still_upgrades_beside_static_files(CancellationToken ct)
    {
        await using RawWebSocketClient board = await _relay.ConnectAsync("static-board", ct);
        (await _relay.Control.CommandAsync("SEND MESSAGE static-board ok", ct)).Should().Be("OK 1");
        (await board.ReceiveTextAsync(ct).WithTimeout()).Should().Be("ok");
    }
}
