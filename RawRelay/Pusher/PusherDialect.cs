using RawRelay.Hub;
using RawRelay.WebSockets;

namespace RawRelay.Pusher;

/// <summary>
/// How a Pusher connection gets a message of the hub. A Pusher event (the HTTP API's, a client event) is
/// already its Pusher envelope and goes as it is: framed once, the same bytes to every Pusher connection on
/// the channel. A native message (PUBLISH, SEND, BROADCAST) becomes the event <c>message</c> with the
/// payload as its data string (<c>binary</c> with it in base64 for a binary message), and the channel for a
/// channel's message. Stateless; thread-safe.
/// </summary>
internal sealed class PusherDialect : IDialect
{
    public const string NativeTextEvent = "message";
    public const string NativeBinaryEvent = "binary";

    public static readonly PusherDialect Instance = new();

    private PusherDialect()
    {
    }

    public ReadOnlyMemory<byte> Frame(Message message) => ReferenceEquals(message.WrittenIn, this)
        ? FrameArena.ForThisThread.Frame(Opcode.Text, message.Payload.Span)
        : FrameArena.ForThisThread.Frame(Opcode.Text, Envelope(message));

    public byte[] FrameToKeep(Message message) => ReferenceEquals(message.WrittenIn, this)
        ? FrameWriter.Frame(Opcode.Text, message.Payload.Span)
        : FrameWriter.Frame(Opcode.Text, Envelope(message));

    /// <summary>A native message as a Pusher event.</summary>
    public static byte[] Envelope(Message message)
    {
        string? channel = message.Stream is Channel on ? on.Name : null;
        return message.Kind == MessageKind.Text
            ? PusherJson.Event(NativeTextEvent, channel, System.Text.Encoding.UTF8.GetString(message.Payload.Span))
            : PusherJson.Event(NativeBinaryEvent, channel, Convert.ToBase64String(message.Payload.Span));
    }
}
