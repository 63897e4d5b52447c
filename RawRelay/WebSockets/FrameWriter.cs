using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace RawRelay.WebSockets;

/// <summary>
/// Writes server frames (RFC 6455 §5.2): FIN set, unmasked, shortest length encoding.
/// Thread-safe (static, no state).
/// </summary>
internal static class FrameWriter
{
    public const int MaxHeaderLength = 10;

    /// <summary>Bytes a header for a payload of this length takes.</summary>
    public static int HeaderLength(long payloadLength) => payloadLength switch
    {
        <= 125 => 2,
        <= ushort.MaxValue => 4,
        _ => 10,
    };

    /// <summary>Writes a header into <paramref name="destination"/>; returns its length.</summary>
    public static int WriteHeader(Span<byte> destination, Opcode opcode, long payloadLength)
    {
        destination[0] = (byte)(0x80 | (byte)opcode);
        if (payloadLength <= 125)
        {
            destination[1] = (byte)payloadLength;
            return 2;
        }

        if (payloadLength <= ushort.MaxValue)
        {
            destination[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payloadLength);
            return 4;
        }

        destination[1] = 127;
        BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)payloadLength);
        return 10;
    }

    /// <summary>Appends a whole frame to <paramref name="output"/>.</summary>
    public static void WriteFrame(IBufferWriter<byte> output, Opcode opcode, ReadOnlySpan<byte> payload)
    {
        int headerLength = HeaderLength(payload.Length);
        Span<byte> span = output.GetSpan(headerLength + payload.Length);
        WriteHeader(span, opcode, payload.Length);
        payload.CopyTo(span[headerLength..]);
        output.Advance(headerLength + payload.Length);
    }

    /// <summary>A whole frame in a new array.</summary>
    public static byte[] Frame(Opcode opcode, ReadOnlySpan<byte> payload) => Frame(opcode, [], payload);

    /// <summary>A whole frame whose payload is <paramref name="prefix"/> then <paramref name="payload"/>, in a new array of its size.</summary>
    public static byte[] Frame(Opcode opcode, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> payload)
    {
        int payloadLength = prefix.Length + payload.Length;
        byte[] frame = GC.AllocateUninitializedArray<byte>(HeaderLength(payloadLength) + payloadLength);
        WriteFrame(frame, opcode, prefix, payload);
        return frame;
    }

    /// <summary>Writes a whole frame (header, prefix, payload) into <paramref name="destination"/>, which is exactly its size.</summary>
    public static void WriteFrame(Span<byte> destination, Opcode opcode, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> payload)
    {
        int headerLength = WriteHeader(destination, opcode, prefix.Length + payload.Length);
        prefix.CopyTo(destination[headerLength..]);
        payload.CopyTo(destination[(headerLength + prefix.Length)..]);
    }

    /// <summary>
    /// As <see cref="Frame(Opcode, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>, on the pinned object heap: for a frame
    /// kept for minutes (history), which the collector then never copies from generation to generation.
    /// </summary>
    public static byte[] FrameToKeep(Opcode opcode, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> payload)
    {
        int payloadLength = prefix.Length + payload.Length;
        byte[] frame = GC.AllocateUninitializedArray<byte>(HeaderLength(payloadLength) + payloadLength, pinned: true);
        WriteFrame(frame, opcode, prefix, payload);
        return frame;
    }

    /// <summary>A close frame with a code and a reason of at most 123 bytes of UTF-8.</summary>
    public static byte[] CloseFrame(CloseCode code, string reason = "")
    {
        Span<byte> payload = stackalloc byte[125];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)code);
        int reasonLength = Encoding.UTF8.GetBytes(reason, payload[2..]);
        return Frame(Opcode.Close, payload[..(2 + reasonLength)]);
    }
}
