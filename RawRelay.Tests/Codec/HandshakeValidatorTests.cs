using System.Text;
using RawRelay.Http;

namespace RawRelay.Tests.Codec;

/// <summary>
/// Every refusal the validator decides (405, 400, 426, 403) and their precedence, on request heads built
/// from literal text; header names and the Upgrade/Connection tokens are case-insensitive.
/// </summary>
public sealed class HandshakeValidatorTests
{
    private const string Key = "dGhlIHNhbXBsZSBub25jZQ==";
    private const long Now = 1_700_000_000;
    private const string Secret = "s3cret";

    private static readonly string[] Valid =
    [
        "GET /websocket?id=board HTTP/1.1",
        "Host: 127.0.0.1:8080",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: " + Key,
        "Sec-WebSocket-Version: 13",
    ];

    [Test]
    public void A_valid_request_is_accepted_with_its_id_and_key()
    {
        HandshakeDecision decision = Validate(Valid);
        decision.Should().BeEquivalentTo(new HandshakeDecision(101, "", "board", Key, []));
        decision.Accepted.Should().BeTrue();
    }

    // Each row changes the valid request: "Name: value" replaces that field, "-Name" removes it, "+Name: value"
    // adds one more, a row starting with "GET"/"POST"/... replaces the request line.
    [TestCase(101, "upgrade: WebSocket", "CONNECTION: UPGRADE")]                  // names and tokens in any case
    [TestCase(101, "Connection: keep-alive, Upgrade")]                            // a token list (Firefox)
    [TestCase(101, "Connection: keep-alive,upgrade")]                             // a list without spaces
    [TestCase(101, "-Connection", "+Connection: keep-alive", "+Connection: Upgrade")] // a list over two fields
    [TestCase(101, "Upgrade: foo, websocket")]                                    // a token list in Upgrade
    [TestCase(101, "-Sec-WebSocket-Key", "+sec-websocket-key: " + Key)]           // key name in lower case
    [TestCase(101, "Sec-WebSocket-Version:  13 ")]                                // whitespace around the version
    [TestCase(101, "GET /websocket?x=1&id=%41b HTTP/1.1")]                        // percent-encoded id "Ab"
    [TestCase(405, "POST /websocket?id=board HTTP/1.1")]                          // method other than GET
    [TestCase(405, "HEAD /websocket?id=board HTTP/1.1")]                          // HEAD is not GET either
    [TestCase(405, "get /websocket?id=board HTTP/1.1")]                           // methods are case-sensitive
    [TestCase(405, "POST /websocket HTTP/1.0", "-Upgrade")]                       // 405 before 400
    [TestCase(400, "GET /websocket?id=board HTTP/1.0")]                           // HTTP/1.0
    [TestCase(400, "GET /websocket?id=board HTTP/2.0")]                           // not HTTP/1.1
    [TestCase(400, "-Host")]                                                      // missing Host
    [TestCase(400, "+Host: other")]                                               // two Host fields
    [TestCase(400, "-Upgrade")]                                                   // missing Upgrade
    [TestCase(400, "Upgrade: h2c")]                                               // another protocol
    [TestCase(400, "Upgrade: websockets")]                                        // a near miss
    [TestCase(400, "-Connection")]                                                // missing Connection
    [TestCase(400, "Connection: keep-alive")]                                     // Connection without Upgrade
    [TestCase(400, "Connection: Upgraded")]                                       // a near miss
    [TestCase(400, "-Sec-WebSocket-Key")]                                         // missing key
    [TestCase(400, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25j")]                    // key of 15 bytes
    [TestCase(400, "Sec-WebSocket-Key: not base64 at all!!!!!")]                  // key not base64
    [TestCase(400, "+Sec-WebSocket-Key: " + Key)]                                 // two keys
    [TestCase(400, "GET /websocket HTTP/1.1")]                                    // no id
    [TestCase(400, "GET /websocket?id= HTTP/1.1")]                                // empty id
    [TestCase(400, "GET /websocket?id=a%20b HTTP/1.1")]                           // id with a space once decoded
    [TestCase(400, "GET /websocket?id=%C3%A9 HTTP/1.1")]                          // id not ASCII once decoded
    [TestCase(400, "GET /websocket?id=%zz HTTP/1.1")]                             // broken escape
    [TestCase(400, "-Sec-WebSocket-Version", "-Sec-WebSocket-Key")]               // 400 before 426
    [TestCase(426, "-Sec-WebSocket-Version")]                                     // missing version
    [TestCase(426, "Sec-WebSocket-Version: 8")]                                   // older draft
    [TestCase(426, "Sec-WebSocket-Version: 13, 8")]                               // a list is not 13
    public void A_request_gets_its_status(int status, params string[] changes) =>
        Validate(Change(Valid, changes)).Status.Should().Be(status);

    [Test]
    public void An_id_of_129_characters_is_refused_with_400() =>
        Validate(Change(Valid, [$"GET /websocket?id={new string('x', 129)} HTTP/1.1"])).Status.Should().Be(400);

    [TestCase("https://good.example", 101)]           // listed
    [TestCase("https://evil.example", 403)]           // not listed
    [TestCase("HTTPS://GOOD.EXAMPLE", 403)]           // origins compare exactly
    [TestCase(null, 403)]                             // missing
    public void With_allowed_origins_only_those_may_connect(string? origin, int status)
    {
        var policy = HandshakePolicy.Open with { AllowedOrigins = ["https://good.example"] };
        string[] request = origin is null ? Valid : Change(Valid, ["+Origin: " + origin]);
        Validate(request, policy).Status.Should().Be(status);
    }

    [Test]
    public void A_bad_version_comes_before_a_bad_origin()
    {
        var policy = HandshakePolicy.Open with { AllowedOrigins = ["https://good.example"] };
        Validate(Change(Valid, ["Sec-WebSocket-Version: 8"]), policy).Status.Should().Be(426);
    }

    [Test]
    public void A_bad_origin_comes_before_a_bad_token()
    {
        var policy = new HandshakePolicy(["https://good.example"], Secret, () => Now);
        HandshakeDecision decision = Validate(Change(Valid, ["+Origin: https://evil.example"]), policy);
        decision.Status.Should().Be(403);
        decision.Reason.Should().Contain("origin");
    }

    [TestCase(Now + 60, true, 101)]                   // valid token, not expired
    [TestCase(Now, true, 403)]                        // expires now: no longer later than now
    [TestCase(Now - 1, true, 403)]                    // expired
    [TestCase(Now + 60, false, 403)]                  // token for another exp
    public void With_a_secret_a_valid_unexpired_token_is_needed(long exp, bool tokenMatches, int status)
    {
        var policy = new HandshakePolicy([], Secret, () => Now);
        string token = ConnectionToken.Mint(Secret, "board", tokenMatches ? exp : exp + 1);
        Validate(Change(Valid, [$"GET /websocket?id=board&exp={exp}&token={token} HTTP/1.1"]), policy).Status.Should().Be(status);
    }

    [TestCase("GET /websocket?id=board HTTP/1.1")]                                // no token at all
    [TestCase("GET /websocket?id=board&exp=abc&token=00 HTTP/1.1")]               // exp not a number
    public void With_a_secret_a_missing_or_malformed_token_is_403(string requestLine) =>
        Validate(Change(Valid, [requestLine]), new HandshakePolicy([], Secret, () => Now)).Status.Should().Be(403);

    private static HandshakeDecision Validate(string[] lines, HandshakePolicy? policy = null)
    {
        RequestHead head = RequestHeadParser.ParseRequestLine(Encoding.ASCII.GetBytes(lines[0]))!;
        head.Should().NotBeNull(lines[0]);
        foreach (string line in lines[1..])
            RequestHeadParser.ParseHeaderLine(Encoding.ASCII.GetBytes(line), head).Should().BeTrue(line);
        return HandshakeValidator.Validate(head, policy ?? HandshakePolicy.Open);
    }

    private static string[] Change(string[] lines, string[] changes)
    {
        var result = lines.ToList();
        foreach (string change in changes)
        {
            if (change.Contains(" HTTP/"))
                result[0] = change;
            else if (change.StartsWith('-'))
                result.RemoveAll(l => l.StartsWith(change[1..] + ":", StringComparison.OrdinalIgnoreCase));
            else if (change.StartsWith('+'))
                result.Add(change[1..]);
            else
            {
                string name = change[..change.IndexOf(':')];
                int at = result.FindIndex(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase));
                result[at] = change;
            }
        }

        return result.ToArray();
    }
}
