namespace RawRelay.WebSockets;

/// <summary>The fields of one frame header (RFC 6455 §5.2) as sent by a client.</summary>
internal readonly record struct FrameHeader(bool Fin, Opcode Opcode, bool Masked, long PayloadLength, uint MaskKey)
{
    /// <summary>Largest header: 2 bytes, 8 of extended length, 4 of mask key.</summary>
    public const int MaxLength = 14;
}
