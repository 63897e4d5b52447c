using RawRelay.WebSockets;

namespace RawRelay.Tests.Codec;

/// <summary>The header rules of FrameParser, one literal row of bytes per rule (mask key 37 FA 21 3D).</summary>
public sealed class FrameParserTests
{
    private const long MaxMessage = 1000;

    // Each row fails on its first two bytes: the rule is decided before the rest of the header is there.
    [TestCase(new byte[] { 0x81, 0x00 }, 1002)]             // FIN + text, unmasked -> 1002
    [TestCase(new byte[] { 0x82, 0x05 }, 1002)]             // FIN + binary, unmasked, 5 bytes -> 1002
    [TestCase(new byte[] { 0x89, 0x00 }, 1002)]             // ping, unmasked -> 1002
    [TestCase(new byte[] { 0xC1, 0x80 }, 1002)]             // FIN + RSV1 + text -> 1002
    [TestCase(new byte[] { 0xA1, 0x80 }, 1002)]             // FIN + RSV2 + text -> 1002
    [TestCase(new byte[] { 0x91, 0x80 }, 1002)]             // FIN + RSV3 + text -> 1002
    [TestCase(new byte[] { 0xF2, 0x80 }, 1002)]             // FIN + all RSV + binary -> 1002
    [TestCase(new byte[] { 0xC9, 0x80 }, 1002)]             // FIN + RSV1 + ping -> 1002
    [TestCase(new byte[] { 0x83, 0x80 }, 1002)]             // reserved data opcode 3 -> 1002
    [TestCase(new byte[] { 0x84, 0x80 }, 1002)]             // reserved data opcode 4 -> 1002
    [TestCase(new byte[] { 0x85, 0x80 }, 1002)]             // reserved data opcode 5 -> 1002
    [TestCase(new byte[] { 0x86, 0x80 }, 1002)]             // reserved data opcode 6 -> 1002
    [TestCase(new byte[] { 0x87, 0x80 }, 1002)]             // reserved data opcode 7 -> 1002
    [TestCase(new byte[] { 0x8B, 0x80 }, 1002)]             // reserved control opcode B -> 1002
    [TestCase(new byte[] { 0x8C, 0x80 }, 1002)]             // reserved control opcode C -> 1002
    [TestCase(new byte[] { 0x8D, 0x80 }, 1002)]             // reserved control opcode D -> 1002
    [TestCase(new byte[] { 0x8E, 0x80 }, 1002)]             // reserved control opcode E -> 1002
    [TestCase(new byte[] { 0x8F, 0x80 }, 1002)]             // reserved control opcode F -> 1002
    [TestCase(new byte[] { 0x89, 0xFE }, 1002)]             // ping with a 16-bit length (126+) -> 1002
    [TestCase(new byte[] { 0x8A, 0xFF }, 1002)]             // pong with a 64-bit length -> 1002
    [TestCase(new byte[] { 0x88, 0xFE }, 1002)]             // close with a 16-bit length -> 1002
    [TestCase(new byte[] { 0x09, 0x80 }, 1002)]             // ping without FIN (fragmented control) -> 1002
    [TestCase(new byte[] { 0x08, 0x80 }, 1002)]             // close without FIN -> 1002
    [TestCase(new byte[] { 0x0A, 0x80 }, 1002)]             // pong without FIN -> 1002
    [TestCase(new byte[] { 0x80, 0x80 }, 1002)]             // FIN + continuation, no message open -> 1002
    [TestCase(new byte[] { 0x00, 0x80 }, 1002)]             // continuation, no message open -> 1002
    public void A_broken_header_fails_on_its_first_two_bytes(byte[] header, int code) =>
        Parse(header, messageOpen: false).Should().Be((ParseStatus.Invalid, code));

    [TestCase(new byte[] { 0x81, 0x80 }, 1002)]             // FIN + text while a message is open -> 1002
    [TestCase(new byte[] { 0x01, 0x80 }, 1002)]             // text start while a message is open -> 1002
    [TestCase(new byte[] { 0x82, 0x80 }, 1002)]             // FIN + binary while a message is open -> 1002
    public void A_new_data_frame_inside_a_fragmented_message_fails(byte[] header, int code) =>
        Parse(header, messageOpen: true).Should().Be((ParseStatus.Invalid, code));

    [TestCase(new byte[] { 0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x37, 0xFA, 0x21, 0x3D }, 1002)] // 64-bit length with top bit set -> 1002
    [TestCase(new byte[] { 0x82, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x37, 0xFA, 0x21, 0x3D }, 1002)] // 64-bit all ones -> 1002
    [TestCase(new byte[] { 0x82, 0xFE, 0x03, 0xE9, 0x37, 0xFA, 0x21, 0x3D }, 1009)] // binary of 1001 bytes (16-bit) over max 1000 -> 1009
    [TestCase(new byte[] { 0x81, 0xFF, 0, 0, 0, 0, 0, 0, 0x03, 0xE9, 0x37, 0xFA, 0x21, 0x3D }, 1009)] // text of 1001 bytes (64-bit) -> 1009
    [TestCase(new byte[] { 0x81, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x37, 0xFA, 0x21, 0x3D }, 1009)] // 2^63-1 bytes -> 1009, nothing allocated
    public void A_broken_length_fails_once_the_length_is_read(byte[] header, int code)
    {
        Parse(header, messageOpen: false).Should().Be((ParseStatus.Invalid, code));
        int lengthEnd = header[1] == 0xFE ? 4 : 10;
        Parse(header[..(lengthEnd - 1)], messageOpen: false).Status.Should().Be(ParseStatus.NeedMoreData);
    }

    [Test]
    public void A_continuation_over_the_rest_of_max_message_fails_with_1009()
    {
        byte[] header = [0x80, 0xE5, 0x37, 0xFA, 0x21, 0x3D];           // FIN + continuation, 101 bytes
        Parse(header, messageOpen: true, messageLength: 900).Should().Be((ParseStatus.Invalid, 1009));
        Parse(header, messageOpen: true, messageLength: 899).Status.Should().Be(ParseStatus.Complete);
    }

    [Test]
    public void A_control_frame_inside_a_full_message_is_not_counted_against_max_message() =>
        Parse([0x89, 0xFD, 0x37, 0xFA, 0x21, 0x3D], messageOpen: true, messageLength: 1000)  // ping, 125 bytes
            .Status.Should().Be(ParseStatus.Complete);

    private static readonly object[] ValidHeaders =
    [
        new object[] { new byte[] { 0x81, 0x80, 0x37, 0xFA, 0x21, 0x3D }, true, (int)Opcode.Text, 0L, false },                  // FIN + text, empty
        new object[] { new byte[] { 0x82, 0xFD, 0x37, 0xFA, 0x21, 0x3D }, true, (int)Opcode.Binary, 125L, false },              // FIN + binary, 125 (7-bit)
        new object[] { new byte[] { 0x81, 0xFE, 0x00, 0x7E, 0x37, 0xFA, 0x21, 0x3D }, true, (int)Opcode.Text, 126L, false },    // 126 (16-bit)
        new object[] { new byte[] { 0x81, 0xFE, 0x03, 0xE8, 0x37, 0xFA, 0x21, 0x3D }, true, (int)Opcode.Text, 1000L, false },   // exactly max 1000
        new object[] { new byte[] { 0x82, 0xFF, 0, 0, 0, 0, 0, 0, 0x00, 0x7E, 0x37, 0xFA, 0x21, 0x3D }, true, (int)Opcode.Binary, 126L, false }, // 126 in 64-bit form (not minimal, accepted)
        new object[] { new byte[] { 0x01, 0x83, 0x37, 0xFA, 0x21, 0x3D }, false, (int)Opcode.Text, 3L, false },                 // text start without FIN
        new object[] { new byte[] { 0x00, 0x83, 0x37, 0xFA, 0x21, 0x3D }, false, (int)Opcode.Continuation, 3L, true },          // continuation, message open
        new object[] { new byte[] { 0x80, 0x80, 0x37, 0xFA, 0x21, 0x3D }, true, (int)Opcode.Continuation, 0L, true },           // FIN + empty continuation
        new object[] { new byte[] { 0x89, 0xFD, 0x37, 0xFA, 0x21, 0x3D }, true, (int)Opcode.Ping, 125L, false },                // ping, 125 bytes
        new object[] { new byte[] { 0x89, 0x80, 0x37, 0xFA, 0x21, 0x3D }, true, (int)Opcode.Ping, 0L, true },                   // ping between fragments
        new object[] { new byte[] { 0x8A, 0x82, 0x37, 0xFA, 0x21, 0x3D }, true, (int)Opcode.Pong, 2L, false },                  // pong
        new object[] { new byte[] { 0x88, 0x82, 0x37, 0xFA, 0x21, 0x3D }, true, (int)Opcode.Close, 2L, true },                  // close inside a fragmented message
    ];

    [TestCaseSource(nameof(ValidHeaders))]
    public void A_valid_header_is_read_whole_and_every_prefix_needs_more_data(
        byte[] header, bool fin, int opcode, long length, bool messageOpen)
    {
        for (int prefix = 0; prefix < header.Length; prefix++)
            Parse(header[..prefix], messageOpen).Status.Should().Be(ParseStatus.NeedMoreData, $"prefix {prefix}");

        byte[] withPayload = [.. header, 0xAA, 0xBB];
        ParseStatus status = FrameParser.TryParseHeader(withPayload, messageOpen, 0, MaxMessage,
            out FrameHeader parsed, out int headerLength, out _);

        status.Should().Be(ParseStatus.Complete);
        headerLength.Should().Be(header.Length);
        parsed.Should().Be(new FrameHeader(fin, (Opcode)opcode, true, length, 0x3D21FA37));
    }

    private static (ParseStatus Status, int Code) Parse(byte[] input, bool messageOpen, long messageLength = 0)
    {
        ParseStatus status = FrameParser.TryParseHeader(input, messageOpen, messageLength, MaxMessage,
            out _, out int headerLength, out CloseCode error);
        if (status != ParseStatus.Complete)
            headerLength.Should().Be(0, "nothing is consumed unless the header is complete");
        return (status, (int)error);
    }
}
