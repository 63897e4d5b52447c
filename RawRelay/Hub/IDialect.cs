namespace RawRelay.Hub;

/// <summary>
/// How one kind of connection puts a message on the wire (a plain WebSocket frame, a frame with a header
/// line, a Pusher envelope). The hub never frames: it hands a <see cref="Message"/> to each connection,
/// which asks the message for its dialect's frame, so a message is framed once per dialect and the same
/// bytes go to every connection of that dialect. Implementations are stateless and thread-safe.
/// </summary>
internal interface IDialect
{
    /// <summary>The whole frame of <paramref name="message"/>; its bytes never change afterwards (it may share a large buffer).</summary>
    ReadOnlyMemory<byte> Frame(Message message);

    /// <summary>The whole frame of <paramref name="message"/> in an array of its own, exactly its size, to be kept.</summary>
    byte[] FrameToKeep(Message message);
}
