using System.Text;
using RawRelay.Diagnostics;
using RawRelay.Hosting;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration.Conformance;

/// <summary>
/// The opening handshake over a real socket (RFC 6455 §4.2, SPEC "The WebSocket endpoint"): the exact 101,
/// every refusal with its status and the SPEC's precedence (431, 404, 405, 400, 426, 403, 503), header
/// case and token lists, a request arriving a byte at a time, and frames in the same write as the request.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class HandshakeConformanceTests : EchoRelayTests
{
    private const string Origin = "http://good.example";
    private const string SampleKey = "dGhlIHNhbXBsZSBub25jZQ==";

    private protected override RelayOptions Configure(RelayOptions options) => options with { AllowedOrigins = [Origin] };

    /// <summary>A valid upgrade request; each "Name: value" in <paramref name="fields"/> replaces a field in place or, with a new name, is added at the end, "Name:" alone removes it.</summary>
    private static string Request(string requestLine = "GET /websocket?id=hs HTTP/1.1", params string[] fields)
    {
        var lines = new List<string>
        {
            "Host: 127.0.0.1", "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: " + SampleKey,
            "Sec-WebSocket-Version: 13", "Origin: " + Origin,
        };
        foreach (string field in fields)
        {
            string name = field[..(field.IndexOf(':') + 1)];
            int at = lines.FindIndex(l => l.StartsWith(name, StringComparison.OrdinalIgnoreCase));
            if (at >= 0)
                lines.RemoveAt(at);
            if (field.Length > name.Length)
                lines.Insert(at >= 0 ? at : lines.Count, field);
        }

        return requestLine + "\r\n" + string.Join("", lines.Select(l => l + "\r\n")) + "\r\n";
    }

    private const string SwitchingProtocols =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

    [Test, CancelAfter(10_000)]
    public async Task The_101_for_the_sample_key_of_RFC_6455_is_exact_and_the_connection_then_echoes(CancellationToken ct)
    {
        await using RawWebSocketClient client = await RawWebSocketClient.OpenAsync(Relay.Port, ct).WithTimeout();
        await client.SendAsync(Encoding.ASCII.GetBytes(Request()), ct).WithTimeout();

        (await client.ReadResponseHeadAsync(ct).WithTimeout()).Should().Be(SwitchingProtocols);
        await client.SendAsync(ClientFrames.Text("hi"), ct).WithTimeout();
        await ExpectFrameAsync(client, WsFrame.Text, "hi"u8.ToArray(), ct);
    }

    private static TestCaseData Refusal(string name, int status, string request) =>
        new TestCaseData(request, status).SetArgDisplayNames(name);

    private static readonly string BigField = "X-Big: " + new string('a', 8200);

    public static IEnumerable<TestCaseData> Refusals() =>
    [
        Refusal("unknown path is 404", 404, Request("GET /other?id=hs HTTP/1.1")),
        Refusal("path differing in case is 404", 404, Request("GET /WebSocket?id=hs HTTP/1.1")),
        Refusal("POST is 405", 405, Request("POST /websocket?id=hs HTTP/1.1")),
        Refusal("HTTP/1.0 is 400", 400, Request("GET /websocket?id=hs HTTP/1.0")),
        Refusal("missing Host is 400", 400, Request(fields: "Host:")),
        Refusal("missing Upgrade is 400", 400, Request(fields: "Upgrade:")),
        Refusal("Upgrade of another protocol is 400", 400, Request(fields: "Upgrade: h2c")),
        Refusal("missing Connection is 400", 400, Request(fields: "Connection:")),
        Refusal("Connection keep-alive only is 400", 400, Request(fields: "Connection: keep-alive")),
        Refusal("missing key is 400", 400, Request(fields: "Sec-WebSocket-Key:")),
        Refusal("key of 15 bytes is 400", 400, Request(fields: "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25j")),
        Refusal("missing id is 400", 400, Request("GET /websocket HTTP/1.1")),
        Refusal("id of 129 characters is 400", 400, Request($"GET /websocket?id={new string('i', 129)} HTTP/1.1")),
        Refusal("id with an encoded space is 400", 400, Request("GET /websocket?id=a%20b HTTP/1.1")),
        Refusal("malformed request line is 400", 400, "GET /websocket?id=hs\r\nHost: x\r\n\r\n"),
        Refusal("malformed header field is 400", 400, Request(fields: "Bad Field: x")),
        Refusal("missing version is 426", 426, Request(fields: "Sec-WebSocket-Version:")),
        Refusal("version 8 is 426", 426, Request(fields: "Sec-WebSocket-Version: 8")),
        Refusal("missing Origin is 403", 403, Request(fields: "Origin:")),
        Refusal("another Origin is 403", 403, Request(fields: "Origin: http://evil.example")),
        Refusal("head over 8 KiB is 431", 431, Request(fields: BigField)),
        // Precedence: the first of 431, 404, 405, 400, 426, 403, 503 wins.
        Refusal("431 before 404", 431, Request("GET /other HTTP/1.1", BigField)),
        Refusal("431 before a malformed field", 431, Request(fields: ["Bad Field: x", BigField])),
        Refusal("404 before 405", 404, Request("POST /other HTTP/1.1")),
        Refusal("405 before 400", 405, Request("PUT /websocket HTTP/1.0", "Upgrade:", "Sec-WebSocket-Key:")),
        Refusal("400 before 426", 400, Request("GET /websocket?id=hs HTTP/1.1", "Sec-WebSocket-Version: 8", "Upgrade:")),
        Refusal("426 before 403", 426, Request("GET /websocket?id=hs HTTP/1.1", "Sec-WebSocket-Version: 7", "Origin: http://evil.example")),
    ];

    [TestCase("GET /other?id=hs HTTP/1.1", "Bad Field: x", 404)]           // a space in a field name
    [TestCase("GET /other?id=hs HTTP/1.1", " folded", 404)]                // obs-fold
    [TestCase("POST /websocket?id=hs HTTP/1.1", ": no name", 405)]          // a field without a name
    [CancelAfter(10_000)]
    public async Task A_malformed_field_does_not_hide_404_or_405(string requestLine, string field, int status, CancellationToken ct)
    {
        // A malformed field is a malformed request (400), which comes after 404 and 405 in the SPEC's order;
        // only a malformed request line is 400 at once (README), since without it there is no path or method.
        HttpReply reply = await HttpReply.ExchangeAsync(Relay.Port, Request(requestLine, field), ct).WithTimeout();

        reply.Status.Should().Be(status, reply.Head);
    }

    [TestCaseSource(nameof(Refusals)), CancelAfter(10_000)]
    public async Task A_refused_request_gets_its_status_a_plain_text_reason_and_a_closed_connection(string request, int status, CancellationToken ct)
    {
        HttpReply reply = await HttpReply.ExchangeAsync(Relay.Port, request, ct).WithTimeout();   // reads to the end of the stream

        reply.Status.Should().Be(status, reply.Head);
        reply.Head.Should().StartWith($"HTTP/1.1 {status} ");
        reply.Header("Content-Type").Should().StartWith("text/plain");
        reply.BodyText.Should().NotBeNullOrWhiteSpace();
        int.Parse(reply.Header("Content-Length")!).Should().Be(reply.Body.Length);
        if (status == 426)
            reply.Header("Sec-WebSocket-Version").Should().Be("13");
        if (status == 405)
            reply.Header("Allow").Should().Be("GET");
    }

    [TestCase("upgrade: WEBSOCKET", "connection: UPGRADE")]                             // names and tokens in any case
    [TestCase("Connection: keep-alive, Upgrade", null)]                                  // a token list (Firefox)
    [TestCase("Connection: Upgrade,keep-alive", null)]                                  // a list without spaces
    [TestCase("SEC-WEBSOCKET-KEY: " + SampleKey, "sec-websocket-version: 13")]          // key and version names in any case
    [TestCase("Upgrade: websocket, foo/1", null)]                                  // a list in Upgrade
    [CancelAfter(10_000)]
    public async Task A_request_with_any_header_case_or_token_list_is_accepted(string field1, string? field2, CancellationToken ct)
    {
        string request = Request(fields: field2 is null ? [field1] : [field1, field2]);
        await using RawWebSocketClient client = await RawWebSocketClient.OpenAsync(Relay.Port, ct).WithTimeout();
        await client.SendAsync(Encoding.ASCII.GetBytes(request), ct).WithTimeout();
        (await client.ReadResponseHeadAsync(ct).WithTimeout()).Should().Be(SwitchingProtocols);
    }

    [TestCase(false)]                                 // the request alone
    [TestCase(true)]                                  // the request and two frames, all one byte per write
    [CancelAfter(20_000)]
    public async Task A_request_arriving_one_byte_at_a_time_is_accepted(bool withFrames, CancellationToken ct)
    {
        byte[] bytes = [.. Encoding.ASCII.GetBytes(Request()), .. withFrames ? [.. ClientFrames.Text("one"), .. ClientFrames.Build(WsFrame.Ping, "two"u8)] : Array.Empty<byte>()];
        await using RawWebSocketClient client = await RawWebSocketClient.OpenAsync(Relay.Port, ct).WithTimeout();

        await client.SendByteByByteAsync(bytes, ct).WithTimeout();

        (await client.ReadResponseHeadAsync(ct).WithTimeout()).Should().Be(SwitchingProtocols);
        if (withFrames)
        {
            await ExpectFrameAsync(client, WsFrame.Text, "one"u8.ToArray(), ct);
            await ExpectFrameAsync(client, WsFrame.Pong, "two"u8.ToArray(), ct);
        }
    }

    [Test, CancelAfter(10_000)]
    public async Task Frames_in_the_same_write_as_the_request_are_decoded_after_the_101(CancellationToken ct)
    {
        byte[] payload = BinaryPayload(5000);
        byte[] bytes = [.. Encoding.ASCII.GetBytes(Request()), .. ClientFrames.Text("first"), .. ClientFrames.Build(WsFrame.Binary, payload), .. ClientFrames.Close(1000)];
        await using RawWebSocketClient client = await RawWebSocketClient.OpenAsync(Relay.Port, ct).WithTimeout();

        await client.SendAsync(bytes, ct).WithTimeout();

        (await client.ReadResponseHeadAsync(ct).WithTimeout()).Should().Be(SwitchingProtocols);
        await ExpectFrameAsync(client, WsFrame.Text, "first"u8.ToArray(), ct);
        await ExpectFrameAsync(client, WsFrame.Binary, payload, ct);
        await client.ExpectClosedWithAsync(1000, ct);
    }

    [Test, CancelAfter(10_000)]
    public async Task A_broken_frame_in_the_same_write_as_the_request_fails_after_the_101(CancellationToken ct)
    {
        await using RawWebSocketClient client = await RawWebSocketClient.OpenAsync(Relay.Port, ct).WithTimeout();

        await client.SendAsync([.. Encoding.ASCII.GetBytes(Request()), 0x81, 0x00], ct).WithTimeout();   // an unmasked frame

        (await client.ReadResponseHeadAsync(ct).WithTimeout()).Should().Be(SwitchingProtocols);
        await client.ExpectClosedWithAsync(1002, ct);
    }

    [TestCase(Origin, 503)]                          // a valid request at --max-connections 0
    [TestCase("http://evil.example", 403)]           // 403 comes before 503
    [CancelAfter(10_000)]
    public async Task At_max_connections_an_upgrade_gets_503_after_every_other_check(string origin, int status, CancellationToken ct)
    {
        await using RelayFixture full = RelayFixture.Start(o => o with { MaxConnections = 0, AllowedOrigins = [Origin], LogLevel = LogLevel.Info });
        HttpReply reply = await HttpReply.ExchangeAsync(full.Port, Request(fields: "Origin: " + origin), ct).WithTimeout();
        reply.Status.Should().Be(status);
    }

    [Test, CancelAfter(10_000)]
    public async Task A_request_not_complete_within_the_handshake_timeout_gets_408(CancellationToken ct)
    {
        await using RelayFixture slow = RelayFixture.Start(o => o with { HandshakeTimeout = 1, LogLevel = LogLevel.Info });
        await using RawWebSocketClient client = await RawWebSocketClient.OpenAsync(slow.Port, ct).WithTimeout();

        await client.SendAsync(Encoding.ASCII.GetBytes("GET /websocket?id=x HTTP/1.1\r\nHost: x\r\n"), ct).WithTimeout();

        (await client.ReadHttpResponseAsync(ct).WithTimeout()).Status.Should().Be(408);
    }
}
