namespace RawRelay.Http;

/// <summary>What the handshake checks beyond RFC 6455: origins, tokens and how many channels a connection may ask for. Immutable; thread-safe.</summary>
internal sealed record HandshakePolicy(IReadOnlyList<string> AllowedOrigins, string? Secret, Func<long> UnixNow, int MaxChannels = 128)
{
    public static HandshakePolicy Open { get; } = new([], null, () => DateTimeOffset.UtcNow.ToUnixTimeSeconds());
}
