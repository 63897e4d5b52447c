namespace RawRelay.Pusher;

/// <summary>The one Pusher app the relay serves (<c>--pusher-app &lt;app_id&gt;:&lt;key&gt;:&lt;secret&gt;</c>). Immutable.</summary>
internal sealed record PusherApp(string AppId, string Key, string Secret)
{
    /// <summary><c>app_id:key:secret</c>, each 1 to 200 characters of letters, digits, <c>-</c> and <c>_</c>; null when malformed.</summary>
    public static PusherApp? Parse(string text)
    {
        string[] parts = text.Split(':');
        if (parts.Length != 3 || !Array.TrueForAll(parts, IsWord))
            return null;
        return new PusherApp(parts[0], parts[1], parts[2]);
    }

    private static bool IsWord(string part) =>
        part.Length is >= 1 and <= 200 && part.AsSpan().IndexOfAnyExcept("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") < 0;
}

/// <summary>What the Pusher side of the relay is configured with. Immutable.</summary>
internal sealed record PusherOptions
{
    public required PusherApp App { get; init; }

    /// <summary><c>--pusher-client-events</c>: <c>client-</c> events on private and presence channels go to the channel's others.</summary>
    public bool ClientEvents { get; init; }

    /// <summary>Seconds of silence after which pusher-js pings (sent in <c>connection_established</c>).</summary>
    public int ActivityTimeout { get; init; } = 120;

    /// <summary>Channels one Pusher connection may be subscribed to (<c>--max-channels</c>).</summary>
    public int MaxChannels { get; init; } = 128;

    /// <summary>Largest event data, and largest message a client may send (<c>--max-message</c>).</summary>
    public long MaxMessage { get; init; } = 1024 * 1024;
}
