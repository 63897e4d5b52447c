using System.Collections.Concurrent;
using System.Globalization;
using RawRelay.Diagnostics;
using RawRelay.Http;
using RawRelay.Hub;
using RawRelay.WebSockets;

namespace RawRelay.Pusher;

/// <summary>
/// The relay's Pusher side (<c>--pusher-app</c>): owns <c>/app/&lt;key&gt;</c> (the WebSocket) and
/// <c>/apps/&lt;app_id&gt;/...</c> (the HTTP API) on the main port, and what the Pusher connections share: the
/// presence rosters, the sessions by socket id and by signed-in user. Channels are the relay's: a Pusher
/// event is published to the relay's channel of that name, so connections of either protocol get it.
/// Thread-safe.
/// </summary>
internal sealed class PusherServer : IProtocolRoutes, IWrittenProtocol
{
    /// <summary>The prefix of the relay channel that carries a signed-in user's events (as Pusher names it).</summary>
    public const string UserChannelPrefix = "#server-to-user-";

    private static readonly string SocketPrefix = Random.Shared.Next(1, 1_000_000_000).ToString(CultureInfo.InvariantCulture);
    private readonly ConcurrentDictionary<string, PusherSession> _sockets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<PusherSession>> _users = new(StringComparer.Ordinal);
    private readonly Lock _usersGate = new();
    private readonly PusherApi _api;
    private long _nextSocket;
    private readonly long[] _apiRequests = new long[ApiStatuses.Length];

    /// <summary>The statuses the HTTP API answers with, as the metrics label them.</summary>
    public static readonly int[] ApiStatuses = [200, 400, 401, 404, 405, 503];

    public PusherServer(PusherOptions options, Relay relay, RelayLog log, Func<long> unixNow, PusherWebhooks? webhooks = null)
    {
        Options = options;
        Relay = relay;
        Log = log;
        Webhooks = webhooks;
        Presence = new PresenceRoster(webhooks, () => relay.Registry.Cluster?.Presence);
        _api = new PusherApi(this, unixNow);
        relay.Written = this;                   // Pusher events come and go in the cluster written as they are
    }

    public IDialect Dialect => PusherDialect.Instance;

    IRelayConnection? IWrittenProtocol.Find(string key) => FindSocket(key);

    void IWrittenProtocol.Notice(string channel, ReadOnlySpan<byte> payload, string except) => Presence.Notice(channel, payload, except);

    IEnumerable<(string Channel, string UserId, int Connections, string Info, byte[] MemberRemoved)> IWrittenProtocol.PresenceHeld() =>
        Presence.Held().Select(static h => (h.Channel, h.UserId, h.Connections, h.Info, PusherJson.MemberRemoved(h.Channel, h.UserId)));

    Task IWrittenProtocol.DepartAsync(IClusterPresence presence) => Presence.DepartAsync(presence);

    public PusherOptions Options { get; }

    public Relay Relay { get; }

    public RelayLog Log { get; }

    public PresenceRoster Presence { get; }

    /// <summary>Pusher-format webhooks (<c>--pusher-webhook</c>); null without.</summary>
    public PusherWebhooks? Webhooks { get; }

    /// <summary>A body of the HTTP API: a batch of events of up to <c>--max-message</c> each, and 1 MiB at least.</summary>
    public int MaxBodyBytes => (int)Math.Min(int.MaxValue / 2, Math.Max(1024 * 1024, Options.MaxMessage * 2));

    public static string UserChannel(string userId) => UserChannelPrefix + userId;

    /// <summary>A channel an event may go to: a name of the channel alphabet, or a signed-in user's <c>#server-to-user-&lt;id&gt;</c>.</summary>
    public static bool IsChannelName(string name) =>
        ChannelNames.IsValid(name.StartsWith(UserChannelPrefix, StringComparison.Ordinal) ? name.AsSpan(UserChannelPrefix.Length) : name);

    public bool Owns(string path) => path.StartsWith("/app/", StringComparison.Ordinal) || path.StartsWith("/apps/", StringComparison.Ordinal);

    public async Task<byte[]> ServeAsync(RequestHead head, ReadOnlyMemory<byte> body)
    {
        byte[] response = await _api.ServeAsync(head, body).ConfigureAwait(false);
        // "HTTP/1.1 200 ...": the status is the three digits after the version.
        int status = (response[9] - '0') * 100 + (response[10] - '0') * 10 + (response[11] - '0');
        int index = Array.IndexOf(ApiStatuses, status);
        if (index >= 0)
            Interlocked.Increment(ref _apiRequests[index]);
        if (status >= 400 && Log.IsEnabled(LogLevel.Info))
        {
            // The refusal's reason is its text body: a refused request is worth a line, never an ERROR.
            int start = response.AsSpan().IndexOf("\r\n\r\n"u8) + 4;
            string reason = System.Text.Encoding.UTF8.GetString(response.AsSpan(start)).TrimEnd('\n');
            Log.Info($"pusher api {head.Method} {head.Path}: {status} {reason}", LogField.Of("status", status), LogField.Of("reason", reason));
        }

        return response;
    }

    /// <summary>HTTP API requests answered with <see cref="ApiStatuses"/>[<paramref name="index"/>].</summary>
    public long ApiRequests(int index) => Interlocked.Read(ref _apiRequests[index]);

    /// <summary>Pusher connections past their <c>connection_established</c>.</summary>
    public int Connections => _sockets.Count;

    /// <summary>
    /// An upgrade to <c>/app/&lt;key&gt;</c>: a session with a new socket id; one for an unknown key or an
    /// unsupported protocol version is refused over the WebSocket (<c>pusher:error</c> 4001 or 4007, then a close),
    /// as pusher-js expects. Another path (the HTTP API's) is no WebSocket: null.
    /// </summary>
    public RouteUpgrade? Upgrade(RequestHead head)
    {
        if (!head.Path.StartsWith("/app/", StringComparison.Ordinal))
            return null;
        string socketId = SocketPrefix + "." + Interlocked.Increment(ref _nextSocket).ToString(CultureInfo.InvariantCulture);
        string key = QueryString.PercentDecode(head.Path.AsSpan("/app/".Length)) ?? "";
        PusherSession session;
        if (key != Options.App.Key)
        {
            session = new PusherSession(this, socketId, 4001, $"App key {key} does not exist");
        }
        else if (!QueryString.TryGet(head.Query, "protocol", out string protocol, out _)
            || !int.TryParse(protocol, NumberStyles.None, CultureInfo.InvariantCulture, out int version) || version is < 5 or > 7)
        {
            session = new PusherSession(this, socketId, 4007, "Unsupported protocol version: 7 is spoken");
        }
        else
        {
            session = new PusherSession(this, socketId);
        }

        return new RouteUpgrade(socketId, PusherDialect.Instance, session);
    }

    /// <summary>
    /// Publishes a Pusher event (its envelope) to a channel, on every relay of a cluster, except to the socket
    /// <paramref name="exceptSocket"/> names; the connections it reached, or -1 when the cluster is unavailable.
    /// </summary>
    public Task<long> PublishEvent(string channel, byte[] envelope, string? exceptSocket) => Relay.PublishWrittenAsync(channel, envelope, exceptSocket);

    /// <summary>The connection with this socket id, or null.</summary>
    public WebSocketConnection? FindSocket(string socketId) => _sockets.TryGetValue(socketId, out PusherSession? s) ? s.Connection : null;

    /// <summary>The sessions signed in as a user.</summary>
    public PusherSession[] SessionsOf(string userId)
    {
        lock (_usersGate)
            return _users.TryGetValue(userId, out List<PusherSession>? sessions) ? [.. sessions] : [];
    }

    internal void Opened(PusherSession session) => _sockets[session.SocketId] = session;

    internal void SignedIn(PusherSession session, string userId)
    {
        lock (_usersGate)
        {
            if (!_users.TryGetValue(userId, out List<PusherSession>? sessions))
                _users[userId] = sessions = [];
            sessions.Add(session);
        }
    }

    internal void Closed(PusherSession session)
    {
        _sockets.TryRemove(new KeyValuePair<string, PusherSession>(session.SocketId, session));
        if (session.UserId is not { } userId)
            return;
        lock (_usersGate)
        {
            if (_users.TryGetValue(userId, out List<PusherSession>? sessions) && sessions.Remove(session) && sessions.Count == 0)
                _users.Remove(userId);
        }
    }
}
