using System.Text;
using RawRelay.Tests.Infrastructure;
using RawRelay.WebSockets;

namespace RawRelay.Tests.Codec;

/// <summary>
/// FrameDecoder over every split of the byte stream: the same events whatever the split, nothing lost
/// between calls, payloads unmasked in place, failures at the earliest byte.
/// </summary>
public sealed class FrameDecoderTests
{
    private const long MaxMessage = 300;

    /// <summary>A named client byte stream and the events it must produce, then the decoder's final status.</summary>
    public sealed class WireCase
    {
        internal WireCase(string name, byte[] bytes, string[] events, DecodeStatus final, int code = 0)
        {
            Name = name;
            Bytes = bytes;
            Events = events;
            Final = final;
            Code = code;
        }

        internal string Name { get; }
        internal byte[] Bytes { get; }
        internal string[] Events { get; }
        internal DecodeStatus Final { get; }
        internal int Code { get; }

        public override string ToString() => Name;
    }

    private static byte[] Concat(params byte[][] frames) => frames.SelectMany(f => f).ToArray();

    private static byte[] Bytes(int length, int seed = 1) => Enumerable.Range(0, length).Select(i => (byte)(i * 7 + seed)).ToArray();

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes);

    public static IEnumerable<WireCase> ValidStreams() =>
    [
        new("empty text", ClientFrames.Text(""), ["text:"], DecodeStatus.NeedMoreData),
        new("short text", ClientFrames.Text("héllo"), ["text:" + Hex(Encoding.UTF8.GetBytes("héllo"))], DecodeStatus.NeedMoreData),
        new("binary of 126 (16-bit length)", ClientFrames.Build(2, Bytes(126)), ["binary:" + Hex(Bytes(126))], DecodeStatus.NeedMoreData),
        new("two messages back to back", Concat(ClientFrames.Text("a"), ClientFrames.Build(2, [1, 2, 3])),
            ["text:61", "binary:010203"], DecodeStatus.NeedMoreData),
        new("fragmented text with a ping between fragments",
            Concat(ClientFrames.Build(1, "ab"u8, fin: false), ClientFrames.Build(9, "p"u8), ClientFrames.Build(0, "cd"u8)),
            ["ping:70", "text:61626364"], DecodeStatus.NeedMoreData),
        new("a UTF-8 character split across fragments",
            Concat(ClientFrames.Build(1, [0xF0, 0x9F], fin: false), ClientFrames.Build(0, [0x98, 0x80])),
            ["text:F09F9880"], DecodeStatus.NeedMoreData),
        new("empty fragments", Concat(ClientFrames.Build(2, [], fin: false), ClientFrames.Build(0, [], fin: false), ClientFrames.Build(0, [])),
            ["binary:"], DecodeStatus.NeedMoreData),
        new("pong of 125 bytes", ClientFrames.Build(10, Bytes(125)), ["pong:" + Hex(Bytes(125))], DecodeStatus.NeedMoreData),
        new("two messages whose sum is over max-message", Concat(ClientFrames.Build(2, Bytes(200)), ClientFrames.Build(2, Bytes(200, 3))),
            ["binary:" + Hex(Bytes(200)), "binary:" + Hex(Bytes(200, 3))], DecodeStatus.NeedMoreData),
        new("message of exactly max-message in 3 fragments",
            Concat(ClientFrames.Build(2, Bytes(100), fin: false), ClientFrames.Build(0, Bytes(100, 2), fin: false), ClientFrames.Build(0, Bytes(100, 3))),
            ["binary:" + Hex([.. Bytes(100), .. Bytes(100, 2), .. Bytes(100, 3)])], DecodeStatus.NeedMoreData),
        new("text then close 1000", Concat(ClientFrames.Text("x"), ClientFrames.Close(1000, "bye")), ["text:78"], DecodeStatus.CloseReceived, 1000),
        new("close without payload", ClientFrames.Build(8, []), [], DecodeStatus.CloseReceived, 1000),
        new("close 4999 with a 123-byte reason", ClientFrames.Close(4999, new string('r', 123)), [], DecodeStatus.CloseReceived, 4999),
    ];

    public static IEnumerable<WireCase> FailingStreams() =>
    [
        new("message of max-message + 1 over two fragments",
            Concat(ClientFrames.Build(2, Bytes(200), fin: false), ClientFrames.Build(0, Bytes(101))), [], DecodeStatus.Failed, 1009),
        new("continuation after a complete message",
            Concat(ClientFrames.Text("a"), ClientFrames.Build(0, "b"u8)), ["text:61"], DecodeStatus.Failed, 1002),
        new("invalid UTF-8 in the second fragment",
            Concat(ClientFrames.Build(1, "ok"u8, fin: false), ClientFrames.Build(0, [0xC0, 0x80])), [], DecodeStatus.Failed, 1007),
        new("text ending inside a character", ClientFrames.Build(1, [0x61, 0xE2, 0x82]), [], DecodeStatus.Failed, 1007),
        new("close with a one-byte payload", ClientFrames.Build(8, [0x03]), [], DecodeStatus.Failed, 1002),
        new("close 1005", ClientFrames.Close(1005), [], DecodeStatus.Failed, 1002),
        new("close with an invalid UTF-8 reason", ClientFrames.Build(8, [0x03, 0xE8, 0xFF]), [], DecodeStatus.Failed, 1007),
    ];

    [TestCaseSource(nameof(ValidStreams))]
    [TestCaseSource(nameof(FailingStreams))]
    public void The_stream_decodes_the_same_in_one_piece(WireCase stream)
    {
        var handler = new RecordingHandler();
        (DecodeStatus status, int code) = Feed([stream.Bytes], handler);
        handler.Events.Should().Equal(stream.Events);
        (status, code).Should().Be((stream.Final, stream.Code));
    }

    [TestCaseSource(nameof(ValidStreams))]
    [TestCaseSource(nameof(FailingStreams))]
    public void The_stream_decodes_the_same_split_at_every_position(WireCase stream)
    {
        for (int at = 0; at <= stream.Bytes.Length; at++)
        {
            var handler = new RecordingHandler();
            (DecodeStatus status, int code) = Feed([stream.Bytes[..at], stream.Bytes[at..]], handler);
            handler.Events.Should().Equal(stream.Events, $"split at {at}");
            (status, code).Should().Be((stream.Final, stream.Code), $"split at {at}");
        }
    }

    [TestCaseSource(nameof(ValidStreams))]
    [TestCaseSource(nameof(FailingStreams))]
    public void The_stream_decodes_the_same_one_byte_at_a_time(WireCase stream)
    {
        var handler = new RecordingHandler();
        (DecodeStatus status, int code) = Feed(stream.Bytes.Select(b => new[] { b }).ToArray(), handler);
        handler.Events.Should().Equal(stream.Events);
        (status, code).Should().Be((stream.Final, stream.Code));
    }

    [TestCaseSource(nameof(ValidStreams))]
    public void Every_prefix_of_a_valid_stream_needs_more_data_and_loses_nothing(WireCase stream)
    {
        for (int prefix = 0; prefix < stream.Bytes.Length; prefix++)
        {
            var decoder = new FrameDecoder(MaxMessage);
            var handler = new RecordingHandler();
            byte[] head = stream.Bytes[..prefix];
            decoder.Decode(head, handler, out int consumed).Should().Be(DecodeStatus.NeedMoreData, $"prefix {prefix}");

            // What was not consumed is handed back, untouched, together with the rest of the stream.
            stream.Bytes.AsSpan(consumed, prefix - consumed).SequenceEqual(head.AsSpan(consumed)).Should().BeTrue();
            byte[] rest = [.. stream.Bytes[consumed..]];
            DecodeStatus status = decoder.Decode(rest, handler, out int consumedRest);
            status.Should().Be(stream.Final, $"prefix {prefix}");
            if (status == DecodeStatus.NeedMoreData)
                consumedRest.Should().Be(rest.Length, "a valid stream is consumed to its end");
            handler.Events.Should().Equal(stream.Events, $"prefix {prefix}");
        }
    }

    [Test]
    public void Payload_bytes_are_unmasked_in_place_and_handed_over_from_the_input_buffer()
    {
        byte[] input = ClientFrames.Build(2, Bytes(40), mask: [0x11, 0x22, 0x33, 0x44]);
        var handler = new RecordingHandler { Input = input };
        var decoder = new FrameDecoder(MaxMessage);

        decoder.Decode(input, handler, out int consumed).Should().Be(DecodeStatus.NeedMoreData);

        consumed.Should().Be(input.Length);
        input[6..].Should().Equal(Bytes(40), "the payload was unmasked where it lay");
        handler.AllDataFromInput.Should().BeTrue("no payload was copied before it was handed over");
    }

    [Test]
    public void A_payload_arriving_in_pieces_is_handed_over_as_it_arrives()
    {
        byte[] frame = ClientFrames.Build(2, Bytes(100));
        var decoder = new FrameDecoder(MaxMessage);
        var handler = new RecordingHandler();

        decoder.Decode(frame[..50], handler, out int consumed).Should().Be(DecodeStatus.NeedMoreData);

        consumed.Should().Be(50, "the 6-byte header and the 44 payload bytes there are done with");
        handler.DataBytes.Should().Be(44);
        handler.Events.Should().BeEmpty("the message is not complete");
    }

    [Test]
    public void A_huge_announced_length_is_refused_before_any_payload_arrives()
    {
        var decoder = new FrameDecoder(long.MaxValue);
        var handler = new RecordingHandler();
        byte[] header = [0x82, 0xFF, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x37, 0xFA, 0x21, 0x3D]; // 2^44 bytes announced

        decoder.Decode(header, handler, out int consumed).Should().Be(DecodeStatus.NeedMoreData);

        consumed.Should().Be(header.Length, "the decoder streams the payload and keeps no buffer for it");
        decoder.IsMidMessage.Should().BeTrue();
    }

    [Test]
    public void Invalid_UTF_8_fails_at_the_byte_that_breaks_it_not_at_the_end_of_the_frame()
    {
        byte[] payload = [.. "valid "u8, 0xED, 0xA0, 0x80, .. "more text after"u8];   // a surrogate at 6-8
        byte[] frame = ClientFrames.Build(1, payload);
        var decoder = new FrameDecoder(MaxMessage);
        var handler = new RecordingHandler();
        int fed = 0;
        DecodeStatus status = DecodeStatus.NeedMoreData;
        byte[] pending = [];
        while (status == DecodeStatus.NeedMoreData)
        {
            pending = [.. pending, frame[fed++]];
            status = decoder.Decode(pending, handler, out int consumed);
            pending = pending[consumed..];
        }

        status.Should().Be(DecodeStatus.Failed);
        decoder.CloseCode.Should().Be(CloseCode.InvalidPayloadData);
        fed.Should().Be(6 + 6 + 2, "ED A0 can start no valid character: the 2-byte header, 4-byte mask, 6 ASCII bytes, ED, A0");
    }

    /// <summary>Feeds the chunks as the connection's receive loop does: the unconsumed rest goes first next time.</summary>
    private static (DecodeStatus Status, int Code) Feed(byte[][] chunks, RecordingHandler handler)
    {
        var decoder = new FrameDecoder(MaxMessage);
        byte[] pending = [];
        foreach (byte[] chunk in chunks)
        {
            pending = [.. pending, .. chunk];
            DecodeStatus status = decoder.Decode(pending, handler, out int consumed);
            if (status != DecodeStatus.NeedMoreData)
                return (status, (int)decoder.CloseCode);
            pending = pending[consumed..];
        }

        return (DecodeStatus.NeedMoreData, 0);
    }

    /// <summary>Writes each event as "kind:hex".</summary>
    private sealed class RecordingHandler : IFrameHandler
    {
        private readonly List<byte> _message = [];

        public List<string> Events { get; } = [];

        public byte[]? Input { get; init; }

        public bool AllDataFromInput { get; private set; } = true;

        public int DataBytes { get; private set; }

        public void OnMessageData(ReadOnlySpan<byte> payload)
        {
            if (Input is not null && !payload.Overlaps(Input))
                AllDataFromInput = false;
            DataBytes += payload.Length;
            _message.AddRange(payload.ToArray());
        }

        public void OnMessageEnd(Opcode opcode, long length)
        {
            length.Should().Be(_message.Count);
            Events.Add($"{opcode.ToString().ToLowerInvariant()}:{Convert.ToHexString(_message.ToArray())}");
            _message.Clear();
        }

        public void OnPing(ReadOnlySpan<byte> payload) => Events.Add("ping:" + Convert.ToHexString(payload));

        public void OnPong(ReadOnlySpan<byte> payload) => Events.Add("pong:" + Convert.ToHexString(payload));
    }
}
