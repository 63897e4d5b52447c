namespace RawRelay.Hub;

/// <summary>What happened (SPEC, What browsers say reaches PHP).</summary>
internal enum RelayEventKind : byte
{
    Open,
    Close,
    Message,
    Offline,
    Occupied,
    Vacated,

    /// <summary>A Pusher presence channel's user joined (Pusher's webhooks only: never on the event bus).</summary>
    MemberAdded,

    /// <summary>A Pusher presence channel's user left (Pusher's webhooks only).</summary>
    MemberRemoved,

    /// <summary>A Pusher client event (Pusher's webhooks only).</summary>
    ClientEvent,
}

/// <summary>
/// One event for the consumers of the relay's events (WATCH connections, the webhook): a connection opened or
/// closed, a client sent a message, an id went offline, a channel was occupied or vacated. Immutable once
/// published; shared by every consumer.
/// </summary>
internal sealed class RelayEvent
{
    /// <summary>Unique in the relay's life and beyond (a random prefix drawn at start, then a number).</summary>
    public required string EventId { get; init; }

    public required RelayEventKind Kind { get; init; }

    /// <summary>Unix time, in seconds with fractions.</summary>
    public required double Time { get; init; }

    /// <summary>The connection's handle (open, close, message).</summary>
    public string Handle { get; init; } = "";

    /// <summary>The connection's id (open, close, message), or the id that went offline.</summary>
    public string Id { get; init; } = "";

    /// <summary>The client's address as LIST shows it (open, close, message).</summary>
    public string Peer { get; init; } = "";

    /// <summary>The code of the first close frame sent or received, 1006 when there was none (close).</summary>
    public int Code { get; init; }

    /// <summary>Whether the client's message was binary (message).</summary>
    public bool Binary { get; init; }

    /// <summary>The client's message (message).</summary>
    public byte[] Payload { get; init; } = [];

    /// <summary>The channel (occupied, vacated).</summary>
    public string Channel { get; init; } = "";

    /// <summary>A Pusher client event's name (client_event).</summary>
    public string Name { get; init; } = "";
}
