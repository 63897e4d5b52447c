using RawRelay.Hub;
using RawRelay.WebSockets;

namespace RawRelay.Http;

/// <summary>A WebSocket connection another protocol accepts on one of its paths: the id it is listed under, its dialect and its session.</summary>
internal readonly record struct RouteUpgrade(string Id, IDialect Dialect, IConnectionSession Session);

/// <summary>
/// Another protocol's paths on the main port (Pusher's <c>/app/&lt;key&gt;</c> and <c>/apps/&lt;app_id&gt;/...</c>):
/// the handler hands it every request for a path it owns, plain requests with their body (at most
/// <see cref="MaxBodyBytes"/>, read within the handshake timeout), upgrades once RFC 6455 is satisfied.
/// Implementations are thread-safe.
/// </summary>
internal interface IProtocolRoutes
{
    /// <summary>Whether requests for <paramref name="path"/> are this protocol's (never a static file's).</summary>
    bool Owns(string path);

    /// <summary>The largest request body accepted; a larger Content-Length gets 413 unread.</summary>
    int MaxBodyBytes { get; }

    /// <summary>The whole response to a plain request; the connection is closed after it.</summary>
    Task<byte[]> ServeAsync(RequestHead head, ReadOnlyMemory<byte> body);

    /// <summary>What to make of a valid upgrade request for an owned path; null for 404.</summary>
    RouteUpgrade? Upgrade(RequestHead head);
}
