using System.Text;

namespace RawRelay.Tests.Infrastructure;

/// <summary>One rawrelay.v1 message: its header line's stream and position, then its payload.</summary>
internal sealed record V1Message(string Stream, string Epoch, long Offset, byte[] Payload, int Opcode)
{
    public string Text => Encoding.UTF8.GetString(Payload);

    public string Position => $"{Epoch}:{Offset}";

    /// <summary>Parses a data frame of a v1 connection: <c>!reset</c> notices come back with <see cref="IsReset"/>.</summary>
    public static V1Message Parse(WsFrame frame)
    {
        byte[] bytes = frame.Payload;
        if (frame.Opcode == WsFrame.Text && bytes.AsSpan().StartsWith("!reset "u8))
        {
            string[] words = Encoding.ASCII.GetString(bytes).Split(' ');
            string[] position = words[2].Split(':');
            return new V1Message(words[1], position[0], long.Parse(position[1], System.Globalization.CultureInfo.InvariantCulture), [], -1);
        }

        int lf = Array.IndexOf(bytes, (byte)'\n');
        if (lf < 0)
            throw new InvalidDataException("a v1 message without a header line: " + Encoding.UTF8.GetString(bytes));
        string header = Encoding.ASCII.GetString(bytes, 0, lf);
        int space = header.IndexOf(' ');
        string[] at = header[(space + 1)..].Split(':');
        return new V1Message(header[..space], at[0], long.Parse(at[1], System.Globalization.CultureInfo.InvariantCulture), bytes[(lf + 1)..], frame.Opcode);
    }

    /// <summary>True for a <c>!reset &lt;stream&gt; &lt;position&gt;</c> notice.</summary>
    public bool IsReset => Opcode == -1;
}

/// <summary>Connecting with rawrelay.v1, and reading its messages. Thread-safe (static).</summary>
internal static class V1Client
{
    public const string Offer = "Sec-WebSocket-Protocol: rawrelay.v1\r\n";

    /// <summary>A v1 connection of <paramref name="id"/> on <paramref name="channels"/>, resuming from <paramref name="since"/> (stream, position).</summary>
    public static Task<RawWebSocketClient> ConnectAsync(int port, string id, CancellationToken ct, string[]? channels = null,
        (string Stream, string Position)[]? since = null)
    {
        string query = string.Concat((channels ?? []).Select(c => "&channel=" + Uri.EscapeDataString(c)))
            + string.Concat((since ?? []).Select(s => "&since=" + Uri.EscapeDataString(s.Stream) + "%20" + s.Position));
        return RawWebSocketClient.ConnectAsync(port, id, ct, extraHeaders: Offer, query: query);
    }

    public static async Task<V1Message> ReceiveAsync(this RawWebSocketClient client, CancellationToken ct) =>
        V1Message.Parse(await client.ReceiveDataFrameAsync(ct).WithTimeout());
}
