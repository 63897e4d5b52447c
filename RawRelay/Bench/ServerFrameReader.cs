using RawRelay.WebSockets;

namespace RawRelay.Bench;

/// <summary>What a client of the bench is told about the frames it reads.</summary>
internal interface IServerFrameSink
{
    /// <summary>A whole data message arrived; <paramref name="prefix"/> holds its first bytes (up to <see cref="ServerFrameReader.PrefixBytes"/>).</summary>
    void OnMessage(ReadOnlySpan<byte> prefix);

    /// <summary>A ping arrived: answer with a pong carrying <paramref name="payload"/>.</summary>
    void OnPing(ReadOnlySpan<byte> payload);

    /// <summary>The server sent a close frame, or a frame no server may send.</summary>
    void OnEnd(string why);
}

/// <summary>
/// The bench client's side of RFC 6455 framing, byte by byte like the shared harness's <c>wsload</c>:
/// 2-, 4- and 10-byte headers, fragments, pings and close; it keeps only the first bytes of each
/// message: enough for the latency scenarios' time stamp, a channel tag, or a rawrelay.v1 header line
/// with the longest epoch (<c>st99 &lt;32 letters&gt;:&lt;offset&gt;</c> LF) and the tag after it.
/// A mutable struct embedded in its client; not thread-safe.
/// </summary>
internal struct ServerFrameReader
{
    public const int PrefixBytes = 96;
    private const int MaxControlPayload = 125;

    private HeaderBytes _header;
    private PrefixBuffer _prefix;
    private int _headerFilled;
    private int _headerNeeded;
    private long _remaining;
    private int _captured;
    private byte _opcodeAndFin;
    private bool _inPayload;
    private bool _inMessage;

    /// <summary>Feeds received bytes; calls <paramref name="sink"/> for every whole message, ping and close.</summary>
    public void Feed(ReadOnlySpan<byte> data, IServerFrameSink sink)
    {
        while (!data.IsEmpty)
        {
            if (!_inPayload)
            {
                _header[_headerFilled++] = data[0];
                data = data[1..];
                if (_headerFilled == 2)
                {
                    int length7 = _header[1] & 0x7F;
                    if ((_header[1] & 0x80) != 0)
                    {
                        sink.OnEnd("masked server frame");
                        return;
                    }

                    _headerNeeded = 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0);
                }

                if (_headerFilled >= 2 && _headerFilled == _headerNeeded)
                    StartPayload(sink);
                continue;
            }

            int take = (int)Math.Min(data.Length, _remaining);
            int keep = Math.Min(take, Math.Max(0, Capacity - _captured));
            data[..keep].CopyTo(_prefix[_captured..]);
            _captured += keep;
            data = data[take..];
            _remaining -= take;
            if (_remaining == 0)
                EndFrame(sink);
        }
    }

    private readonly Opcode Opcode => (Opcode)(_opcodeAndFin & 0x0F);

    private readonly bool Fin => (_opcodeAndFin & 0x80) != 0;

    private readonly int Capacity => IsControl ? MaxControlPayload : PrefixBytes;

    private readonly bool IsControl => ((int)Opcode & 0x8) != 0;

    private void StartPayload(IServerFrameSink sink)
    {
        long length = _header[1] & 0x7F;
        if (length == 126)
            length = (_header[2] << 8) | _header[3];
        else if (length == 127)
            length = (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(_header[2..10]);
        _opcodeAndFin = _header[0];
        _remaining = length;
        _headerFilled = 0;
        _inPayload = true;
        if (IsControl || !(Opcode == Opcode.Continuation && _inMessage))
            _captured = 0;                      // a continuation keeps the first fragment's prefix
        if (length == 0)
            EndFrame(sink);
    }

    private void EndFrame(IServerFrameSink sink)
    {
        _inPayload = false;
        switch (Opcode)
        {
            case Opcode.Ping:
                sink.OnPing(_prefix[..Math.Min(_captured, MaxControlPayload)]);
                _captured = 0;
                break;
            case Opcode.Pong:
                _captured = 0;
                break;
            case Opcode.Close:
                sink.OnEnd("server sent close");
                break;
            default:
                _inMessage = !Fin;
                if (Fin)
                    sink.OnMessage(_prefix[..Math.Min(_captured, PrefixBytes)]);
                break;
        }
    }

    [System.Runtime.CompilerServices.InlineArray(14)]
    private struct HeaderBytes
    {
        private byte _first;
    }

    [System.Runtime.CompilerServices.InlineArray(MaxControlPayload)]
    private struct PrefixBuffer
    {
        private byte _first;
    }
}
