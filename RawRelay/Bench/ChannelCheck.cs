namespace RawRelay.Bench;

/// <summary>
/// The channels scenario's check (wsload chanfanout's, made stricter): client i is on channel
/// <c>ch&lt;i mod C&gt;</c> and must get exactly that channel's messages, each once and in order, so the
/// tags of its payloads must read <c>ch&lt;k&gt;.0.</c>, <c>ch&lt;k&gt;.1.</c>, ... up to the channel's
/// count. In the latency phase each payload starts with a time stamp, which the check skips.
/// Thread-safe as <see cref="DeliveryCheck"/> is.
/// </summary>
internal sealed class ChannelCheck : DeliveryCheck
{
    public const string Prefix = "ch";

    private readonly int[] _perChannel;
    private readonly int[] _next;
    private readonly int _skip;

    /// <param name="clients">clients of the pool</param>
    /// <param name="perChannel">messages published to each channel</param>
    /// <param name="stamped">whether each payload starts with a <see cref="LatencyStamp"/></param>
    public ChannelCheck(int clients, int[] perChannel, bool stamped)
        : base(clients)
    {
        _perChannel = perChannel;
        _next = new int[clients];
        _skip = stamped ? LatencyStamp.Length : 0;
        for (int i = 0; i < clients; i++)
        {
            if (perChannel[i % perChannel.Length] == 0)
                CompleteAtStart(i);
        }
    }

    protected override Step Inspect(int client, ReadOnlySpan<byte> prefix, out string? problem)
    {
        problem = null;
        int own = client % _perChannel.Length;
        if (prefix.Length < _skip || !ChannelCommands.TryReadTag(prefix[_skip..], "ch"u8, out int channel, out int seq))
            problem = "messages without a channel tag";
        else if (channel != own)
            problem = "messages of another channel";
        else if (seq < _next[client])
            problem = "messages twice or out of order";
        else if (seq > _next[client])
            problem = "clients missing a message";
        if (problem is not null)
            return Step.Problem;
        return ++_next[client] == _perChannel[own] ? Step.Complete : Step.More;
    }
}
