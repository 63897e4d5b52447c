using System.Text;
using System.Text.Json;
using RawRelay.Diagnostics;
using RawRelay.Http;
using RawRelay.Hub;
using RawRelay.WebSockets;

namespace RawRelay.Pusher;

/// <summary>
/// Pusher's HTTP API under <c>/apps/&lt;app_id&gt;/</c> (HTTP API reference): <c>POST events</c>,
/// <c>POST batch_events</c>, <c>GET channels</c>, <c>GET channels/&lt;name&gt;</c>, <c>GET channels/&lt;name&gt;/users</c>,
/// <c>POST users/&lt;id&gt;/terminate_connections</c>. Every request is signed (<see cref="PusherRequestAuth"/>);
/// anything else gets 401 and does nothing, a malformed request 400 and does nothing (a batch is checked whole
/// before any of it is published). Thread-safe.
/// </summary>
internal sealed class PusherApi(PusherServer server, Func<long> unixNow)
{
    /// <summary>Channels one event may name (Pusher's limit).</summary>
    public const int MaxChannelsPerEvent = 100;

    /// <summary>Events one batch may hold.</summary>
    public const int MaxBatch = 100;

    private const string Json = "application/json";

    private sealed record ApiEvent(string Name, string[] Channels, string Data, string? SocketId);

    public async Task<byte[]> ServeAsync(RequestHead head, ReadOnlyMemory<byte> body)
    {
        string prefix = "/apps/" + server.Options.App.AppId + "/";
        if (!head.Path.StartsWith(prefix, StringComparison.Ordinal))
            return Text(404, "unknown app");
        string? refusal = PusherRequestAuth.Refusal(server.Options.App, head.Method, head.Path, PusherRequestAuth.ParseQuery(head.Query), body.Span, unixNow());
        if (refusal is not null)
            return Text(401, refusal);
        Dictionary<string, string> query = PusherRequestAuth.ParseQuery(head.Query)!;
        string[] parts = head.Path[prefix.Length..].Split('/');
        try
        {
            return (head.Method, parts) switch
            {
                ("POST", ["events"]) => await EventsAsync(body).ConfigureAwait(false),
                ("POST", ["batch_events"]) => await BatchEventsAsync(body).ConfigureAwait(false),
                ("GET", ["channels"]) => await ChannelsAsync(query).ConfigureAwait(false),
                ("GET", ["channels", string name]) => await ChannelAsync(Decode(name), query).ConfigureAwait(false),
                ("GET", ["channels", string name, "users"]) => await UsersAsync(Decode(name)).ConfigureAwait(false),
                ("POST", ["users", string user, "terminate_connections"]) => Terminate(Decode(user)),
                (_, ["events"] or ["batch_events"] or ["channels"] or ["channels", _] or ["channels", _, "users"] or ["users", _, "terminate_connections"])
                    => Text(405, "method not allowed"),
                _ => Text(404, "not found"),
            };
        }
        catch (JsonException)
        {
            return Text(400, "the body is not valid JSON");
        }
        catch (Exception e) when (server.Presence.Cluster is not null)
        {
            // A query (channels, users) the cluster's Redis or relays did not answer.
            server.Log.Warn($"pusher api {head.Method} {head.Path}: cluster unavailable: {e.Message}", LogField.Of("reason", e.Message));
            return Unavailable;
        }
    }

    private async Task<byte[]> EventsAsync(ReadOnlyMemory<byte> body)
    {
        ApiEvent? apiEvent;
        string error;
        using (JsonDocument document = JsonDocument.Parse(body))
            apiEvent = ReadEvent(document.RootElement, out error);
        if (apiEvent is null)
            return Text(400, error);
        return await AllPublishedAsync(Publish(apiEvent)).ConfigureAwait(false) ? Ok("{}") : Unavailable;
    }

    private async Task<byte[]> BatchEventsAsync(ReadOnlyMemory<byte> body)
    {
        var events = new List<ApiEvent>();
        using (JsonDocument document = JsonDocument.Parse(body))
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("batch", out JsonElement batch)
                || batch.ValueKind != JsonValueKind.Array)
                return Text(400, "a batch is {\"batch\":[...]}");
            if (batch.GetArrayLength() > MaxBatch)
                return Text(400, $"a batch holds at most {MaxBatch} events");
            foreach (JsonElement item in batch.EnumerateArray())
            {
                if (ReadEvent(item, out string error) is not { } apiEvent)
                    return Text(400, $"event {events.Count}: {error}");
                events.Add(apiEvent);
            }
        }

        // Several events: corked, as a control connection's batch is, so each connection gets one write for all
        // of them when the batch is queued. One event (the usual request) is not: each connection's writer
        // runs on the pool, while this request ends and the next one comes, and takes what queued meanwhile
        // (measured with `rawrelay bench --scenarios pusher`: the cork wins for batches, loses for single events).
        // In a cluster every event goes to Redis now, in the batch's order, and the answer waits for all.
        var published = new List<Task<long>>();
        using (events.Count > 1 ? SendScheduler.Cork() : default(SendScheduler.CorkScope?))
        {
            foreach (ApiEvent apiEvent in events)
                published.AddRange(Publish(apiEvent));
        }

        return await AllPublishedAsync(published).ConfigureAwait(false)
            ? Ok("{\"batch\":[" + string.Join(',', events.Select(_ => "{}")) + "]}")
            : Unavailable;
    }

    /// <summary>The event to each of its channels (on every relay of a cluster), leaving out its <c>socket_id</c>.</summary>
    private List<Task<long>> Publish(ApiEvent apiEvent) =>
        [.. apiEvent.Channels.Select(channel => server.PublishEvent(channel, PusherJson.Event(apiEvent.Name, channel, apiEvent.Data), apiEvent.SocketId))];

    /// <summary>False when any of them found the cluster unavailable.</summary>
    private static async Task<bool> AllPublishedAsync(List<Task<long>> published)
    {
        bool all = true;
        foreach (Task<long> one in published)
            all &= await one.ConfigureAwait(false) >= 0;
        return all;
    }

    /// <summary>503: in a cluster, Redis did not take every event (an event it did not take reached nobody).</summary>
    private static byte[] Unavailable => Text(503, "cluster unavailable");

    /// <summary>One event: <c>name</c>, <c>data</c> (a string; other JSON is passed on as its text), <c>channels</c> or <c>channel</c>, <c>socket_id</c>.</summary>
    private ApiEvent? ReadEvent(JsonElement item, out string error)
    {
        error = "";
        if (item.ValueKind != JsonValueKind.Object)
        {
            error = "an event is a JSON object";
            return null;
        }

        if (!item.TryGetProperty("name", out JsonElement name) || name.ValueKind != JsonValueKind.String || name.GetString() is not { Length: > 0 and <= 200 } eventName)
        {
            error = "name is 1 to 200 characters";
            return null;
        }

        string data = !item.TryGetProperty("data", out JsonElement value) ? ""
            : value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
        if (Encoding.UTF8.GetByteCount(data) > server.Options.MaxMessage)
        {
            error = $"data over {server.Options.MaxMessage} bytes";
            return null;
        }

        var channels = new List<string>();
        if (item.TryGetProperty("channels", out JsonElement many) && many.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement channel in many.EnumerateArray())
                channels.Add(channel.ValueKind == JsonValueKind.String ? channel.GetString()! : "");
        }
        else if (item.TryGetProperty("channel", out JsonElement one) && one.ValueKind == JsonValueKind.String)
        {
            channels.Add(one.GetString()!);
        }

        if (channels.Count is 0 or > MaxChannelsPerEvent)
        {
            error = $"an event names 1 to {MaxChannelsPerEvent} channels";
            return null;
        }

        if (channels.Find(c => !PusherServer.IsChannelName(c)) is { } bad)
        {
            error = $"invalid channel name '{bad}'";
            return null;
        }

        string? socketId = item.TryGetProperty("socket_id", out JsonElement socket) && socket.ValueKind == JsonValueKind.String ? socket.GetString() : null;
        if (socketId is not null && !IsSocketId(socketId))
        {
            error = "socket_id is <digits>.<digits>";
            return null;
        }

        return new ApiEvent(eventName, [.. channels.Distinct(StringComparer.Ordinal)], data, socketId);
    }

    /// <summary>A socket id as Pusher gives them (<c>\d+\.\d+</c>): anything else is refused, never carried to the cluster.</summary>
    private static bool IsSocketId(string value)
    {
        int dot = value.IndexOf('.');
        return dot > 0 && dot < value.Length - 1 && value.AsSpan(0, dot).IndexOfAnyExceptInRange('0', '9') < 0
            && value.AsSpan(dot + 1).IndexOfAnyExceptInRange('0', '9') < 0;
    }

    private async Task<byte[]> ChannelsAsync(Dictionary<string, string> query)
    {
        string prefix = query.GetValueOrDefault("filter_by_prefix") ?? "";
        bool userCount = Info(query).Contains("user_count");
        if (userCount && !prefix.StartsWith("presence-", StringComparison.Ordinal))
            return Text(400, "info=user_count needs filter_by_prefix=presence-");
        var listed = new List<(string Name, int Users)>();
        foreach (string name in await OccupiedAsync().ConfigureAwait(false))
        {
            if (!name.StartsWith(prefix, StringComparison.Ordinal) || name.StartsWith(PusherServer.UserChannelPrefix, StringComparison.Ordinal))
                continue;
            listed.Add((name, userCount ? await server.Presence.UserCountAsync(name).ConfigureAwait(false) : 0));
        }

        byte[] json = PusherJson.Write(w =>
        {
            w.WriteStartObject("channels");
            foreach ((string name, int users) in listed)
            {
                w.WriteStartObject(name);
                if (userCount)
                    w.WriteNumber("user_count", users);
                w.WriteEndObject();
            }

            w.WriteEndObject();
        });
        return Complete(200, json);
    }

    /// <summary>The channels with a connection, in byte order: this relay's, or in a cluster every relay's.</summary>
    private async Task<IEnumerable<string>> OccupiedAsync()
    {
        if (server.Relay.Registry.Cluster is { } cluster)
            return (await cluster.ChannelCountsAsync().ConfigureAwait(false)).Keys;
        return server.Relay.Registry.Channels.InByteOrder().Where(static c => c.Count > 0).Select(static c => c.Name);
    }

    private async Task<byte[]> ChannelAsync(string? name, Dictionary<string, string> query)
    {
        if (name is null || !ChannelNames.IsValid(name))
            return Text(400, "invalid channel name");
        HashSet<string> info = Info(query);
        bool presence = name.StartsWith("presence-", StringComparison.Ordinal);
        if (info.Contains("user_count") && !presence)
            return Text(400, "user_count is for presence channels");
        long connections = server.Relay.Registry.Cluster is { } cluster
            ? await cluster.ConnectionsAsync(name).ConfigureAwait(false)
            : server.Relay.Registry.Channels.Find(name)?.Count ?? 0;
        int users = info.Contains("user_count") ? await server.Presence.UserCountAsync(name).ConfigureAwait(false) : 0;
        byte[] json = PusherJson.Write(w =>
        {
            w.WriteBoolean("occupied", connections > 0);
            if (info.Contains("user_count"))
                w.WriteNumber("user_count", users);
            if (info.Contains("subscription_count"))
                w.WriteNumber("subscription_count", connections);
        });
        return Complete(200, json);
    }

    private async Task<byte[]> UsersAsync(string? name)
    {
        if (name is null || !name.StartsWith("presence-", StringComparison.Ordinal) || !ChannelNames.IsValid(name))
            return Text(400, "users are listed for presence channels");
        string[] ids = await server.Presence.UserIdsAsync(name).ConfigureAwait(false);
        byte[] json = PusherJson.Write(w =>
        {
            w.WriteStartArray("users");
            foreach (string id in ids)
            {
                w.WriteStartObject();
                w.WriteString("id", id);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
        return Complete(200, json);
    }

    private byte[] Terminate(string? userId)
    {
        if (userId is null)
            return Text(400, "invalid user id");
        foreach (PusherSession session in server.SessionsOf(userId))
            session.Refuse(4009, "connection terminated by the app");
        return Ok("{}");
    }

    private static HashSet<string> Info(Dictionary<string, string> query) =>
        [.. (query.GetValueOrDefault("info") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private static string? Decode(string segment) => QueryString.PercentDecode(segment);

    private static byte[] Ok(string json) => Complete(200, Encoding.UTF8.GetBytes(json));

    private static byte[] Complete(int status, byte[] json) => HttpResponses.Complete(status, Json, json);

    private static byte[] Text(int status, string message) =>
        HttpResponses.Complete(status, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(message + "\n"));
}
