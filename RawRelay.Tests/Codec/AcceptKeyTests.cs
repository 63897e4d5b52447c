using RawRelay.Http;

namespace RawRelay.Tests.Codec;

/// <summary>Sec-WebSocket-Key checks and the Sec-WebSocket-Accept value (RFC 6455 §1.3, §4.2.1).</summary>
public sealed class AcceptKeyTests
{
    [Test]
    public void The_sample_key_of_RFC_6455_section_1_3_gives_its_accept_value() =>
        AcceptKey.Compute("dGhlIHNhbXBsZSBub25jZQ==").Should().Be("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");

    [TestCase("dGhlIHNhbXBsZSBub25jZQ==", true)]      // the RFC's sample: 16 bytes
    [TestCase("AAAAAAAAAAAAAAAAAAAAAA==", true)]      // 16 zero bytes
    [TestCase(null, false)]                           // missing
    [TestCase("", false)]                             // empty
    [TestCase("dGhlIHNhbXBsZSBub25jZQ", false)]       // padding left out
    [TestCase("dGhlIHNhbXBsZSBub25j", false)]         // 15 bytes, "dGhlIHNhbXBsZSBub25j" is 20 chars
    [TestCase("AAAAAAAAAAAAAAAAAAAAAAA=", false)]     // 17 bytes
    [TestCase("dGhlIHNhbXBsZSBub25jZQ!=", false)]     // not base64
    [TestCase("dGhlIHNhbXBsZSBub25jZQ==AAAA", false)] // 19 bytes
    public void A_key_must_be_the_base64_of_16_bytes(string? key, bool valid) =>
        AcceptKey.IsValidKey(key).Should().Be(valid);
}
