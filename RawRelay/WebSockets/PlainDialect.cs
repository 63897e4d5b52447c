using RawRelay.Hub;

namespace RawRelay.WebSockets;

/// <summary>Part 1's dialect: a message is one text or binary frame holding its payload. Stateless; thread-safe.</summary>
internal sealed class PlainDialect : IDialect
{
    public static readonly PlainDialect Instance = new();

    private PlainDialect()
    {
    }

    public ReadOnlyMemory<byte> Frame(Message message) =>
        FrameArena.ForThisThread.Frame(message.Kind == MessageKind.Text ? Opcode.Text : Opcode.Binary, message.Payload.Span);
}
