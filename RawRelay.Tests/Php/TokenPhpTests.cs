using System.Text.Json;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Php;

/// <summary>
/// The demo's static/token.php, run by php as a web server runs it (the query in <c>$_GET</c> and
/// <c>QUERY_STRING</c>, the secret in <c>RAWRELAY_SECRET</c>), against a relay with the same
/// <c>--secret</c>: its token covers the id and the channels of the page's query, in their order.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class TokenPhpTests
{
    private const string Secret = "a-secret-for-token-php";
    private const string RunPage = """
        $_SERVER['REQUEST_METHOD'] = 'GET';
        $_SERVER['QUERY_STRING'] = $argv[2];
        parse_str($argv[2], $_GET);
        require $argv[1];
        """;

    private RelayFixture _relay = null!;

    [OneTimeSetUp]
    public void StartRelay()
    {
        TestEnvironment.RequireOnPath("php", "php-cli");
        _relay = RelayFixture.Start(o => o with { Secret = Secret });
    }

    [OneTimeTearDown]
    public async Task StopRelay()
    {
        if (_relay is not null)
            await _relay.DisposeAsync();
    }

    [Test, CancelAfter(60_000)]
    public async Task Its_token_lets_a_feed_connect_on_the_channels_it_asked_for(CancellationToken ct)
    {
        string id = "feed-" + Guid.NewGuid().ToString("N")[..10];
        string query = $"id={id}&channel=orders&channel=article-42";

        await using RawWebSocketClient feed = await RawWebSocketClient.ConnectAsync(_relay.Port, id, ct,
            query: "&channel=orders&channel=article-42" + await TokenQueryAsync(query, ct));
        using ControlClient control = _relay.OpenControl();

        (await control.CommandAsync("PUBLISH MESSAGE article-42 a new comment", ct)).Should().Be("OK 1");
        (await feed.ReceiveTextAsync(ct).WithTimeout()).Should().Be("a new comment");
    }

    [TestCase("&channel=orders", "&channel=payroll", TestName = "another channel")]
    [TestCase("&channel=orders&channel=article-42", "&channel=article-42&channel=orders", TestName = "another order")]
    [TestCase("", "&channel=orders", TestName = "a channel the token was not asked for")]
    [CancelAfter(60_000)]
    public async Task Its_token_covers_nothing_else(string askedFor, string connectedWith, CancellationToken ct)
    {
        string id = "feed-" + Guid.NewGuid().ToString("N")[..10];
        string tokenQuery = await TokenQueryAsync($"id={id}{askedFor}", ct);

        HttpReply reply = await HttpReply.ExchangeAsync(_relay.Port,
            $"GET /websocket?id={id}{connectedWith}{tokenQuery} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n" +
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", ct);

        reply.Status.Should().Be(403);
    }

    [Test, CancelAfter(60_000)]
    public async Task A_channel_name_the_relay_would_refuse_gets_an_error_and_no_token(CancellationToken ct)
    {
        JsonElement body = await RunTokenPhpAsync("id=feed-1&channel=orders&channel=no%2Fslashes", ct);

        body.TryGetProperty("token", out _).Should().BeFalse();
        body.GetProperty("error").GetString().Should().Contain("channel must be");
    }

    /// <summary><c>&amp;exp=..&amp;token=..</c> from token.php for <paramref name="query"/>, as demo.js appends it.</summary>
    private static async Task<string> TokenQueryAsync(string query, CancellationToken ct)
    {
        JsonElement body = await RunTokenPhpAsync(query, ct);
        return $"&exp={body.GetProperty("exp").GetInt64()}&token={body.GetProperty("token").GetString()}";
    }

    private static async Task<JsonElement> RunTokenPhpAsync(string query, CancellationToken ct)
    {
        (int exit, string output, string error) = await PhpCli.RunAsync(
            ["-r", RunPage, Path.Combine(TestEnvironment.StaticFolder(), "token.php"), query],
            new Dictionary<string, string> { ["RAWRELAY_SECRET"] = Secret }, ct: ct);
        exit.Should().Be(0, $"php said: {error}");
        using JsonDocument json = JsonDocument.Parse(output);
        return json.RootElement.Clone();
    }
}
