using System.Text;

namespace RawRelay.Tests.Infrastructure;

/// <summary>A frame as received from the relay.</summary>
internal sealed record WsFrame(bool Fin, int Rsv, int Opcode, bool Masked, byte[] Payload)
{
    public const int Continuation = 0, Text = 1, Binary = 2, Close = 8, Ping = 9, Pong = 10;

    /// <summary>The frame's bytes exactly as they came off the wire.</summary>
    public byte[] Wire { get; init; } = [];

    public string Text8 => Encoding.UTF8.GetString(Payload);

    /// <summary>The close code of a close frame (1005 when it has none).</summary>
    public int CloseCode => Payload.Length >= 2 ? (Payload[0] << 8) | Payload[1] : 1005;

    public string CloseReason => Payload.Length > 2 ? Encoding.UTF8.GetString(Payload, 2, Payload.Length - 2) : "";

    public override string ToString() => $"frame(fin={Fin}, op={Opcode}, {Payload.Length} bytes)";
}

/// <summary>Builds client frames byte for byte, valid or deliberately broken.</summary>
internal static class ClientFrames
{
    private static readonly byte[] DefaultMask = [0x37, 0xFA, 0x21, 0x3D];

    /// <summary>
    /// A client frame: <paramref name="rsv"/> goes into bits 4-6 of byte 0; masked with a fixed key unless
    /// <paramref name="masked"/> is false; the length in the shortest form unless <paramref name="lengthForm"/>
    /// (7, 16 or 64) forces another.
    /// </summary>
    public static byte[] Build(int opcode, ReadOnlySpan<byte> payload, bool fin = true, bool masked = true,
        int rsv = 0, int lengthForm = 0, byte[]? mask = null)
    {
        mask ??= DefaultMask;
        var frame = new List<byte> { (byte)((fin ? 0x80 : 0) | (rsv << 4) | opcode) };
        int form = lengthForm != 0 ? lengthForm : payload.Length <= 125 ? 7 : payload.Length <= 65535 ? 16 : 64;
        byte maskBit = masked ? (byte)0x80 : (byte)0;
        switch (form)
        {
            case 7:
                frame.Add((byte)(maskBit | payload.Length));
                break;
            case 16:
                frame.Add((byte)(maskBit | 126));
                frame.Add((byte)(payload.Length >> 8));
                frame.Add((byte)payload.Length);
                break;
            default:
                frame.Add((byte)(maskBit | 127));
                for (int shift = 56; shift >= 0; shift -= 8)
                    frame.Add((byte)((long)payload.Length >> shift));
                break;
        }

        if (masked)
            frame.AddRange(mask);
        for (int i = 0; i < payload.Length; i++)
            frame.Add(masked ? (byte)(payload[i] ^ mask[i % 4]) : payload[i]);
        return frame.ToArray();
    }

    public static byte[] Text(string text, bool fin = true) => Build(WsFrame.Text, Encoding.UTF8.GetBytes(text), fin);

    public static byte[] Close(int code, string reason = "")
    {
        byte[] reasonBytes = Encoding.UTF8.GetBytes(reason);
        var payload = new byte[2 + reasonBytes.Length];
        payload[0] = (byte)(code >> 8);
        payload[1] = (byte)code;
        reasonBytes.CopyTo(payload, 2);
        return Build(WsFrame.Close, payload);
    }
}

/// <summary>
/// The exact bytes a conforming server sends for a frame (RFC 6455 §5.2): FIN set, RSV clear, unmasked,
/// shortest length encoding. Written here independently of the product's FrameWriter.
/// </summary>
internal static class ServerFrames
{
    public static byte[] Expected(int opcode, ReadOnlySpan<byte> payload)
    {
        var frame = new List<byte> { (byte)(0x80 | opcode) };
        if (payload.Length <= 125)
        {
            frame.Add((byte)payload.Length);
        }
        else if (payload.Length <= 0xFFFF)
        {
            frame.AddRange([126, (byte)(payload.Length >> 8), (byte)payload.Length]);
        }
        else
        {
            frame.Add(127);
            for (int shift = 56; shift >= 0; shift -= 8)
                frame.Add((byte)((long)payload.Length >> shift));
        }

        frame.AddRange(payload.ToArray());
        return frame.ToArray();
    }

    /// <summary>A close frame with a code and no reason.</summary>
    public static byte[] Close(int code) => Expected(WsFrame.Close, [(byte)(code >> 8), (byte)code]);
}
