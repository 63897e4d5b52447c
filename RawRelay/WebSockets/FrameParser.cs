using System.Buffers.Binary;

namespace RawRelay.WebSockets;

/// <summary>
/// Parses and checks one client frame header (RFC 6455 §5.2). Pure: bytes in, an answer out.
/// Thread-safe (static, no state).
/// </summary>
internal static class FrameParser
{
    public const int MaxControlPayload = 125;

    /// <summary>
    /// Reads a frame header from the start of <paramref name="input"/> and applies every header rule of
    /// the SPEC, in its order. <paramref name="messageOpen"/> says whether a fragmented message is in
    /// progress and <paramref name="messageLength"/> how many payload bytes it already has.
    /// </summary>
    public static ParseStatus TryParseHeader(
        ReadOnlySpan<byte> input, bool messageOpen, long messageLength, long maxMessage,
        out FrameHeader header, out int headerLength, out CloseCode error)
    {
        header = default;
        headerLength = 0;
        error = CloseCode.None;
        if (input.Length < 2)
            return ParseStatus.NeedMoreData;

        byte b0 = input[0], b1 = input[1];
        bool fin = (b0 & 0x80) != 0;
        var opcode = (Opcode)(b0 & 0x0F);
        bool masked = (b1 & 0x80) != 0;
        int length7 = b1 & 0x7F;

        // Rules that the first two bytes decide fail at once, before the rest of the header arrives.
        if (!masked)
            return Fail(CloseCode.ProtocolError, out error);          // §5.1: client frames must be masked
        if ((b0 & 0x70) != 0)
            return Fail(CloseCode.ProtocolError, out error);          // §5.2: no extension negotiated RSV bits
        if (!opcode.IsKnown())
            return Fail(CloseCode.ProtocolError, out error);          // §5.2: reserved opcode
        if (opcode.IsControl() && (length7 > MaxControlPayload || !fin))
            return Fail(CloseCode.ProtocolError, out error);          // §5.5: control frames <= 125 bytes, unfragmented
        if (opcode == Opcode.Continuation && !messageOpen)
            return Fail(CloseCode.ProtocolError, out error);          // §5.4: continuation with no message open
        if (opcode is Opcode.Text or Opcode.Binary && messageOpen)
            return Fail(CloseCode.ProtocolError, out error);          // §5.4: new message inside a fragmented one

        int extended = length7 switch { 126 => 2, 127 => 8, _ => 0 };
        int fullLength = 2 + extended + 4;
        if (input.Length < fullLength)
            return ParseStatus.NeedMoreData;

        long payloadLength = length7;
        if (extended == 2)
        {
            payloadLength = BinaryPrimitives.ReadUInt16BigEndian(input[2..]);
        }
        else if (extended == 8)
        {
            ulong raw = BinaryPrimitives.ReadUInt64BigEndian(input[2..]);
            if ((raw & 0x8000_0000_0000_0000UL) != 0)
                return Fail(CloseCode.ProtocolError, out error);      // §5.2: most significant bit must be 0
            payloadLength = (long)raw;
        }

        if (!opcode.IsControl() && payloadLength > maxMessage - messageLength)
            return Fail(CloseCode.MessageTooBig, out error);          // SPEC: over --max-message

        uint maskKey = BinaryPrimitives.ReadUInt32LittleEndian(input[(2 + extended)..]);
        header = new FrameHeader(fin, opcode, masked, payloadLength, maskKey);
        headerLength = fullLength;                                     // set only when complete
        return ParseStatus.Complete;
    }

    private static ParseStatus Fail(CloseCode code, out CloseCode error)
    {
        error = code;
        return ParseStatus.Invalid;
    }
}
