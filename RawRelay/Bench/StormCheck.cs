using System.Text;

namespace RawRelay.Bench;

/// <summary>
/// The storm scenario's check (wsload storm's): client i reads v1 messages of stream <c>st&lt;i mod C&gt;</c>,
/// each with its header line <c>st&lt;k&gt; &lt;epoch&gt;:&lt;offset&gt;</c>. The first message a client ever
/// sees fixes its epoch and where its offsets stand against the payloads' sequence numbers; after that
/// every message must be the next offset (a repeat is a duplicate, a jump a gap), in that epoch, naming its
/// channel, with offset - seq unchanged (so the right message sits at each offset), until the phase's M.
/// A <c>!reset</c> fails the client. The positions outlive the phase: <see cref="NextPhase"/> checks the
/// reconnect against them, and <see cref="SinceQuery"/> is what the client resumes from.
/// Thread-safe as <see cref="DeliveryCheck"/> is.
/// </summary>
internal sealed class StormCheck : DeliveryCheck
{
    public const string Prefix = "st";

    private readonly int _channels;
    private readonly int _messages;
    private readonly byte[]?[] _epoch;
    private readonly long[] _last;
    private readonly long[] _delta;
    private readonly int[] _got;
    private readonly byte[][] _streams;

    /// <summary>The live phase: nobody has a position yet.</summary>
    public StormCheck(int clients, int channels, int messages)
        : this(channels, messages, new byte[clients][], new long[clients], new long[clients])
    {
    }

    private StormCheck(int channels, int messages, byte[]?[] epoch, long[] last, long[] delta)
        : base(epoch.Length)
    {
        _channels = channels;
        _messages = messages;
        _epoch = epoch;
        _last = last;
        _delta = delta;
        _got = new int[epoch.Length];
        _streams = [.. Enumerable.Range(0, channels).Select(k => Encoding.ASCII.GetBytes(Prefix + k))];
    }

    /// <summary>A check of the next phase, which goes on from the positions this one reached.</summary>
    public StormCheck NextPhase()
    {
        var next = new StormCheck(_channels, _messages, _epoch, _last, _delta);
        for (int i = 0; i < _epoch.Length; i++)
        {
            if (_epoch[i] is null)
                next.Fail(i, "clients without a position to resume from");
        }

        return next;
    }

    /// <summary>Client i's query: its channel, and (once it has a position) <c>since=st&lt;k&gt;%20&lt;epoch&gt;:&lt;offset&gt;</c>.</summary>
    public string SinceQuery(int client)
    {
        int k = client % _channels;
        return _epoch[client] is { } epoch
            ? $"&channel={Prefix}{k}&since={Prefix}{k}%20{Encoding.ASCII.GetString(epoch)}:{_last[client]}"
            : $"&channel={Prefix}{k}";
    }

    protected override Step Inspect(int client, ReadOnlySpan<byte> prefix, out string? problem)
    {
        problem = Judge(client, prefix);
        if (problem is not null)
            return Step.Problem;
        return ++_got[client] == _messages ? Step.Complete : Step.More;
    }

    private string? Judge(int client, ReadOnlySpan<byte> prefix)
    {
        if (V1HeaderLine.IsReset(prefix))
            return "!reset";
        if (!V1HeaderLine.TryParse(prefix, out V1HeaderLine header))
            return "bad header lines";
        if (!header.Stream.SequenceEqual(_streams[client % _channels]))
            return "messages of another stream";
        if (!ChannelCommands.TryReadTag(header.Payload, "st"u8, out int channel, out int seq) || channel != client % _channels)
            return "bad payloads";
        if (_epoch[client] is not { } epoch)
        {
            _epoch[client] = header.Epoch.ToArray();
            _last[client] = header.Offset;
            _delta[client] = header.Offset - seq;
            return null;
        }

        if (!header.Epoch.SequenceEqual(epoch))
            return "messages of another epoch";
        if (header.Offset <= _last[client])
            return "duplicates";
        if (header.Offset > _last[client] + 1)
            return "gaps";
        if (header.Offset - seq != _delta[client])
            return "wrong messages at their offset";
        _last[client] = header.Offset;
        return null;
    }
}
