using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Pusher;

/// <summary>One Pusher message as a test sees it: the event, its channel, its data (a string's value, else the raw JSON), the user_id.</summary>
internal sealed record PusherEvent(string Event, string? Channel, string Data, string? UserId, string Json)
{
    public static PusherEvent Parse(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        string? Str(string name) => root.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        string data = !root.TryGetProperty("data", out JsonElement d) ? "" : d.ValueKind == JsonValueKind.String ? d.GetString()! : d.GetRawText();
        return new PusherEvent(Str("event")!, Str("channel"), data, Str("user_id"), json);
    }

    /// <summary>A field of the data, which is a JSON object (or a string holding one).</summary>
    public JsonElement DataField(string name)
    {
        using JsonDocument document = JsonDocument.Parse(Data);
        return document.RootElement.GetProperty(name).Clone();
    }
}

/// <summary>
/// A Pusher client written from the protocol's text over <see cref="RawWebSocketClient"/>, byte-exact where a
/// test needs it (pusher-js is the independent client: see PusherJsTests). Not thread-safe.
/// </summary>
internal sealed class PusherWireClient : IAsyncDisposable
{
    public const string AppId = "app1";
    public const string Key = "key1";
    public const string Secret = "secret1";

    /// <summary>The tests' app, as a relay is given it (<c>--pusher-app app1:key1:secret1</c>).</summary>
    public static readonly RawRelay.Pusher.PusherApp App = new(AppId, Key, Secret);

    private PusherWireClient(RawWebSocketClient raw, string socketId)
    {
        Raw = raw;
        SocketId = socketId;
    }

    public RawWebSocketClient Raw { get; }

    public string SocketId { get; }

    /// <summary>Connects to <c>/app/&lt;key&gt;?protocol=7</c> and reads <c>pusher:connection_established</c>.</summary>
    public static async Task<PusherWireClient> ConnectAsync(int port, CancellationToken ct)
    {
        RawWebSocketClient raw = await RawWebSocketClient.ConnectAsync(port, "ignored", ct, path: "/app/" + Key, query: "&protocol=7&client=js&version=8.4.0");
        PusherEvent established = PusherEvent.Parse(await raw.ReceiveTextAsync(ct).WithTimeout());
        established.Event.Should().Be("pusher:connection_established");
        return new PusherWireClient(raw, established.DataField("socket_id").GetString()!);
    }

    public Task SendAsync(string json, CancellationToken ct) => Raw.SendTextAsync(json, ct);

    public async Task<PusherEvent> ReceiveAsync(CancellationToken ct) => PusherEvent.Parse(await Raw.ReceiveTextAsync(ct).WithTimeout());

    /// <summary>Sends <c>pusher:subscribe</c> (signed for a private or presence channel) and returns the answer.</summary>
    public async Task<PusherEvent> SubscribeAsync(string channel, CancellationToken ct, string? channelData = null, string? auth = null)
    {
        if (auth is null && (channel.StartsWith("private-", StringComparison.Ordinal) || channel.StartsWith("presence-", StringComparison.Ordinal)))
            auth = Key + ":" + Hmac(SocketId + ":" + channel + (channelData is null ? "" : ":" + channelData));
        var data = new Dictionary<string, string> { ["channel"] = channel };
        if (auth is not null)
            data["auth"] = auth;
        if (channelData is not null)
            data["channel_data"] = channelData;
        await SendAsync(JsonSerializer.Serialize(new Dictionary<string, object> { ["event"] = "pusher:subscribe", ["data"] = data }, TestJson.Options), ct);
        return await ReceiveAsync(ct);
    }

    public static string Hmac(string text) => Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(text)));

    public ValueTask DisposeAsync() => Raw.DisposeAsync();
}

/// <summary>Signed requests to the HTTP API, signed here from the HTTP API reference (not with the relay's code).</summary>
internal static class PusherApiRequests
{
    public static async Task<HttpReply> SendAsync(int port, string method, string path, string body = "", string query = "",
        string secret = PusherWireClient.Secret, long? timestamp = null, string? bodyMd5 = null, CancellationToken ct = default)
    {
        long stamp = timestamp ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var parameters = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["auth_key"] = PusherWireClient.Key,
            ["auth_timestamp"] = stamp.ToString(CultureInfo.InvariantCulture),
            ["auth_version"] = "1.0",
        };
        if (body.Length > 0)
            parameters["body_md5"] = bodyMd5 ?? Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(body)));
        foreach (string pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
            parameters[pair[..pair.IndexOf('=')]] = pair[(pair.IndexOf('=') + 1)..];
        string joined = string.Join('&', parameters.Select(p => p.Key + "=" + p.Value));
        string signature = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{method}\n{path}\n{joined}")));
        byte[] bytes = Encoding.UTF8.GetBytes(body);
        string request = $"{method} {path}?{joined}&auth_signature={signature} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
            $"Content-Length: {bytes.Length}\r\nConnection: close\r\n\r\n{body}";
        return await HttpReply.ExchangeAsync(port, request, ct);
    }

    public static Task<HttpReply> TriggerAsync(int port, string channel, string name, string data, CancellationToken ct, string? socketId = null) =>
        SendAsync(port, "POST", $"/apps/{PusherWireClient.AppId}/events", JsonSerializer.Serialize(
            socketId is null
                ? new Dictionary<string, object> { ["name"] = name, ["channels"] = new[] { channel }, ["data"] = data }
                : new Dictionary<string, object> { ["name"] = name, ["channels"] = new[] { channel }, ["data"] = data, ["socket_id"] = socketId },
            TestJson.Options), ct: ct);
}

internal static class TestJson
{
    public static readonly JsonSerializerOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
