using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using RawRelay.Hub;

namespace RawRelay.Webhooks;

/// <summary>
/// The JSON body of one POST (SPEC): <c>{"events":[...]}</c>, each event with <c>event_id</c>, <c>event</c>
/// and <c>time</c> (unix seconds, fractional), plus <c>handle</c>, <c>id</c> and <c>peer</c> (open, close,
/// message), <c>code</c> (close), <c>type</c> with <c>data</c> (text) or <c>data_base64</c> (binary), and
/// <c>channel</c> (occupied, vacated). Written with Utf8JsonWriter (no reflection, so Native AOT is clean).
/// Pure; thread-safe (static).
/// </summary>
internal static class WebhookBody
{
    // Relaxed escaping writes UTF-8 as it is (a chat in any script stays its size); the body is JSON for a
    // JSON parser, never HTML, so the characters that default escaping guards for HTML need no escape here.
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Write(IReadOnlyList<RelayEvent> events)
    {
        var output = new ArrayBufferWriter<byte>(256 * events.Count);
        using (var json = new Utf8JsonWriter(output, Options))
        {
            json.WriteStartObject();
            json.WriteStartArray("events");
            foreach (RelayEvent relayEvent in events)
                WriteEvent(json, relayEvent);
            json.WriteEndArray();
            json.WriteEndObject();
        }

        return output.WrittenSpan.ToArray();
    }

    public static string Name(RelayEventKind kind) => kind switch
    {
        RelayEventKind.Open => "open",
        RelayEventKind.Close => "close",
        RelayEventKind.Message => "message",
        RelayEventKind.Offline => "offline",
        RelayEventKind.Occupied => "occupied",
        _ => "vacated",
    };

    private static void WriteEvent(Utf8JsonWriter json, RelayEvent relayEvent)
    {
        json.WriteStartObject();
        json.WriteString("event_id", relayEvent.EventId);
        json.WriteString("event", Name(relayEvent.Kind));
        json.WriteNumber("time", Math.Round(relayEvent.Time, 3));
        switch (relayEvent.Kind)
        {
            case RelayEventKind.Open or RelayEventKind.Close or RelayEventKind.Message:
                json.WriteString("handle", relayEvent.Handle);
                json.WriteString("id", relayEvent.Id);
                json.WriteString("peer", relayEvent.Peer);
                break;
            case RelayEventKind.Offline:
                json.WriteString("id", relayEvent.Id);
                break;
            default:
                json.WriteString("channel", relayEvent.Channel);
                break;
        }

        if (relayEvent.Kind == RelayEventKind.Close)
            json.WriteNumber("code", relayEvent.Code);
        if (relayEvent.Kind == RelayEventKind.Message)
        {
            json.WriteString("type", relayEvent.Binary ? "binary" : "text");
            if (relayEvent.Binary)
                json.WriteBase64String("data_base64", relayEvent.Payload);
            else
                json.WriteString("data", relayEvent.Payload);    // valid UTF-8: the relay checked it (RFC 6455 §8.1)
        }

        json.WriteEndObject();
    }
}
