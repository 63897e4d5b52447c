namespace RawRelay.WebSockets;

/// <summary>Close status codes of RFC 6455 §7.4.1 that the relay sends or checks.</summary>
internal enum CloseCode : ushort
{
    None = 0,
    NormalClosure = 1000,
    GoingAway = 1001,
    ProtocolError = 1002,
    UnsupportedData = 1003,
    /// <summary>Reserved: "no status received". Never sent on the wire.</summary>
    NoStatusReceived = 1005,
    /// <summary>Reserved: "closed without a close frame". Never sent on the wire.</summary>
    Abnormal = 1006,
    InvalidPayloadData = 1007,
    PolicyViolation = 1008,
    MessageTooBig = 1009,
    InternalError = 1011,
    /// <summary>"Try again later" (IANA registry): the relay is short of a shared resource for this client now.</summary>
    TryAgainLater = 1013,
}

internal static class CloseCodes
{
    /// <summary>
    /// Codes a peer may put in a close frame: 1000-1003 and 1007-1014 are defined or reserved for
    /// future definitions of RFC 6455 §7.4.1/§7.4.2 and the IANA registry, 3000-4999 are for libraries
    /// and applications. 1004-1006 and 1015 must never appear on the wire.
    /// </summary>
    public static bool IsValidOnWire(int code) =>
        code is (>= 1000 and <= 1003) or (>= 1007 and <= 1014) or (>= 3000 and <= 4999);
}
