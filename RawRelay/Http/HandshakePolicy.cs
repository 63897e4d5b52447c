namespace RawRelay.Http;

/// <summary>What the handshake checks beyond RFC 6455: origins and tokens. Immutable; thread-safe.</summary>
internal sealed record HandshakePolicy(IReadOnlyList<string> AllowedOrigins, string? Secret, Func<long> UnixNow)
{
    public static HandshakePolicy Open { get; } = new([], null, () => DateTimeOffset.UtcNow.ToUnixTimeSeconds());
}
