namespace RawRelay.WebSockets;

/// <summary>Receives what <see cref="FrameDecoder"/> finds in a client's byte stream.</summary>
internal interface IFrameHandler
{
    /// <summary>Unmasked payload bytes of the current data message, in order, possibly in pieces.</summary>
    void OnMessageData(ReadOnlySpan<byte> payload);

    /// <summary>The current data message ended (its last frame had FIN set).</summary>
    void OnMessageEnd(Opcode opcode, long length);

    void OnPing(ReadOnlySpan<byte> payload);

    void OnPong(ReadOnlySpan<byte> payload);
}
