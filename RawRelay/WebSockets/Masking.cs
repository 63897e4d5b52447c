using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace RawRelay.WebSockets;

/// <summary>Applies a client's masking key in place (RFC 6455 §5.3). Thread-safe (static).</summary>
internal static class Masking
{
    /// <summary>
    /// XORs <paramref name="data"/> with the key, starting <paramref name="offset"/> bytes into the
    /// payload (so a payload can be unmasked in pieces). Returns the offset after <paramref name="data"/>.
    /// </summary>
    public static int Apply(Span<byte> data, uint maskKey, int offset)
    {
        // Rotate the key so that byte 0 of data lines up with key byte (offset % 4).
        int shift = (offset & 3) * 8;
        uint rotated = shift == 0 ? maskKey : BitOperations.RotateRight(maskKey, shift);
        int i = 0;

        if (Vector.IsHardwareAccelerated && data.Length >= Vector<byte>.Count)
        {
            Vector<byte> keyVector = Vector.AsVectorByte(new Vector<uint>(rotated));
            Span<Vector<byte>> vectors = MemoryMarshal.Cast<byte, Vector<byte>>(data);
            for (int v = 0; v < vectors.Length; v++)
                vectors[v] ^= keyVector;
            i = vectors.Length * Vector<byte>.Count;
        }

        for (; i + 4 <= data.Length; i += 4)
        {
            uint word = BinaryPrimitives.ReadUInt32LittleEndian(data[i..]);
            BinaryPrimitives.WriteUInt32LittleEndian(data[i..], word ^ rotated);
        }

        for (; i < data.Length; i++)
            data[i] ^= (byte)(rotated >> ((i & 3) * 8));

        return (offset + data.Length) & 3;
    }
}
