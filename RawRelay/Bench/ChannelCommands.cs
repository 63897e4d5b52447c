using System.Text;

namespace RawRelay.Bench;

/// <summary>
/// The PUBLISH lines of the channel scenarios and the tag their payloads carry: channel k of prefix p is
/// <c>p&lt;k&gt;</c>, and a payload starts with <c>p&lt;k&gt;.&lt;seq&gt;.</c> (then 'x' up to
/// <c>--payload-bytes</c>), so a client can tell which channel a message was published to and its place
/// in that channel's sequence. Pure; thread-safe (static).
/// </summary>
internal static class ChannelCommands
{
    /// <summary>
    /// <paramref name="perChannel"/> rounds of one <c>PUBLISH MESSAGE</c> per channel (p0 .. p&lt;C-1&gt;,
    /// then again), sequence numbers from <paramref name="firstSeq"/>: the pipelined batch of chanfanout and storm.
    /// </summary>
    public static byte[] Interleaved(string prefix, int channels, int perChannel, int firstSeq, int payloadBytes)
    {
        var commands = new StringBuilder(channels * perChannel * (payloadBytes + 32));
        for (int round = 0; round < perChannel; round++)
        {
            for (int k = 0; k < channels; k++)
            {
                commands.Append("PUBLISH MESSAGE ").Append(prefix).Append(k).Append(' ');
                AppendPayload(commands, prefix, k, firstSeq + round, payloadBytes);
                commands.Append('\n');
            }
        }

        return BenchContext.Ascii(commands);
    }

    /// <summary>Appends the tag <c>p&lt;k&gt;.&lt;seq&gt;.</c> and 'x' until the payload has <paramref name="payloadBytes"/> bytes.</summary>
    public static void AppendPayload(StringBuilder line, string prefix, int channel, int seq, int payloadBytes)
    {
        int start = line.Length;
        line.Append(prefix).Append(channel).Append('.').Append(seq).Append('.');
        line.Append('x', Math.Max(0, payloadBytes - (line.Length - start)));
    }

    /// <summary>Reads the tag at the start of <paramref name="payload"/>; false when there is none.</summary>
    public static bool TryReadTag(ReadOnlySpan<byte> payload, ReadOnlySpan<byte> prefix, out int channel, out int seq)
    {
        channel = seq = -1;
        if (!payload.StartsWith(prefix))
            return false;
        payload = payload[prefix.Length..];
        if (!TryReadNumber(ref payload, out channel) || payload.IsEmpty || payload[0] != (byte)'.')
            return false;
        payload = payload[1..];
        return TryReadNumber(ref payload, out seq) && !payload.IsEmpty && payload[0] == (byte)'.';
    }

    /// <summary>How many clients of <paramref name="pool"/> are open on each channel (client i on i mod C).</summary>
    public static int[] OpenPerChannel(ClientPool pool, int clients, int channels)
    {
        int[] open = new int[channels];
        for (int i = 0; i < clients; i++)
        {
            if (pool.IsOpenAt(i))
                open[i % channels]++;
        }

        return open;
    }

    /// <summary>The reply each of <paramref name="commands"/> interleaved PUBLISH should get: OK and the clients open on its channel.</summary>
    public static long[] ReplyCounts(int[] openPerChannel, int commands)
    {
        long[] want = new long[commands];
        for (int j = 0; j < commands; j++)
            want[j] = openPerChannel[j % openPerChannel.Length];
        return want;
    }

    private static bool TryReadNumber(ref ReadOnlySpan<byte> text, out int value)
    {
        value = 0;
        int digits = 0;
        while (digits < text.Length && digits < 9 && text[digits] is >= (byte)'0' and <= (byte)'9')
            value = value * 10 + (text[digits++] - '0');
        text = text[digits..];
        return digits > 0;
    }
}
