namespace RawRelay.Tests.Fuzz;

/// <summary>How a client's byte stream ends, as far as its bytes go.</summary>
internal enum StreamEnd
{
    /// <summary>Nothing decided yet: the stream stops inside a frame (or between frames).</summary>
    NeedMoreData,

    /// <summary>A valid close frame came; the relay answers with <see cref="StreamVerdict.Code"/>.</summary>
    CloseReceived,

    /// <summary>The client broke the protocol; the relay closes with <see cref="StreamVerdict.Code"/>.</summary>
    Failed,
}

/// <summary>
/// The model's verdict on a client's stream: how it ends, the close code the relay sends, and what the
/// relay sends before that with <c>--echo</c> (a pong per ping, each complete message echoed).
/// </summary>
internal sealed record StreamVerdict(StreamEnd End, int Code, IReadOnlyList<(int Opcode, byte[] Payload)> Replies, int Messages, int Pings, int Pongs);

/// <summary>
/// An independent reference of what the relay's WebSocket endpoint makes of the bytes a client sends after
/// the handshake, written from SPEC.md ("Frames", "Close") and RFC 6455 §5, deliberately simple (the whole
/// stream at once, a list for the message) and sharing no code with RawRelay.WebSockets: the oracle of the
/// frame fuzzers. Failures of the frame header are decided by the first bytes that decide them (all are
/// 1002), a message over <c>--max-message</c> (1009) as soon as a header says so, text that is not UTF-8
/// (1007) as soon as its bytes so far can no longer begin valid UTF-8; a control frame is judged once whole.
/// Thread-safe (static, pure).
/// </summary>
internal static class WebSocketStreamModel
{
    public const int Continuation = 0, Text = 1, Binary = 2, Close = 8, Ping = 9, Pong = 10;

    /// <summary>Bytes that complete any frame header (2 + 8 + 4), for decoders that judge a header once it is whole.</summary>
    public const int LongestHeader = 14;

    public static StreamVerdict Judge(byte[] stream, long maxMessage)
    {
        var replies = new List<(int, byte[])>();
        int messages = 0, pings = 0, pongs = 0;
        bool open = false;                      // a fragmented message is under way
        int messageOpcode = 0;
        var message = new List<byte>();
        int at = 0;

        while (true)
        {
            if (at >= stream.Length)
                return End(StreamEnd.NeedMoreData, 0);
            byte b0 = stream[at];
            bool fin = (b0 & 0x80) != 0;
            int rsv = (b0 >> 4) & 7;
            int opcode = b0 & 0x0F;
            bool control = opcode >= 8;
            if (rsv != 0)
                return End(StreamEnd.Failed, 1002);                 // no extension was negotiated
            if (opcode is not (Continuation or Text or Binary or Close or Ping or Pong))
                return End(StreamEnd.Failed, 1002);                 // a reserved opcode
            if (control && !fin)
                return End(StreamEnd.Failed, 1002);                 // control frames are not fragmented
            if (opcode == Continuation && !open)
                return End(StreamEnd.Failed, 1002);                 // nothing to continue
            if (opcode is Text or Binary && open)
                return End(StreamEnd.Failed, 1002);                 // a new message inside a fragmented one

            if (at + 1 >= stream.Length)
                return End(StreamEnd.NeedMoreData, 0);
            byte b1 = stream[at + 1];
            if ((b1 & 0x80) == 0)
                return End(StreamEnd.Failed, 1002);                 // client frames are masked
            int length7 = b1 & 0x7F;
            if (control && length7 > 125)
                return End(StreamEnd.Failed, 1002);                 // control frames carry at most 125 bytes
            int lengthBytes = length7 == 126 ? 2 : length7 == 127 ? 8 : 0;
            if (lengthBytes == 8 && at + 2 < stream.Length && (stream[at + 2] & 0x80) != 0)
                return End(StreamEnd.Failed, 1002);                 // a 64-bit length has its top bit clear
            if (at + 2 + lengthBytes > stream.Length)
                return End(StreamEnd.NeedMoreData, 0);
            ulong length = (ulong)length7;
            if (lengthBytes > 0)
            {
                length = 0;
                for (int i = 0; i < lengthBytes; i++)
                    length = (length << 8) | stream[at + 2 + i];
            }

            if (!control && (ulong)(opcode == Continuation ? message.Count : 0) + length > (ulong)maxMessage)
                return End(StreamEnd.Failed, 1009);
            int maskAt = at + 2 + lengthBytes;
            if (maskAt + 4 > stream.Length)
                return End(StreamEnd.NeedMoreData, 0);
            int start = maskAt + 4;
            int available = (int)Math.Min((long)length, stream.Length - start);
            byte[] payload = new byte[available];
            for (int i = 0; i < available; i++)
                payload[i] = (byte)(stream[start + i] ^ stream[maskAt + (i % 4)]);

            if (!control)
            {
                if (opcode != Continuation)
                {
                    open = true;
                    messageOpcode = opcode;
                    message.Clear();
                }

                message.AddRange(payload);
                if (messageOpcode == Text && !IsUtf8Prefix(message))
                    return End(StreamEnd.Failed, 1007);
                if ((ulong)available < length)
                    return End(StreamEnd.NeedMoreData, 0);
                if (fin)
                {
                    if (messageOpcode == Text && !System.Text.Unicode.Utf8.IsValid([.. message]))
                        return End(StreamEnd.Failed, 1007);         // it ends inside a character
                    messages++;
                    replies.Add((messageOpcode, message.ToArray()));
                    open = false;
                }
            }
            else
            {
                if ((ulong)available < length)
                    return End(StreamEnd.NeedMoreData, 0);
                switch (opcode)
                {
                    case Ping:
                        pings++;
                        replies.Add((Pong, payload));               // also in the middle of a fragmented message
                        break;
                    case Pong:
                        pongs++;                                    // unsolicited: ignored
                        break;
                    default:
                        if (payload.Length == 0)
                            return End(StreamEnd.CloseReceived, 1000);
                        if (payload.Length == 1)
                            return End(StreamEnd.Failed, 1002);
                        int code = (payload[0] << 8) | payload[1];
                        if (!IsCloseCode(code))
                            return End(StreamEnd.Failed, 1002);
                        if (!System.Text.Unicode.Utf8.IsValid(payload.AsSpan(2)))
                            return End(StreamEnd.Failed, 1007);
                        return End(StreamEnd.CloseReceived, code);
                }
            }

            at = start + (int)length;
        }

        StreamVerdict End(StreamEnd end, int code) => new(end, code, replies, messages, pings, pongs);
    }

    /// <summary>A code a close frame may carry (SPEC): 1000-1003, 1007-1014, 3000-4999.</summary>
    public static bool IsCloseCode(int code) => code is (>= 1000 and <= 1003) or (>= 1007 and <= 1014) or (>= 3000 and <= 4999);

    /// <summary>
    /// Whether some continuation can still make these bytes valid UTF-8: each sequence is one of the
    /// well-formed forms of Unicode's Table 3-7, the last one possibly cut short.
    /// </summary>
    public static bool IsUtf8Prefix(IReadOnlyList<byte> bytes)
    {
        int i = 0;
        while (i < bytes.Count)
        {
            byte lead = bytes[i];
            (int count, byte low, byte high) = lead switch
            {
                <= 0x7F => (1, (byte)0, (byte)0),
                >= 0xC2 and <= 0xDF => (2, (byte)0x80, (byte)0xBF),
                0xE0 => (3, (byte)0xA0, (byte)0xBF),
                >= 0xE1 and <= 0xEC or 0xEE or 0xEF => (3, (byte)0x80, (byte)0xBF),
                0xED => (3, (byte)0x80, (byte)0x9F),            // no surrogates
                0xF0 => (4, (byte)0x90, (byte)0xBF),
                >= 0xF1 and <= 0xF3 => (4, (byte)0x80, (byte)0xBF),
                0xF4 => (4, (byte)0x80, (byte)0x8F),            // nothing past U+10FFFF
                _ => (0, (byte)0, (byte)0),                     // 0x80-0xC1, 0xF5-0xFF never lead
            };
            if (count == 0)
                return false;
            for (int j = 1; j < count; j++)
            {
                if (i + j >= bytes.Count)
                    return true;                                // cut short: it may still be completed
                byte next = bytes[i + j];
                if (j == 1 ? next < low || next > high : next is < 0x80 or > 0xBF)
                    return false;
            }

            i += count;
        }

        return true;
    }
}
