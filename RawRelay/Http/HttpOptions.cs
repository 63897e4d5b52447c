namespace RawRelay.Http;

/// <summary>What the TCP listener's handler needs to know of the relay's options. Immutable.</summary>
internal sealed record HttpOptions
{
    public string Path { get; init; } = "/websocket";
    public int HandshakeTimeout { get; init; } = 10;
    public int MaxConnections { get; init; } = 100_000;
    public bool TrustProxy { get; init; }
}
