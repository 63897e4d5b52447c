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
        FrameArena.ForThisThread.Frame(OpcodeOf(message), message.Payload.Span);

    public byte[] FrameToKeep(Message message) => FrameWriter.Frame(OpcodeOf(message), message.Payload.Span);

    public static Opcode OpcodeOf(Message message) => message.Kind == MessageKind.Text ? Opcode.Text : Opcode.Binary;
}
