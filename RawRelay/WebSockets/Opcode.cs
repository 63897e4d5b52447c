namespace RawRelay.WebSockets;

/// <summary>Frame opcodes of RFC 6455 §5.2. Values 3-7 and 0xB-0xF are reserved.</summary>
internal enum Opcode : byte
{
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
}

internal static class OpcodeExtensions
{
    /// <summary>Control frames have the high bit of the opcode set (RFC 6455 §5.5).</summary>
    public static bool IsControl(this Opcode opcode) => ((byte)opcode & 0x8) != 0;

    public static bool IsKnown(this Opcode opcode) =>
        opcode is Opcode.Continuation or Opcode.Text or Opcode.Binary or Opcode.Close or Opcode.Ping or Opcode.Pong;
}
