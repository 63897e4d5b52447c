namespace RawRelay.Hub;

/// <summary>
/// The channels one connection is on, each with the connection's index in that channel's members. Small:
/// an array that grows by doubling (most connections are on no channel and hold none). A mutable struct
/// in <see cref="HubSlots"/>; guarded by the connection object's monitor, because a channel that moves a
/// member in its list updates that member's index under the channel's lock, not the member's id's.
/// </summary>
internal struct ChannelSlots
{
    private (Channel Channel, int Index)[]? _slots;

    public int Count { get; private set; }

    /// <summary>The connection's index in <paramref name="channel"/>, or -1 when it is not on it.</summary>
    public readonly int IndexIn(Channel channel)
    {
        for (int i = 0; i < Count; i++)
        {
            if (ReferenceEquals(_slots![i].Channel, channel))
                return _slots[i].Index;
        }

        return -1;
    }

    /// <summary>Records the index in <paramref name="channel"/>; -1 takes the channel off the list.</summary>
    public void Set(Channel channel, int index)
    {
        for (int i = 0; i < Count; i++)
        {
            if (!ReferenceEquals(_slots![i].Channel, channel))
                continue;
            if (index >= 0)
            {
                _slots[i].Index = index;
            }
            else
            {
                _slots[i] = _slots[--Count];
                _slots[Count] = default;
                if (Count == 0)
                    _slots = null;
            }

            return;
        }

        if (index < 0)
            return;
        if (_slots is null)
            _slots = new (Channel, int)[1];
        else if (Count == _slots.Length)
            Array.Resize(ref _slots, _slots.Length * 2);
        _slots[Count++] = (channel, index);
    }

    /// <summary>The channels, as of now.</summary>
    public readonly Channel[] ToArray()
    {
        var channels = new Channel[Count];
        for (int i = 0; i < Count; i++)
            channels[i] = _slots![i].Channel;
        return channels;
    }
}
