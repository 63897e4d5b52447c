namespace RawRelay.WebSockets;

/// <summary>What <see cref="FrameDecoder.Decode"/> stopped at.</summary>
internal enum DecodeStatus
{
    /// <summary>Everything that could be decoded was; feed the unconsumed rest again with more bytes.</summary>
    NeedMoreData,

    /// <summary>The client sent a valid close frame; <see cref="FrameDecoder.CloseCode"/> holds its code.</summary>
    CloseReceived,

    /// <summary>The client broke the protocol; <see cref="FrameDecoder.CloseCode"/> is what to answer.</summary>
    Failed,
}

/// <summary>
/// Incremental decoder of the client-to-server byte stream of one WebSocket connection (RFC 6455 §5).
/// It works over any split of the stream, unmasks payloads in place, checks text as UTF-8 across
/// fragments, and never allocates: payload bytes are handed to an <see cref="IFrameHandler"/> as they
/// arrive. A mutable struct embedded in its connection; not thread-safe.
/// </summary>
internal struct FrameDecoder
{
    /// <summary>A control frame is decoded only when all of it is buffered: this many bytes at most.</summary>
    public const int MaxControlFrameLength = FrameHeader.MaxLength + FrameParser.MaxControlPayload;

    private readonly long _maxMessage;
    private uint _frameMaskKey;
    private bool _frameFin;
    private long _frameRemaining;
    private int _maskOffset;
    private bool _inFrame;
    private bool _messageOpen;
    private Opcode _messageOpcode;
    private long _messageLength;
    private Utf8Validator _utf8;

    public FrameDecoder(long maxMessage)
    {
        _maxMessage = maxMessage;
    }

    /// <summary>The code of the close frame received, or the code to fail the connection with.</summary>
    public CloseCode CloseCode { get; private set; }

    /// <summary>The code in the client's close frame; <see cref="CloseCode.NoStatusReceived"/> when it held none.</summary>
    public CloseCode ReceivedCloseCode { get; private set; }

    /// <summary>True while part of a frame or of a fragmented message has been read.</summary>
    public readonly bool IsMidMessage => _inFrame || _messageOpen;

    /// <summary>
    /// Decodes as much of <paramref name="input"/> as it can. Bytes up to <paramref name="consumed"/> are
    /// done with (data payloads are unmasked in place before they are handed over).
    /// </summary>
    public DecodeStatus Decode(Span<byte> input, IFrameHandler handler, out int consumed)
    {
        consumed = 0;
        while (true)
        {
            if (!_inFrame)
            {
                ParseStatus status = FrameParser.TryParseHeader(
                    input[consumed..], _messageOpen, _messageOpen ? _messageLength : 0, _maxMessage,
                    out FrameHeader header, out int headerLength, out CloseCode error);
                if (status == ParseStatus.NeedMoreData)
                    return DecodeStatus.NeedMoreData;
                if (status == ParseStatus.Invalid)
                    return Fail(error);

                if (header.Opcode.IsControl())
                {
                    int frameLength = headerLength + (int)header.PayloadLength;
                    if (input.Length - consumed < frameLength)
                        return DecodeStatus.NeedMoreData;
                    Span<byte> payload = input.Slice(consumed + headerLength, (int)header.PayloadLength);
                    Masking.Apply(payload, header.MaskKey, 0);
                    consumed += frameLength;
                    if (header.Opcode == Opcode.Close)
                        return OnClose(payload);
                    if (header.Opcode == Opcode.Ping)
                        handler.OnPing(payload);
                    else
                        handler.OnPong(payload);
                    continue;
                }

                consumed += headerLength;
                _frameMaskKey = header.MaskKey;
                _frameFin = header.Fin;
                _frameRemaining = header.PayloadLength;
                _maskOffset = 0;
                _inFrame = true;
                if (header.Opcode != Opcode.Continuation)
                {
                    _messageOpen = true;
                    _messageOpcode = header.Opcode;
                    _messageLength = 0;
                    _utf8 = default;
                }
            }

            int take = (int)Math.Min(_frameRemaining, input.Length - consumed);
            if (take > 0)
            {
                Span<byte> chunk = input.Slice(consumed, take);
                _maskOffset = Masking.Apply(chunk, _frameMaskKey, _maskOffset);
                if (_messageOpcode == Opcode.Text && !_utf8.Append(chunk))
                    return Fail(CloseCode.InvalidPayloadData);          // §8.1: fail as soon as invalid
                handler.OnMessageData(chunk);
                consumed += take;
                _frameRemaining -= take;
                _messageLength += take;
            }

            if (_frameRemaining > 0)
                return DecodeStatus.NeedMoreData;

            _inFrame = false;
            if (_frameFin)
            {
                if (_messageOpcode == Opcode.Text && !_utf8.IsComplete)
                    return Fail(CloseCode.InvalidPayloadData);          // message ends mid-character
                _messageOpen = false;
                handler.OnMessageEnd(_messageOpcode, _messageLength);
            }
        }
    }

    private DecodeStatus OnClose(ReadOnlySpan<byte> payload)
    {
        if (payload.Length == 0)
        {
            CloseCode = CloseCode.NormalClosure;                        // SPEC: answer 1000 when none was sent
            ReceivedCloseCode = CloseCode.NoStatusReceived;
            return DecodeStatus.CloseReceived;
        }

        if (payload.Length == 1)
            return Fail(CloseCode.ProtocolError);                       // §5.5.1: code is two bytes
        int code = (payload[0] << 8) | payload[1];
        if (!CloseCodes.IsValidOnWire(code))
            return Fail(CloseCode.ProtocolError);                       // §7.4.1
        if (!Utf8Validator.IsValid(payload[2..]))
            return Fail(CloseCode.InvalidPayloadData);                  // §5.5.1: reason is UTF-8
        CloseCode = (CloseCode)code;
        ReceivedCloseCode = CloseCode;
        return DecodeStatus.CloseReceived;
    }

    private DecodeStatus Fail(CloseCode code)
    {
        CloseCode = code;
        return DecodeStatus.Failed;
    }
}
