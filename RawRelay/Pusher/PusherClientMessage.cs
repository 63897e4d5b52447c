using System.Text.Json;

namespace RawRelay.Pusher;

/// <summary>
/// One message of a Pusher client, as far as the relay reads it: the event, the channel (top level, or in a
/// subscription's data), a subscription's <c>auth</c> and <c>channel_data</c>, a sign-in's <c>user_data</c>,
/// and the raw JSON of <c>data</c> (a client event's, passed on as it came). Immutable.
/// </summary>
internal sealed record PusherClientMessage(string Event, string? Channel, string? Auth, string? ChannelData, string? UserData, string DataJson)
{
    /// <summary>The data as Pusher's webhooks give it: a string's value, or the JSON text of anything else.</summary>
    public string DataString { get; init; } = DataJson;

    /// <summary>
    /// Reads a client message: a JSON object with a string <c>event</c>; <c>data</c> an object or a string holding
    /// one (pusher-js sends objects; other clients send them encoded). Null with the reason when it is not one.
    /// Pure.
    /// </summary>
    public static PusherClientMessage? Parse(ReadOnlySpan<byte> json, out string error)
    {
        error = "";
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 32 });
            using JsonDocument document = JsonDocument.ParseValue(ref reader);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("event", out JsonElement name) || name.ValueKind != JsonValueKind.String)
            {
                error = "a message is a JSON object with an event";
                return null;
            }

            string? channel = StringOf(root, "channel");
            string dataJson = root.TryGetProperty("data", out JsonElement data) ? data.GetRawText() : "{}";
            JsonDocument? inner = null;
            try
            {
                JsonElement fields = data;
                if (data.ValueKind == JsonValueKind.String && data.GetString() is { } text && text.StartsWith('{'))
                {
                    inner = JsonDocument.Parse(text);
                    fields = inner.RootElement;
                }

                string? auth = null, channelData = null, userData = null;
                if (fields.ValueKind == JsonValueKind.Object)
                {
                    channel ??= StringOf(fields, "channel");
                    auth = StringOf(fields, "auth");
                    channelData = StringOf(fields, "channel_data");
                    userData = StringOf(fields, "user_data");
                }

                return new PusherClientMessage(name.GetString()!, channel, auth, channelData, userData, dataJson)
                {
                    DataString = data.ValueKind == JsonValueKind.String ? data.GetString()! : dataJson,
                };
            }
            finally
            {
                inner?.Dispose();
            }
        }
        catch (JsonException)
        {
            error = "a message is a JSON object with an event";
            return null;
        }
    }

    private static string? StringOf(JsonElement element, string property) =>
        element.TryGetProperty(property, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
