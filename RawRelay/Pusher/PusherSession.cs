using System.Text.Json;
using RawRelay.Hub;
using RawRelay.WebSockets;

namespace RawRelay.Pusher;

/// <summary>
/// One Pusher connection (Pusher Channels Protocol 7 at <c>/app/&lt;key&gt;</c>): <c>connection_established</c>
/// with its socket id, <c>ping</c>/<c>pong</c>, <c>subscribe</c>/<c>unsubscribe</c> of public, <c>private-</c> and
/// <c>presence-</c> channels with their signatures checked, <c>client-</c> events, <c>signin</c>. A subscription
/// puts the connection on the relay's channel of that name, so it gets what any protocol publishes there.
/// Its own state is touched only on the connection's receive loop (messages, then the end), one call at a time,
/// but for a cluster presence join that failed, which takes its channel back; <see cref="UserId"/> is read by
/// the HTTP API.
/// </summary>
internal sealed partial class PusherSession : IConnectionSession
{
    private readonly PusherServer _server;
    private readonly int? _refusal;                 // the pusher:error code the connection gets at once, if any
    private readonly string _refusalMessage;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _channels = new(StringComparer.Ordinal);   // also left by a failed cluster join
    private readonly Dictionary<string, string> _presenceUser = new(StringComparer.Ordinal);    // presence channel -> user_id
    private WebSocketConnection? _connection;
    private volatile string? _userId;

    public PusherSession(PusherServer server, string socketId, int? refusal = null, string refusalMessage = "")
    {
        _server = server;
        SocketId = socketId;
        _refusal = refusal;
        _refusalMessage = refusalMessage;
    }

    public string SocketId { get; }

    /// <summary>The user signed in with <c>pusher:signin</c>, or null.</summary>
    public string? UserId => _userId;

    public WebSocketConnection? Connection => _connection;

    /// <summary>Queues one Pusher message of this connection's own.</summary>
    public void Send(byte[] json) => _connection?.SendText(json);

    /// <summary>
    /// Sends <c>pusher:error</c> and closes the WebSocket with the same code (pusher-js reads the close code to
    /// decide: 4000-4099 do not reconnect, 4100-4199 back off, 4200-4299 reconnect). The close reason is a
    /// fixed ASCII phrase (the message may hold client input, and a reason is at most 123 bytes).
    /// </summary>
    public void Refuse(int code, string message)
    {
        Send(PusherJson.Error(code, message));
        _connection?.Close(code, code switch
        {
            4001 => "unknown app key",
            4007 => "unsupported protocol version",
            4009 => "unauthorized",
            _ => "refused",
        });
    }

    public void OnStarted(WebSocketConnection connection)
    {
        _connection = connection;
        if (_refusal is { } code)
        {
            Refuse(code, _refusalMessage);
            return;
        }

        _server.Opened(this);
        Send(PusherJson.ConnectionEstablished(SocketId, _server.Options.ActivityTimeout));
    }

    public void OnMessage(WebSocketConnection connection, Opcode opcode, ReadOnlySpan<byte> payload)
    {
        if (_refusal is not null)
            return;
        if (opcode != Opcode.Text)
        {
            Send(PusherJson.Error(null, "binary messages are not part of the Pusher protocol"));
            return;
        }

        if (PusherClientMessage.Parse(payload, out string error) is not { } message)
        {
            Send(PusherJson.Error(null, error));
            return;
        }

        switch (message.Event)
        {
            case "pusher:ping":
                Send(PusherJson.Pong);
                break;
            case "pusher:pong":
                break;
            case "pusher:subscribe":
                Subscribe(message);
                break;
            case "pusher:unsubscribe":
                if (message.Channel is { } channel)
                    Unsubscribe(channel);
                break;
            case "pusher:signin":
                SignIn(message);
                break;
            default:
                if (message.Event.StartsWith("client-", StringComparison.Ordinal))
                    ClientEvent(message);
                else
                    Send(PusherJson.Error(null, $"unknown event {message.Event}"));
                break;
        }
    }

    public void OnEnded(WebSocketConnection connection)
    {
        // The relay's channels let go of the connection as it left the registry; the rosters are ours.
        foreach ((string channel, string userId) in _presenceUser)
            LeavePresence(channel, userId);
        _presenceUser.Clear();
        _channels.Clear();
        _server.Closed(this);
    }

    private void Subscribe(PusherClientMessage message)
    {
        string? channel = message.Channel;
        if (channel is not null && channel.StartsWith(PusherServer.UserChannelPrefix, StringComparison.Ordinal))
        {
            // pusher-js subscribes to the user's channel after its signin_success; the relay put it there already.
            if (_userId is not null && channel == PusherServer.UserChannel(_userId) && _channels.ContainsKey(channel))
                Send(PusherJson.SubscriptionSucceeded(channel));
            else
                Send(PusherJson.SubscriptionError(channel, 403, "a user's channel is for that user, once signed in"));
            return;
        }

        if (channel is null || !ChannelNames.IsValid(channel))
        {
            Send(PusherJson.SubscriptionError(channel ?? "", 400, "invalid channel name"));
            return;
        }

        if (_channels.ContainsKey(channel))
        {
            // pusher-js subscribes again after a reconnect only; a repeat is answered as the first was.
            if (!IsPresence(channel))
                Send(PusherJson.SubscriptionSucceeded(channel));
            return;
        }

        if (_channels.Count >= _server.Options.MaxChannels)
        {
            Send(PusherJson.SubscriptionError(channel, 400, $"more than {_server.Options.MaxChannels} channels"));
            return;
        }

        if (channel.StartsWith("private-encrypted-", StringComparison.Ordinal))
        {
            Send(PusherJson.SubscriptionError(channel, 400, "encrypted channels are not supported"));
            return;
        }

        bool isPresence = IsPresence(channel);
        if ((isPresence || channel.StartsWith("private-", StringComparison.Ordinal))
            && (message.Auth is not { } auth
                || !PusherSignatures.IsChannelAuth(_server.Options.App, auth, SocketId, channel, isPresence ? message.ChannelData ?? "" : null)))
        {
            Send(PusherJson.SubscriptionError(channel, 401, "invalid signature"));
            return;
        }

        if (isPresence)
        {
            if (!TryReadMember(message.ChannelData, out string userId, out string info, out string why))
            {
                Send(PusherJson.SubscriptionError(channel, 400, why));
                return;
            }

            if (!_server.Relay.Join(_connection!, channel))
                return;                         // closing
            if (_server.Presence.Cluster is { } presence)
            {
                _channels.TryAdd(channel, 0);
                _presenceUser[channel] = userId;
                int round = _presenceRound.AddOrUpdate(channel, 1, static (_, r) => r + 1);
                _presenceOps[channel] = JoinClusterPresenceAsync(Previous(channel), presence, channel, userId, info, round);
                return;
            }

            if (!_server.Presence.Join(channel, this, userId, info, out List<(string Id, string InfoJson)> members))
            {
                _server.Relay.Leave(_connection!, channel);
                Send(PusherJson.SubscriptionError(channel, 403, $"presence channel has {PresenceRoster.MaxMembers} members"));
                return;
            }

            _channels.TryAdd(channel, 0);
            _presenceUser[channel] = userId;
            SendWhenAnnounced(channel, PusherJson.PresenceSucceeded(channel, members));
            return;
        }

        if (!_server.Relay.Join(_connection!, channel))
            return;
        _channels.TryAdd(channel, 0);
        SendWhenAnnounced(channel, PusherJson.SubscriptionSucceeded(channel));
    }

    /// <summary>
    /// Sends a subscription's success once the channel is announced: in a cluster, once a PUBLISH on any relay
    /// reaches this connection (at once on a single relay).
    /// </summary>
    private void SendWhenAnnounced(string channel, byte[] succeeded)
    {
        Task announced = _server.Relay.AnnounceAsync(channel);
        if (announced.IsCompleted)
            Send(succeeded);
        else
            _ = announced.ContinueWith(_ => Send(succeeded), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    private void Unsubscribe(string channel)
    {
        if (!_channels.TryRemove(channel, out _))
            return;
        _server.Relay.Leave(_connection!, channel);
        _ = _server.Relay.AnnounceAsync(channel);
        if (_presenceUser.Remove(channel, out string? userId))
            LeavePresence(channel, userId);
    }

    private void ClientEvent(PusherClientMessage message)
    {
        string? channel = message.Channel;
        if (!_server.Options.ClientEvents)
        {
            Send(PusherJson.Error(4301, "client events are not enabled (--pusher-client-events)"));
            return;
        }

        if (channel is null || !_channels.ContainsKey(channel) || !(IsPresence(channel) || channel.StartsWith("private-", StringComparison.Ordinal)))
        {
            Send(PusherJson.Error(4301, "client events go to a private or presence channel the connection is subscribed to"));
            return;
        }

        string? userId = _presenceUser.GetValueOrDefault(channel);
        byte[] envelope = PusherJson.EventRaw(message.Event, channel, message.DataJson, userId);
        _ = _server.PublishEvent(channel, envelope, SocketId);   // never faults; lost only while the cluster is unavailable
        _server.Webhooks?.ClientEvent(channel, message.Event, message.DataString, SocketId, userId);
    }

    private void SignIn(PusherClientMessage message)
    {
        if (message.Auth is not { } auth || message.UserData is not { } userData
            || !PusherSignatures.IsUserAuth(_server.Options.App, auth, SocketId, userData))
        {
            Refuse(4009, "sign-in refused: invalid signature");
            return;
        }

        if (!TryReadUserId(userData, out string userId))
        {
            Refuse(4009, "sign-in refused: user_data needs a string id");
            return;
        }

        if (_userId is not null)
            return;                             // signed in already
        _userId = userId;
        _server.SignedIn(this, userId);
        Send(PusherJson.SigninSuccess(userData));
        string own = PusherServer.UserChannel(userId);
        if (_server.Relay.Join(_connection!, own))
        {
            _channels.TryAdd(own, 0);
            _ = _server.Relay.AnnounceAsync(own);
        }
    }

    private static bool IsPresence(string channel) => channel.StartsWith("presence-", StringComparison.Ordinal);

    /// <summary>A presence subscription's <c>channel_data</c>: <c>user_id</c> (a string or a number) and <c>user_info</c>, at most 2 KiB.</summary>
    private static bool TryReadMember(string? channelData, out string userId, out string info, out string why)
    {
        userId = info = why = "";
        if (channelData is null || channelData.Length > MaxChannelData)
        {
            why = channelData is null ? "channel_data is required" : $"channel_data over {MaxChannelData} characters";
            return false;
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(channelData);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("user_id", out JsonElement id)
                || id.ValueKind is not (JsonValueKind.String or JsonValueKind.Number))
            {
                why = "channel_data needs a user_id";
                return false;
            }

            userId = id.ValueKind == JsonValueKind.String ? id.GetString()! : id.GetRawText();
            info = root.TryGetProperty("user_info", out JsonElement userInfo) ? userInfo.GetRawText() : "null";
            if (userId.Length is 0 or > 128)
            {
                why = "user_id is 1 to 128 characters";
                return false;
            }

            return true;
        }
        catch (JsonException)
        {
            why = "channel_data is not JSON";
            return false;
        }
    }

    private static bool TryReadUserId(string userData, out string userId)
    {
        userId = "";
        try
        {
            using JsonDocument document = JsonDocument.Parse(userData);
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("id", out JsonElement id)
                || id.ValueKind != JsonValueKind.String || id.GetString() is not { Length: > 0 and <= 128 } text || !ChannelNames.IsValid(text))
                return false;
            userId = text;
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private const int MaxChannelData = 2048;
}
