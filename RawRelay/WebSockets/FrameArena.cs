namespace RawRelay.WebSockets;

/// <summary>
/// Frames outgoing messages into large shared chunks so that small messages cost no allocation of their
/// own; a chunk is freed by the GC once no queue refers to it (a backlogged queue keeps copies, not
/// chunks). Bytes handed out never change. One arena per thread (<see cref="ForThisThread"/>), so it needs
/// no lock and callers need not carry one.
/// </summary>
internal sealed class FrameArena
{
    private const int ChunkSize = 64 * 1024;
    private const int MaxArenaFrame = 8 * 1024;

    [ThreadStatic]
    private static FrameArena? t_arena;

    private byte[] _chunk = [];
    private int _used;

    public static FrameArena ForThisThread => t_arena ??= new FrameArena();

    /// <summary>A whole server frame holding <paramref name="payload"/>.</summary>
    public ReadOnlyMemory<byte> Frame(Opcode opcode, ReadOnlySpan<byte> payload)
    {
        int length = FrameWriter.HeaderLength(payload.Length) + payload.Length;
        if (length > MaxArenaFrame)
            return FrameWriter.Frame(opcode, payload);
        Span<byte> destination = Reserve(length, out ReadOnlyMemory<byte> frame);
        int headerLength = FrameWriter.WriteHeader(destination, opcode, payload.Length);
        payload.CopyTo(destination[headerLength..]);
        return frame;
    }

    /// <summary>A whole server frame whose payload is <paramref name="prefix"/> then <paramref name="payload"/>.</summary>
    public ReadOnlyMemory<byte> Frame(Opcode opcode, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> payload)
    {
        int length = FrameWriter.HeaderLength(prefix.Length + payload.Length) + prefix.Length + payload.Length;
        if (length > MaxArenaFrame)
            return FrameWriter.Frame(opcode, prefix, payload);
        FrameWriter.WriteFrame(Reserve(length, out ReadOnlyMemory<byte> frame), opcode, prefix, payload);
        return frame;
    }

    /// <summary>The next <paramref name="length"/> bytes of the current chunk (a new one when they do not fit).</summary>
    private Span<byte> Reserve(int length, out ReadOnlyMemory<byte> frame)
    {
        if (_chunk.Length - _used < length)
        {
            _chunk = GC.AllocateUninitializedArray<byte>(ChunkSize);
            _used = 0;
        }

        frame = new ReadOnlyMemory<byte>(_chunk, _used, length);
        Span<byte> reserved = _chunk.AsSpan(_used, length);
        _used += length;
        return reserved;
    }
}
