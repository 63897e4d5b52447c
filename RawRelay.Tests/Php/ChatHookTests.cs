using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Php;

/// <summary>
/// The demo chat's webhook endpoint, static/chat-hook.php, on php -S, posted to by the test as the relay's
/// webhook would post (the body and its signature made here, with .NET's HMAC): what it answers, what it
/// stores (read back from chat-state.php), what it publishes to the room's channel and what it tells a
/// sender whose line it refuses (read with connections of the test's own to a real relay).
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class ChatHookTests
{
    private const string Secret = "a-webhook-secret-for-the-hook-tests";
    private const int Rooms = 12;

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly string _data = Path.Combine(Path.GetTempPath(), $"rr-chat-hook-{Guid.NewGuid():N}");
    private RelayFixture _relay = null!;
    private PhpServer _php = null!;
    private int _events;
    private int _rooms;

    [OneTimeSetUp]
    public async Task StartRelayAndPhp()
    {
        TestEnvironment.RequireOnPath("php", "php-cli");
        _relay = RelayFixture.Start();
        _php = await PhpServer.StartAsync(TestEnvironment.StaticFolder(), _relay.ControlPath, new Dictionary<string, string>
        {
            ["RAWRELAY_WEBHOOK_SECRET"] = Secret,
            ["RAWRELAY_DEMO_DATA"] = _data,
            ["RAWRELAY_CHAT_ROOMS"] = string.Join(',', Enumerable.Range(1, Rooms).Select(n => $"room-{n}")),
        });
    }

    [OneTimeTearDown]
    public async Task StopThem()
    {
        if (_php is not null)
            await _php.DisposeAsync();
        if (_relay is not null)
            await _relay.DisposeAsync();
        if (Directory.Exists(_data))
            Directory.Delete(_data, recursive: true);
    }

    [Test, CancelAfter(20_000)]
    public async Task A_line_is_stored_and_published_to_its_room_once_though_its_batch_comes_twice(CancellationToken ct)
    {
        string room = NewRoom();
        await using RawWebSocketClient watcher = await V1Client.ConnectAsync(_relay.Port, "watcher-" + room, ct, ["chat." + room]);
        byte[] body = Body(Line("chat-ada", room, "Ada", "hello <b>all</b>", "REF1"), Event("open", "chat-ada"));

        (await PostAsync(body, Sign(body))).Should().Be(HttpStatusCode.OK);
        (await PostAsync(body, Sign(body))).Should().Be(HttpStatusCode.OK, "a retried batch is taken again");
        byte[] next = Body(Line("chat-ada", room, "Ada", "and again", null));
        (await PostAsync(next, Sign(next))).Should().Be(HttpStatusCode.OK);

        JsonElement first = Json((await watcher.ReceiveAsync(ct)).Text);
        (first.GetProperty("type").GetString(), first.GetProperty("room").GetString(), first.GetProperty("name").GetString(),
            first.GetProperty("text").GetString(), first.GetProperty("ref").GetString()).Should().Be(("line", room, "Ada", "hello <b>all</b>", "REF1"));
        first.GetProperty("id").GetInt32().Should().BePositive();
        JsonElement second = Json((await watcher.ReceiveAsync(ct)).Text);
        second.GetProperty("text").GetString().Should().Be("and again", "the line of the retried batch was not published twice");
        second.GetProperty("id").GetInt32().Should().Be(first.GetProperty("id").GetInt32() + 1);
        (await StoredAsync(room)).Should().Equal("hello <b>all</b>", "and again");
    }

    [Test, CancelAfter(20_000)]
    public async Task A_post_without_the_right_signature_is_answered_401_and_nothing_is_stored(CancellationToken ct)
    {
        string room = NewRoom();
        byte[] body = Body(Line("chat-eve", room, "Eve", "forged", null));
        byte[] altered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(body).Replace("forged", "FORGED", StringComparison.Ordinal));

        (await PostAsync(body, null)).Should().Be(HttpStatusCode.Unauthorized);
        (await PostAsync(body, "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData("another-secret"u8, body)))).Should().Be(HttpStatusCode.Unauthorized);
        (await PostAsync(altered, Sign(body))).Should().Be(HttpStatusCode.Unauthorized);
        (await PostAsync("{\"events\":{}}"u8.ToArray(), Sign("{\"events\":{}}"u8.ToArray()))).Should().Be(HttpStatusCode.BadRequest);
        using (HttpResponseMessage get = await Http.GetAsync($"{_php.BaseUrl}/chat-hook.php", ct).WithTimeout())
            get.StatusCode.Should().Be(HttpStatusCode.MethodNotAllowed);

        (await StoredAsync(room)).Should().BeEmpty();
    }

    [TestCase("x", "Ada", "", "An empty line is not posted.")]
    [TestCase("x", "Ada", "   \r\n  ", "An empty line is not posted.")]
    [TestCase("x", "", "hi", "A name is 1 to 40 characters, on one line.")]
    [TestCase("x", "Ada\nLovelace", "hi", "A name is 1 to 40 characters, on one line.")]
    [TestCase("x", "Ada", "bell \u0007", "A line holds no control characters but line breaks and tabs.")]
    [TestCase("attic", "Ada", "hi", "There is no such room here.")]
    public async Task A_line_that_breaks_a_rule_is_refused_and_its_sender_told_why_once(string roomName, string name, string text, string reason)
    {
        string room = roomName == "x" ? NewRoom() : roomName;
        string sender = $"chat-{Guid.NewGuid():N}"[..20];
        await using RawWebSocketClient senderPage = await V1Client.ConnectAsync(_relay.Port, sender, CancellationToken.None);
        byte[] body = Body(Line(sender, room, name, text, "REF7"));

        (await PostAsync(body, Sign(body))).Should().Be(HttpStatusCode.OK, "a refused line is handled all the same");
        (await PostAsync(body, Sign(body))).Should().Be(HttpStatusCode.OK);
        byte[] tooLong = Body(Line(sender, room == "attic" ? NewRoom() : room, "Ada", new string('é', 501), "REF8"));
        (await PostAsync(tooLong, Sign(tooLong))).Should().Be(HttpStatusCode.OK);

        V1Message told = await senderPage.ReceiveAsync(CancellationToken.None);
        told.Stream.Should().Be("#" + sender);
        JsonElement refusal = Json(told.Text);
        (refusal.GetProperty("type").GetString(), refusal.GetProperty("ref").GetString(), refusal.GetProperty("reason").GetString())
            .Should().Be(("refused", "REF7", reason));
        JsonElement next = Json((await senderPage.ReceiveAsync(CancellationToken.None)).Text);
        (next.GetProperty("ref").GetString(), next.GetProperty("reason").GetString())
            .Should().Be(("REF8", "A line is at most 500 characters; this one has 501."), "the retried refusal was not told twice");
        if (roomName == "x")
            (await StoredAsync(room)).Should().BeEmpty();
    }

    [Test, CancelAfter(20_000)]
    public async Task Events_and_messages_not_for_the_chat_are_taken_and_left_alone(CancellationToken ct)
    {
        string room = NewRoom();
        await using RawWebSocketClient watcher = await V1Client.ConnectAsync(_relay.Port, "watcher-" + room, ct, ["chat." + room]);
        byte[] body = Body(
            Event("open", "board-1"),
            Message("board-1", "not JSON"),
            Message("board-1", "{\"message\":\"JSON without a room\"}"),
            Message("board-1", "[\"a\",\"list\"]"),
            new Dictionary<string, object?>(Event("message", "board-1")) { ["type"] = "binary", ["data_base64"] = Convert.ToBase64String("{\"room\":\"x\"}"u8) },
            new Dictionary<string, object?>(Event("close", "board-1")) { ["code"] = 1001 },
            new Dictionary<string, object?> { ["event_id"] = NextEventId(), ["event"] = "occupied", ["time"] = 1.0, ["channel"] = "chat." + room },
            new Dictionary<string, object?> { ["event_id"] = NextEventId(), ["event"] = "member_added", ["time"] = 1.0 },
            Line("chat-ada", room, "Ada", "the only line", null));

        (await PostAsync(body, Sign(body))).Should().Be(HttpStatusCode.OK);

        Json((await watcher.ReceiveAsync(ct)).Text).GetProperty("text").GetString().Should().Be("the only line");
        (await StoredAsync(room)).Should().Equal("the only line");
    }

    [Test, CancelAfter(20_000)]
    public async Task Without_a_webhook_secret_the_hook_answers_503_and_the_state_says_the_chat_is_off(CancellationToken ct)
    {
        await using PhpServer unconfigured = await PhpServer.StartAsync(TestEnvironment.StaticFolder(), _relay.ControlPath,
            new Dictionary<string, string> { ["RAWRELAY_DEMO_DATA"] = _data });
        byte[] body = Body(Event("open", "chat-ada"));

        (await PostAsync(body, Sign(body), unconfigured.BaseUrl)).Should().Be(HttpStatusCode.ServiceUnavailable, "the relay retries until PHP has its secret");
        using HttpResponseMessage state = await Http.GetAsync($"{unconfigured.BaseUrl}/chat-state.php", ct).WithTimeout();
        JsonElement json = Json(await state.Content.ReadAsStringAsync(ct));
        (json.GetProperty("enabled").GetBoolean(), json.GetProperty("room").GetString()).Should().Be((false, "lobby"));
    }

    private string NewRoom()
    {
        int n = Interlocked.Increment(ref _rooms);
        n.Should().BeLessThanOrEqualTo(Rooms, "the fixture names only so many rooms");
        return $"room-{n}";
    }

    private string NextEventId() => $"test-{Interlocked.Increment(ref _events)}";

    /// <summary>An event of a connection (open, close, message) as the relay writes it, without its kind's own fields.</summary>
    private Dictionary<string, object?> Event(string kind, string id) => new()
    {
        ["event_id"] = NextEventId(), ["event"] = kind, ["time"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0,
        ["handle"] = "test.1", ["id"] = id, ["peer"] = "127.0.0.1:50424",
    };

    private Dictionary<string, object?> Message(string id, string text) =>
        new(Event("message", id)) { ["type"] = "text", ["data"] = text };

    /// <summary>A text message that is a chat line, as chat.html sends it.</summary>
    private Dictionary<string, object?> Line(string id, string room, string name, string text, string? reference)
    {
        var line = new Dictionary<string, string> { ["room"] = room, ["name"] = name, ["text"] = text };
        if (reference is not null)
            line["ref"] = reference;
        return Message(id, JsonSerializer.Serialize(line));
    }

    private static byte[] Body(params Dictionary<string, object?>[] events) =>
        JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["events"] = events });

    private static string Sign(byte[] body) => "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), body));

    /// <summary>POSTs the body as the relay's webhook does; the status chat-hook.php answers.</summary>
    private async Task<HttpStatusCode> PostAsync(byte[] body, string? signature, string? baseUrl = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{baseUrl ?? _php.BaseUrl}/chat-hook.php") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        if (signature is not null)
            request.Headers.TryAddWithoutValidation("X-RawRelay-Signature", signature);
        using HttpResponseMessage response = await Http.SendAsync(request).WithTimeout();
        return response.StatusCode;
    }

    /// <summary>The texts of the room's lines as chat-state.php gives them.</summary>
    private async Task<List<string>> StoredAsync(string room)
    {
        using HttpResponseMessage response = await Http.GetAsync($"{_php.BaseUrl}/chat-state.php?room={room}").WithTimeout();
        string body = await response.Content.ReadAsStringAsync().WithTimeout();
        response.StatusCode.Should().Be(HttpStatusCode.OK, body);
        return Json(body).GetProperty("lines").EnumerateArray().Select(l => l.GetProperty("text").GetString()!).ToList();
    }

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();
}
