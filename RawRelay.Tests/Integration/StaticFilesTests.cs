using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration;

/// <summary>Plain HTTP on the relay's port: the demo site with --static, 404 for everything else.</summary>
[TestFixture]
public sealed class StaticFilesTests
{
    private string _root = null!;
    private string _outside = null!;
    private string _fifo = null!;
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
        _outside = Directory.CreateTempSubdirectory("rr-outside-").FullName;
        File.WriteAllText(Path.Combine(_outside, "passwd.txt"), "root:x:0:0:root:/root:/bin/bash");
        File.CreateSymbolicLink(Path.Combine(_root, "passwd.txt"), Path.Combine(_outside, "passwd.txt"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "etc"), _outside);
        File.CreateSymbolicLink(Path.Combine(_root, "latest.js"), "app.js");                       // stays inside
        File.CreateSymbolicLink(Path.Combine(_root, "css", "theme.css"), Path.Combine(_root, "css", "site.css"));
        File.CreateSymbolicLink(Path.Combine(_root, "source.txt"), "send.php");                    // inside, but PHP source
        File.CreateSymbolicLink(Path.Combine(_root, "dangling.txt"), "nowhere.txt");
        _fifo = Path.Combine(_root, "pipe.txt");
        Fifo.Create(_fifo);
        _relay = RelayFixture.Start(o => o with { Static = _root });
    }

    [OneTimeTearDown]
    public async Task StopRelay()
    {
        Fifo.ReleaseReaders(_fifo);             // should the relay ever be stuck opening it
        await _relay.DisposeAsync();
        Directory.Delete(_root, recursive: true);
        Directory.Delete(_outside, recursive: true);
    }

    [TestCase("/", "text/html; charset=utf-8", "<h1>board</h1>")]
    [TestCase("/index.html", "text/html; charset=utf-8", "<h1>board</h1>")]
    [TestCase("/app.js", "text/javascript; charset=utf-8", "console.log(1);")]
    [TestCase("/css/site.css", "text/css; charset=utf-8", "body{}")]
    [TestCase("/css/site.css?v=3", "text/css; charset=utf-8", "body{}")]
    [TestCase("/latest.js", "text/javascript; charset=utf-8", "console.log(1);")]       // a symlink inside the folder
    [TestCase("/css/theme.css", "text/css; charset=utf-8", "body{}")]                   // an absolute one, still inside
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
    [TestCase("/passwd.txt")]                       // a symlink to a file outside the folder
    [TestCase("/etc/passwd.txt")]                   // a symlink to a folder outside
    [TestCase("/source.txt")]                       // a symlink inside, to a name that is never served
    [TestCase("/dangling.txt")]                     // a symlink to nothing
    [TestCase("/pipe.txt")]                         // a FIFO: not a regular file
    [CancelAfter(10_000)]
    public async Task Anything_else_is_404(string path, CancellationToken ct)
    {
        HttpReply reply = await HttpReply.ExchangeAsync(_relay.Port, $"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n", ct);

        reply.Status.Should().Be(404);
        reply.Header("Content-Type").Should().StartWith("text/plain");
        reply.BodyText.Should().NotContain("outside").And.NotContain("secret source").And.NotContain("root:");
    }

    [Test, CancelAfter(20_000)]
    public async Task A_fifo_gets_404_at_once_and_stalls_no_other_connection(CancellationToken ct)
    {
        // Opening a FIFO blocks until a writer comes; the relay must never wait for one.
        Task<HttpReply> fifo = HttpReply.ExchangeAsync(_relay.Port, "GET /pipe.txt HTTP/1.1\r\nHost: x\r\n\r\n", ct);
        Task<HttpReply> fifo2 = HttpReply.ExchangeAsync(_relay.Port, "HEAD /pipe.txt HTTP/1.1\r\nHost: x\r\n\r\n", ct);
        await using RawWebSocketClient board = await _relay.ConnectAsync("beside-a-fifo", ct).WithTimeout(TimeSpan.FromSeconds(5));
        (await _relay.Control.CommandAsync("SEND MESSAGE beside-a-fifo ok", ct)).Should().Be("OK 1");
        (await board.ReceiveTextAsync(ct).WithTimeout()).Should().Be("ok");

        (await fifo.WithTimeout(TimeSpan.FromSeconds(5))).Status.Should().Be(404);
        (await fifo2.WithTimeout(TimeSpan.FromSeconds(5))).Status.Should().Be(404);
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
