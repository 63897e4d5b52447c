using System.Buffers;
using RawRelay.WebSockets;

namespace RawRelay.Tests.Codec;

/// <summary>Server frames: FIN set, unmasked, the shortest length encoding (RFC 6455 §5.2).</summary>
public sealed class FrameWriterTests
{
    [TestCase(0, new byte[] { 0x81, 0x00 })]                                              // empty: 7-bit
    [TestCase(1, new byte[] { 0x81, 0x01 })]                                              // 7-bit
    [TestCase(125, new byte[] { 0x81, 0x7D })]                                            // largest 7-bit
    [TestCase(126, new byte[] { 0x81, 0x7E, 0x00, 0x7E })]                                // smallest 16-bit
    [TestCase(127, new byte[] { 0x81, 0x7E, 0x00, 0x7F })]                                // 16-bit
    [TestCase(65535, new byte[] { 0x81, 0x7E, 0xFF, 0xFF })]                              // largest 16-bit
    [TestCase(65536, new byte[] { 0x81, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00 })]         // smallest 64-bit
    [TestCase(1048576, new byte[] { 0x81, 0x7F, 0, 0, 0, 0, 0, 0x10, 0x00, 0x00 })]       // 1 MiB
    public void A_text_frame_has_the_shortest_header_for_its_length(int length, byte[] header)
    {
        byte[] payload = Enumerable.Range(0, length).Select(i => (byte)'a').ToArray();
        var output = new ArrayBufferWriter<byte>();

        FrameWriter.WriteFrame(output, Opcode.Text, payload);

        output.WrittenSpan[..header.Length].ToArray().Should().Equal(header);
        output.WrittenSpan[header.Length..].SequenceEqual(payload).Should().BeTrue();
        output.WrittenCount.Should().Be(header.Length + length);
        FrameWriter.HeaderLength(length).Should().Be(header.Length);
        FrameWriter.Frame(Opcode.Text, payload).Should().Equal(output.WrittenSpan.ToArray());
    }

    [TestCase((int)Opcode.Binary, new byte[] { 0x82, 0x03, 1, 2, 3 })]  // FIN + binary
    [TestCase((int)Opcode.Ping, new byte[] { 0x89, 0x03, 1, 2, 3 })]    // FIN + ping
    [TestCase((int)Opcode.Pong, new byte[] { 0x8A, 0x03, 1, 2, 3 })]    // FIN + pong
    public void Every_opcode_is_written_with_fin_and_no_mask(int opcode, byte[] frame) =>
        FrameWriter.Frame((Opcode)opcode, [1, 2, 3]).Should().Equal(frame);

    [Test]
    public void A_close_frame_carries_its_code_big_endian_then_the_reason() =>
        FrameWriter.CloseFrame(CloseCode.ProtocolError, "bad").Should().Equal(0x88, 0x05, 0x03, 0xEA, (byte)'b', (byte)'a', (byte)'d');

    [Test]
    public void A_close_frame_without_reason_is_four_bytes() =>
        FrameWriter.CloseFrame(CloseCode.MessageTooBig).Should().Equal(0x88, 0x02, 0x03, 0xF1);
}
