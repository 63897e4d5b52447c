using System.Security.Cryptography;
using System.Text;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration;

/// <summary>With --secret and --allowed-origin only the right browser gets a board's messages.</summary>
[TestFixture]
public sealed class SecurityTests
{
    private const string Secret = "s3cr3t-for-tests";
    private const string Origin = "https://shop.example";
    private RelayFixture _relay = null!;

    [OneTimeSetUp]
    public void StartRelay() =>
        _relay = RelayFixture.Start(o => o with { Secret = Secret, AllowedOrigins = [Origin, "http://localhost:8080"] });

    [OneTimeTearDown]
    public async Task StopRelay() => await _relay.DisposeAsync();

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private static string Token(string secret, string id, long exp) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{id}:{exp}")));

    [Test, CancelAfter(10_000)]
    public async Task A_valid_token_and_origin_connect_and_receive(CancellationToken ct)
    {
        long exp = Now + 300;
        await using RawWebSocketClient board = await UpgradeAsync("sec-ok", $"&exp={exp}&token={Token(Secret, "sec-ok", exp)}", Origin, ct);

        (await _relay.Control.CommandAsync("SEND MESSAGE sec-ok hello", ct)).Should().Be("OK 1");
        (await board.ReceiveTextAsync(ct).WithTimeout()).Should().Be("hello");
    }

    private static IEnumerable<TestCaseData> Refusals()
    {
        long exp = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 300;
        string good = Token(Secret, "victim", exp);
        yield return new TestCaseData("", Origin).SetName("Missing_token_is_403");
        yield return new TestCaseData($"&exp={exp}", Origin).SetName("Missing_token_with_exp_is_403");
        yield return new TestCaseData($"&token={good}", Origin).SetName("Missing_exp_is_403");
        yield return new TestCaseData($"&exp={exp}&token={Token("wrong-secret", "victim", exp)}", Origin).SetName("Forged_token_is_403");
        yield return new TestCaseData($"&exp={exp + 1}&token={good}", Origin).SetName("Token_for_another_exp_is_403");
        yield return new TestCaseData($"&exp={exp}&token={Token(Secret, "attacker", exp)}", Origin).SetName("Token_for_another_id_is_403");
        long past = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 1;
        yield return new TestCaseData($"&exp={past}&token={Token(Secret, "victim", past)}", Origin).SetName("Expired_token_is_403");
        yield return new TestCaseData($"&exp={exp}&token={good.ToUpperInvariant()}", Origin).SetName("Uppercase_token_is_403");
        yield return new TestCaseData($"&exp={exp}&token={good}", "https://evil.example").SetName("Wrong_origin_is_403");
        yield return new TestCaseData($"&exp={exp}&token={good}", null).SetName("Missing_origin_is_403");
    }

    [TestCaseSource(nameof(Refusals)), CancelAfter(10_000)]
    public async Task Refused_connections_get_403_and_never_reach_the_registry(string query, string? origin, CancellationToken ct)
    {
        HttpReply reply = await HttpReply.ExchangeAsync(_relay.Port, Request("victim", query, origin), ct);

        reply.Status.Should().Be(403);
        reply.Header("Content-Type").Should().StartWith("text/plain");
        (await _relay.OpenControl().CommandAsync("SEND MESSAGE victim nothing-for-you", ct)).Should().Be("OK 0");
    }

    [Test, CancelAfter(10_000)]
    public async Task Origin_is_checked_before_the_token(CancellationToken ct)
    {
        HttpReply reply = await HttpReply.ExchangeAsync(_relay.Port, Request("victim", "", "https://evil.example"), ct);

        reply.Status.Should().Be(403);
        reply.BodyText.Should().Contain("origin");
    }

    [Test, CancelAfter(20_000)]
    public async Task A_token_minted_by_the_php_client_is_accepted(CancellationToken ct)
    {
        TestEnvironment.RequireOnPath("php", "php-cli");
        string client = Path.Combine(TestEnvironment.StaticFolder(), "lib", "RawRelay.php");
        (int exit, string output, string error) = await PhpCli.RunAsync(
            ["-r", $"require '{client}'; echo json_encode(RawRelay::token('php-board', 120, '{Secret}'));"], ct: ct);
        exit.Should().Be(0, error);
        var minted = System.Text.Json.JsonDocument.Parse(output).RootElement;
        long exp = minted.GetProperty("exp").GetInt64();
        string token = minted.GetProperty("token").GetString()!;

        await using RawWebSocketClient board = await UpgradeAsync("php-board", $"&exp={exp}&token={token}", Origin, ct);
        (await _relay.Control.CommandAsync("SEND MESSAGE php-board minted", ct)).Should().Be("OK 1");
        (await board.ReceiveTextAsync(ct).WithTimeout()).Should().Be("minted");
    }

    private Task<RawWebSocketClient> UpgradeAsync(string id, string query, string origin, CancellationToken ct) =>
        RawWebSocketClient.ConnectAsync(_relay.Port, id, ct, query: query, extraHeaders: $"Origin: {origin}\r\n");

    private static string Request(string id, string query, string? origin) =>
        $"GET /websocket?id={id}{query} HTTP/1.1\r\nHost: relay\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
        (origin is null ? "" : $"Origin: {origin}\r\n") + "\r\n";
}
