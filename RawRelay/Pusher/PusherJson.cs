using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace RawRelay.Pusher;

/// <summary>
/// Writes the relay's Pusher messages (Pusher Channels Protocol, version 7): an event is
/// <c>{"event":...,"channel":...,"data":...}</c>, with <c>data</c> a string of JSON for channel events and
/// <c>connection_established</c>, an object for <c>pusher:error</c> and <c>pusher:subscription_error</c>.
/// Pure (Utf8JsonWriter, no reflection: Native AOT safe); thread-safe (static).
/// </summary>
internal static class PusherJson
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A channel event with its data as a string (<paramref name="channel"/> null for none).</summary>
    public static byte[] Event(string name, string? channel, string data, string? userId = null) =>
        Write(w =>
        {
            w.WriteString("event", name);
            if (channel is not null)
                w.WriteString("channel", channel);
            w.WriteString("data", data);
            if (userId is not null)
                w.WriteString("user_id", userId);
        });

    /// <summary>An event whose data is the given raw JSON value (a client event's data, passed on as it came).</summary>
    public static byte[] EventRaw(string name, string? channel, string dataJson, string? userId = null) =>
        Write(w =>
        {
            w.WriteString("event", name);
            if (channel is not null)
                w.WriteString("channel", channel);
            w.WritePropertyName("data");
            w.WriteRawValue(dataJson, skipInputValidation: true);    // parsed already, as part of the client's message
            if (userId is not null)
                w.WriteString("user_id", userId);
        });

    public static byte[] ConnectionEstablished(string socketId, int activityTimeout) =>
        Event("pusher:connection_established", null, Object(w =>
        {
            w.WriteString("socket_id", socketId);
            w.WriteNumber("activity_timeout", activityTimeout);
        }));

    public static readonly byte[] Pong = "{\"event\":\"pusher:pong\",\"data\":{}}"u8.ToArray();

    /// <summary><c>pusher:error</c>: codes 4000-4099 tell pusher-js not to reconnect, 4100-4199 to back off, 4200-4299 to reconnect.</summary>
    public static byte[] Error(int? code, string message) =>
        Write(w =>
        {
            w.WriteString("event", "pusher:error");
            w.WriteStartObject("data");
            if (code is { } number)
                w.WriteNumber("code", number);
            else
                w.WriteNull("code");
            w.WriteString("message", message);
            w.WriteEndObject();
        });

    public static byte[] SubscriptionError(string channel, int status, string error) =>
        Write(w =>
        {
            w.WriteString("event", "pusher:subscription_error");
            w.WriteString("channel", channel);
            w.WriteStartObject("data");
            w.WriteString("type", "AuthError");
            w.WriteString("error", error);
            w.WriteNumber("status", status);
            w.WriteEndObject();
        });

    public static byte[] SubscriptionSucceeded(string channel) => Event("pusher_internal:subscription_succeeded", channel, "{}");

    /// <summary>A presence channel's <c>subscription_succeeded</c>: the members' ids, their info by id, and their count.</summary>
    public static byte[] PresenceSucceeded(string channel, IReadOnlyList<(string Id, string InfoJson)> members) =>
        Event("pusher_internal:subscription_succeeded", channel, Object(w =>
        {
            w.WriteStartObject("presence");
            w.WriteStartArray("ids");
            foreach ((string id, _) in members)
                w.WriteStringValue(id);
            w.WriteEndArray();
            w.WriteStartObject("hash");
            foreach ((string id, string info) in members)
            {
                w.WritePropertyName(id);
                w.WriteRawValue(info, skipInputValidation: true);
            }

            w.WriteEndObject();
            w.WriteNumber("count", members.Count);
            w.WriteEndObject();
        }));

    public static byte[] MemberAdded(string channel, string userId, string infoJson) =>
        Event("pusher_internal:member_added", channel, Object(w =>
        {
            w.WriteString("user_id", userId);
            w.WritePropertyName("user_info");
            w.WriteRawValue(infoJson, skipInputValidation: true);
        }));

    public static byte[] MemberRemoved(string channel, string userId) =>
        Event("pusher_internal:member_removed", channel, Object(w => w.WriteString("user_id", userId)));

    public static byte[] SigninSuccess(string userData) =>
        Write(w =>
        {
            w.WriteString("event", "pusher:signin_success");
            w.WriteStartObject("data");
            w.WriteString("user_data", userData);
            w.WriteEndObject();
        });

    /// <summary>A JSON object made by <paramref name="body"/>, as a string (Pusher's data strings).</summary>
    public static string Object(Action<Utf8JsonWriter> body) => System.Text.Encoding.UTF8.GetString(Write(body));

    /// <summary>A JSON object made by <paramref name="body"/>.</summary>
    public static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
