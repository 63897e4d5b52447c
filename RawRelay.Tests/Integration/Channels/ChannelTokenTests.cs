using System.Security.Cryptography;
using System.Text;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration.Channels;

/// <summary>
/// With <c>--secret</c> the token covers the channels asked for at connect time, in the order of the query:
/// HMAC-SHA256 of <c>&lt;id&gt;:&lt;exp&gt; ch1 ch2</c>. A channel added, dropped or reordered gets 403.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class ChannelTokenTests
{
    private const string Secret = "channel-token-secret";
    private RelayFixture _relay = null!;

    [OneTimeSetUp]
    public void StartRelay() => _relay = RelayFixture.Start(o => o with { Secret = Secret });

    [OneTimeTearDown]
    public async Task StopRelay() => await _relay.DisposeAsync();

    private static long Exp => DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 300;

    private static string Token(string signed) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(signed)));

    [Test, CancelAfter(10_000)]
    public async Task A_token_of_the_id_exp_and_channels_connects_onto_those_channels(CancellationToken ct)
    {
        long exp = Exp;
        string query = $"&channel=news&channel=room-7&exp={exp}&token={Token($"u42:{exp} news room-7")}";
        await using RawWebSocketClient page = await RawWebSocketClient.ConnectAsync(_relay.Port, "u42", ct, query: query);

        (await _relay.Control.CommandAsync("PUBLISH MESSAGE room-7 hello", ct)).Should().Be("OK 1");
        (await page.ReceiveTextAsync(ct).WithTimeout()).Should().Be("hello");
    }

    private static IEnumerable<TestCaseData> Refusals()
    {
        long exp = Exp;
        string signed = Token($"u42:{exp} news room-7");
        yield return new TestCaseData($"&channel=news&channel=room-7&channel=extra&exp={exp}&token={signed}").SetName("A_channel_added_is_403");
        yield return new TestCaseData($"&channel=news&exp={exp}&token={signed}").SetName("A_channel_dropped_is_403");
        yield return new TestCaseData($"&channel=room-7&channel=news&exp={exp}&token={signed}").SetName("Channels_reordered_are_403");
        yield return new TestCaseData($"&exp={exp}&token={signed}").SetName("No_channels_with_a_token_for_channels_is_403");
        yield return new TestCaseData($"&channel=news&exp={exp}&token={Token($"u42:{exp}")}").SetName("A_channel_with_a_token_for_none_is_403");
    }

    [TestCaseSource(nameof(Refusals))]
    public async Task A_token_that_does_not_cover_exactly_the_channels_asked_for_is_refused(string query)
    {
        HttpReply reply = await HttpReply.ExchangeAsync(_relay.Port,
            $"GET /websocket?id=u42{query} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        reply.Status.Should().Be(403);
    }
}
