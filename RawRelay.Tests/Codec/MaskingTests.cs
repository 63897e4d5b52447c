using System.Buffers.Binary;
using RawRelay.WebSockets;

namespace RawRelay.Tests.Codec;

/// <summary>Masking.Apply against a naive byte-by-byte XOR (RFC 6455 §5.3), at every offset and many lengths.</summary>
public sealed class MaskingTests
{
    private static readonly byte[] Key = [0x37, 0xFA, 0x21, 0x3D];

    private static IEnumerable<int> Lengths() =>
        [.. Enumerable.Range(0, 70), 127, 128, 129, 255, 256, 1000, 4099, 65536];

    [Test]
    public void Applying_the_mask_at_any_offset_equals_a_naive_xor([Range(0, 7)] int offset)
    {
        uint maskKey = BinaryPrimitives.ReadUInt32LittleEndian(Key);   // the key as the parser reads it off the wire
        var random = new Random(offset);
        foreach (int length in Lengths())
        {
            byte[] data = new byte[length];
            random.NextBytes(data);
            byte[] expected = data.Select((b, i) => (byte)(b ^ Key[(offset + i) % 4])).ToArray();

            int next = Masking.Apply(data, maskKey, offset);

            data.Should().Equal(expected, $"length {length}");
            next.Should().Be((offset + length) % 4);
        }
    }

    [Test]
    public void Unmasking_in_pieces_of_every_size_equals_unmasking_at_once()
    {
        uint maskKey = BinaryPrimitives.ReadUInt32LittleEndian(Key);
        byte[] original = Enumerable.Range(0, 300).Select(i => (byte)(i * 31)).ToArray();
        byte[] whole = original.ToArray();
        Masking.Apply(whole, maskKey, 0);

        for (int piece = 1; piece <= 70; piece++)
        {
            byte[] data = original.ToArray();
            int offset = 0;
            for (int at = 0; at < data.Length; at += piece)
                offset = Masking.Apply(data.AsSpan(at, Math.Min(piece, data.Length - at)), maskKey, offset);
            data.Should().Equal(whole, $"pieces of {piece}");
        }
    }

    [Test]
    public void Masking_twice_gives_the_data_back()
    {
        byte[] data = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        Masking.Apply(data, 0xDEADBEEF, 3);
        Masking.Apply(data, 0xDEADBEEF, 3);
        data.Should().Equal(Enumerable.Range(0, 1000).Select(i => (byte)i));
    }
}
