using System.Buffers.Binary;
using System.Numerics;

namespace RawRelay.Http;

/// <summary>
/// SHA-1 (FIPS 180-4) for the one place RFC 6455 needs it, the Sec-WebSocket-Accept value. It is not
/// used for security. Written here so that a handshake does not load the system's libcrypto, whose pages
/// (3.4 MB of resident memory) would otherwise stay mapped for the life of the process. Thread-safe
/// (static, no state).
/// </summary>
internal static class Sha1
{
    public const int HashSize = 20;
    private const int BlockSize = 64;

    public static void HashData(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        Span<uint> state = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
        Span<uint> schedule = stackalloc uint[80];

        int whole = data.Length - data.Length % BlockSize;
        for (int offset = 0; offset < whole; offset += BlockSize)
            Compress(state, data.Slice(offset, BlockSize), schedule);

        // The last partial block, the 0x80 marker, zeros, and the length in bits: one or two blocks.
        Span<byte> tail = stackalloc byte[2 * BlockSize];
        tail.Clear();
        ReadOnlySpan<byte> rest = data[whole..];
        rest.CopyTo(tail);
        tail[rest.Length] = 0x80;
        int tailLength = rest.Length + 1 + 8 <= BlockSize ? BlockSize : 2 * BlockSize;
        BinaryPrimitives.WriteUInt64BigEndian(tail[(tailLength - 8)..], (ulong)data.Length * 8);
        for (int offset = 0; offset < tailLength; offset += BlockSize)
            Compress(state, tail.Slice(offset, BlockSize), schedule);

        for (int i = 0; i < state.Length; i++)
            BinaryPrimitives.WriteUInt32BigEndian(destination[(i * 4)..], state[i]);
    }

    private static void Compress(Span<uint> state, ReadOnlySpan<byte> block, Span<uint> w)
    {
        for (int t = 0; t < 16; t++)
            w[t] = BinaryPrimitives.ReadUInt32BigEndian(block[(t * 4)..]);
        for (int t = 16; t < 80; t++)
            w[t] = BitOperations.RotateLeft(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);

        uint a = state[0], b = state[1], c = state[2], d = state[3], e = state[4];
        for (int t = 0; t < 80; t++)
        {
            (uint f, uint k) = t switch
            {
                < 20 => ((b & c) | (~b & d), 0x5A827999u),
                < 40 => (b ^ c ^ d, 0x6ED9EBA1u),
                < 60 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDCu),
                _ => (b ^ c ^ d, 0xCA62C1D6u),
            };
            uint temp = BitOperations.RotateLeft(a, 5) + f + e + k + w[t];
            e = d;
            d = c;
            c = BitOperations.RotateLeft(b, 30);
            b = a;
            a = temp;
        }

        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
        state[4] += e;
    }
}
