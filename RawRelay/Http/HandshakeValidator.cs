using System.Globalization;
using RawRelay.Hub;
using RawRelay.WebSockets;

namespace RawRelay.Http;

/// <summary>
/// Maps a request head for the WebSocket path to an accept or a refusal, in the SPEC's order of
/// precedence: 405, 400, 426, 403 (origin, then token). 431 and 404 are decided before this, 503 after.
/// Pure; thread-safe (static).
/// </summary>
internal static class HandshakeValidator
{
    /// <summary>
    /// The decision for what reading the head gave: its refusal, or (for a whole head) the checks below, a
    /// malformed header field's 400 coming after 405 (the SPEC's order 431, 404, 405, 400; 404 is decided
    /// before this).
    /// </summary>
    public static HandshakeDecision Validate(RequestHeadResult result, HandshakePolicy policy)
    {
        if (result.Head is not { } head)
            return HandshakeDecision.Refuse(result.Status, result.Reason);
        if (result.IsMalformed && head.Method == "GET")
            return HandshakeDecision.Refuse(result.Status, result.Reason);
        return Validate(head, policy);
    }

    /// <summary>
    /// The checks of RFC 6455 and of the origin alone, for an upgrade on a path of another protocol (Pusher's
    /// <c>/app/&lt;key&gt;</c>), which has no id, channels or token in its query: the accepted decision carries the key.
    /// </summary>
    public static HandshakeDecision ValidateUpgrade(RequestHeadResult result, HandshakePolicy policy)
    {
        if (result.Head is not { } head)
            return HandshakeDecision.Refuse(result.Status, result.Reason);
        if (result.IsMalformed && head.Method == "GET")
            return HandshakeDecision.Refuse(result.Status, result.Reason);
        if (ValidateRfc6455(head) is { } refused)
            return refused;
        if (head["Sec-WebSocket-Version"]?.Trim() != "13")
            return HandshakeDecision.Refuse(426, "Sec-WebSocket-Version 13 required");
        if (policy.AllowedOrigins.Count > 0 && !policy.AllowedOrigins.Contains(head["Origin"] ?? ""))
            return HandshakeDecision.Refuse(403, "origin not allowed");
        return new HandshakeDecision(101, "", "", head["Sec-WebSocket-Key"]!, []);
    }

    /// <summary>The upgrade request's own rules (RFC 6455 §4.1, §4.2.1) but the version; null when they hold.</summary>
    private static HandshakeDecision? ValidateRfc6455(RequestHead head)
    {
        if (head.Method != "GET")
            return HandshakeDecision.Refuse(405, "method not allowed");
        if (head.Version != "HTTP/1.1")
            return HandshakeDecision.Refuse(400, "HTTP/1.1 required");   // RFC 6455 §4.1 item 2
        if (head.Count("Host") != 1)
            return HandshakeDecision.Refuse(400, "missing Host");         // RFC 9112 §3.2
        if (!head.HasToken("Upgrade", "websocket"))
            return HandshakeDecision.Refuse(400, "missing Upgrade: websocket");
        if (!head.HasToken("Connection", "Upgrade"))
            return HandshakeDecision.Refuse(400, "missing Connection: Upgrade");
        if (head.Count("Sec-WebSocket-Key") != 1 || !AcceptKey.IsValidKey(head["Sec-WebSocket-Key"]))
            return HandshakeDecision.Refuse(400, "missing or bad Sec-WebSocket-Key");
        return null;
    }

    public static HandshakeDecision Validate(RequestHead head, HandshakePolicy policy)
    {
        if (ValidateRfc6455(head) is { } refused)
            return refused;
        string? key = head["Sec-WebSocket-Key"];
        if (!QueryString.TryGet(head.Query, "id", out string id, out _) || !ConnectionIds.IsValid(id))
            return HandshakeDecision.Refuse(400, "missing or invalid id");
        if (QueryString.GetAll(head.Query, "channel") is not { } asked || !asked.TrueForAll(static c => ChannelNames.IsValid(c)))
            return HandshakeDecision.Refuse(400, "invalid channel name");
        string[] channels = asked.Count == 0 ? [] : [.. asked.Distinct(StringComparer.Ordinal)];
        if (channels.Length > policy.MaxChannels)
            return HandshakeDecision.Refuse(400, $"more than {policy.MaxChannels} channels");
        string? protocol = OffersV1(head) ? V1Protocol : null;
        ResumePoint[]? since = null;
        if (protocol is not null && !TryParseSince(head.Query, out since))
            return HandshakeDecision.Refuse(400, "malformed since");
        if (head["Sec-WebSocket-Version"]?.Trim() != "13")
            return HandshakeDecision.Refuse(426, "Sec-WebSocket-Version 13 required");

        if (policy.AllowedOrigins.Count > 0 && !policy.AllowedOrigins.Contains(head["Origin"] ?? ""))
            return HandshakeDecision.Refuse(403, "origin not allowed");
        if (policy.Secret is not null && !HasValidToken(head.Query, id, asked, policy))
            return HandshakeDecision.Refuse(403, "missing, invalid or expired token");

        return new HandshakeDecision(101, "", id, key!, channels, protocol, since);
    }

    /// <summary>The subprotocol of SPEC Part 2, Nothing lost between pages.</summary>
    public const string V1Protocol = "rawrelay.v1";

    /// <summary>Whether a Sec-WebSocket-Protocol field offers rawrelay.v1 (tokens are case-sensitive, RFC 6455 §4.1).</summary>
    private static bool OffersV1(RequestHead head)
    {
        foreach (KeyValuePair<string, string> header in head.Headers)
        {
            if (!header.Key.Equals("Sec-WebSocket-Protocol", StringComparison.OrdinalIgnoreCase))
                continue;
            foreach (Range token in header.Value.AsSpan().Split(','))
            {
                if (header.Value.AsSpan()[token].Trim(" \t").SequenceEqual(V1Protocol))
                    return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Every <c>since=&lt;stream&gt; &lt;position&gt;</c> (the space written %20 or +; a stream is <c>*</c>,
    /// <c>#id</c> or a channel); false when one is malformed. The first for a stream counts.
    /// </summary>
    private static bool TryParseSince(string query, out ResumePoint[]? since)
    {
        since = null;
        if (QueryString.GetAll(query, "since", plusIsSpace: true) is not { } values)
            return false;
        var points = new List<ResumePoint>();
        foreach (string value in values)
        {
            int space = value.IndexOf(' ');
            if (space < 0 || !IsStream(value.AsSpan(0, space)) || !StreamPosition.TryParse(value.AsSpan(space + 1), out StreamPosition position))
                return false;
            string stream = value[..space];
            if (!points.Exists(p => p.Stream == stream))
                points.Add(new ResumePoint(stream, position));
        }

        since = points.Count == 0 ? null : [.. points];
        return true;
    }

    private static bool IsStream(ReadOnlySpan<char> stream) =>
        stream is "*" || (stream.StartsWith('#') ? ConnectionIds.IsValid(stream[1..]) : ChannelNames.IsValid(stream));

    /// <summary>The token covers the id, the expiry and the channels asked for, in the order of the query (SPEC, Security).</summary>
    private static bool HasValidToken(string query, string id, List<string> channels, HandshakePolicy policy)
    {
        if (!QueryString.TryGet(query, "exp", out string expText, out _)
            || !QueryString.TryGet(query, "token", out string token, out _))
            return false;
        if (!long.TryParse(expText, NumberStyles.None, CultureInfo.InvariantCulture, out long exp) || exp <= policy.UnixNow())
            return false;
        return ConnectionToken.Verify(policy.Secret!, id, exp, channels, token);
    }
}
