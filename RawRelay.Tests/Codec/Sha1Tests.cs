using System.Security.Cryptography;
using System.Text;
using RawRelay.Http;

namespace RawRelay.Tests.Codec;

/// <summary>The handshake's own SHA-1, checked against FIPS 180 vectors and the runtime's SHA1.</summary>
[TestFixture]
public sealed class Sha1Tests
{
    [TestCase("", "da39a3ee5e6b4b0d3255bfef95601890afd80709")]
    [TestCase("abc", "a9993e364706816aba3e25717850c26c9cd0d89d")]
    [TestCase("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1")]
    public void Known_vectors(string input, string expected)
    {
        Span<byte> hash = stackalloc byte[Sha1.HashSize];
        Sha1.HashData(Encoding.ASCII.GetBytes(input), hash);
        Convert.ToHexStringLower(hash).Should().Be(expected);
    }

    [Test]
    public void Every_length_up_to_three_blocks_matches_the_runtime()
    {
        var random = new Random(6455);
        Span<byte> ours = stackalloc byte[Sha1.HashSize];
        for (int length = 0; length <= 200; length++)
        {
            byte[] data = new byte[length];
            random.NextBytes(data);
            Sha1.HashData(data, ours);
            Convert.ToHexString(ours).Should().Be(Convert.ToHexString(SHA1.HashData(data)), $"length {length}");
        }
    }
}
