namespace RawRelay.Cluster;

/// <summary>
/// The Lua scripts the cluster runs in Redis, each atomic there: what is read and what is published happen
/// at one moment of the cluster's life. Keys (all under <c>rawrelay:</c>): <c>node:&lt;name&gt;</c> a relay's
/// heartbeat (expires after <c>--node-timeout</c>), <c>nodes</c> the relays seen, <c>count:&lt;stream&gt;</c>
/// a hash of relay name to its connections on the stream, <c>streams:&lt;name&gt;</c> the streams a relay
/// has counts in (to prune a dead relay's), <c>subs:&lt;id&gt;</c> an id's subscriptions, <c>pres:&lt;channel&gt;</c>
/// a presence channel's users per relay, <c>pchans:&lt;name&gt;</c> the presence channels a relay has users in
/// (to prune a dead relay's). A count only counts
/// while its relay's heartbeat lives, so a dead relay leaves every count within <c>--node-timeout</c>.
/// </summary>
internal static class ClusterScripts
{
    /// <summary>The connections on a stream whose relays are alive: a Lua function the scripts share.</summary>
    private const string LiveCount = """
        local function live(key)
          local n = 0
          local counts = redis.call('HGETALL', key)
          for i = 1, #counts, 2 do
            if redis.call('EXISTS', 'rawrelay:node:' .. counts[i]) == 1 then n = n + tonumber(counts[i + 1]) end
          end
          return n
        end

        """;

    /// <summary>
    /// Lua functions the presence scripts share. A field of <c>pres:&lt;channel&gt;</c> is
    /// <c>&lt;relay&gt;\n&lt;user id&gt;</c>; its value is <c>&lt;connections&gt;\n&lt;length&gt;\n</c>, then the
    /// user's member_removed notice of that length (sent for it if its relay dies), then its user_info.
    /// <c>members</c> returns the users on live relays in field order (a list of ids) and their infos (a table by id);
    /// <c>roster</c> appends them to a reply as id, info, ...
    /// </summary>
    private const string PresenceFunctions = """
        local function parse(v)
          local a = string.find(v, '\n', 1, true)
          local b = string.find(v, '\n', a + 1, true)
          local len = tonumber(string.sub(v, a + 1, b - 1))
          return tonumber(string.sub(v, 1, a - 1)), string.sub(v, b + 1, b + len), string.sub(v, b + len + 1)
        end
        local function value(n, removed, info) return n .. '\n' .. #removed .. '\n' .. removed .. info end
        local function members(key)
          local ids, infos = {}, {}
          local fields = redis.call('HGETALL', key)
          for i = 1, #fields, 2 do
            local at = string.find(fields[i], '\n', 1, true)
            local node, user = string.sub(fields[i], 1, at - 1), string.sub(fields[i], at + 1)
            if infos[user] == nil and redis.call('EXISTS', 'rawrelay:node:' .. node) == 1 then
              local _, _, info = parse(fields[i + 1])
              infos[user] = info
              ids[#ids + 1] = user
            end
          end
          return ids, infos
        end
        local function roster(out, ids, infos)
          for _, id in ipairs(ids) do
            out[#out + 1] = id
            out[#out + 1] = infos[id]
          end
          return out
        end

        """;

    /// <summary>
    /// Lets go of a relay's presence fields: a Lua function. With <c>announce</c> (the relay died), a user left
    /// with no connection on a live relay gets its member_removed sent to the channel's relays; without (the
    /// relay starts again under its name, or writes its users again) nothing is sent.
    /// </summary>
    private const string PrunePresence = PresenceFunctions + """
        local function prune_presence(node, announce)
          local prefix = 'rawrelay:pres:'
          for _, key in ipairs(redis.call('SMEMBERS', 'rawrelay:pchans:' .. node)) do
            local gone = {}
            for _, f in ipairs(redis.call('HKEYS', key)) do
              if string.sub(f, 1, #node + 1) == node .. '\n' then
                if announce then
                  local _, removed = parse(redis.call('HGET', key, f))
                  gone[#gone + 1] = {string.sub(f, #node + 2), removed}
                end
                redis.call('HDEL', key, f)
              end
            end
            if #gone > 0 then
              local _, infos = members(key)
              local stream = 'rawrelay:s:' .. string.sub(key, #prefix + 1)
              for _, g in ipairs(gone) do
                if infos[g[1]] == nil then redis.call('PUBLISH', stream, g[2]) end
              end
            end
          end
          redis.call('DEL', 'rawrelay:pchans:' .. node)
        end

        """;

    /// <summary>
    /// A presence join: KEYS[1] the channel's <c>pres:</c> hash, KEYS[2] the relay's <c>pchans:</c> set; ARGV[1]
    /// the relay, ARGV[2] the user, ARGV[3] its user_info, ARGV[4] the most users a channel may have, ARGV[5]
    /// the channel's stream channel, ARGV[6] the member_added notice, ARGV[7] the member_removed notice (kept
    /// for the relay's death). Returns {-1} when the channel is full,
    /// else {1 when the user is new to the cluster (the notice went) or 0, then id, info, ... of the roster}.
    /// </summary>
    public const string PresenceJoin = PresenceFunctions + """
        local ids, infos = members(KEYS[1])
        local first = infos[ARGV[2]] == nil
        if first and #ids >= tonumber(ARGV[4]) then return {-1} end
        local f = ARGV[1] .. '\n' .. ARGV[2]
        local v = redis.call('HGET', KEYS[1], f)
        local n = 0
        if v then n = parse(v) end
        redis.call('HSET', KEYS[1], f, value(n + 1, ARGV[7], ARGV[3]))
        redis.call('SADD', KEYS[2], KEYS[1])
        if first then
          redis.call('PUBLISH', ARGV[5], ARGV[6])
          ids[#ids + 1] = ARGV[2]
          infos[ARGV[2]] = ARGV[3]
        end
        return roster({first and 1 or 0}, ids, infos)
        """;

    /// <summary>
    /// A presence leave: KEYS[1] the channel's <c>pres:</c> hash, KEYS[2] the relay's <c>pchans:</c> set; ARGV[1]
    /// the relay, ARGV[2] the user, ARGV[3] the channel's stream channel, ARGV[4] the member_removed notice,
    /// ARGV[5] '1' for all the user's connections on this relay (it leaves the cluster), else one. Returns 1
    /// when that was the user's last connection in the cluster (the notice went), else 0.
    /// </summary>
    public const string PresenceLeave = PresenceFunctions + """
        local f = ARGV[1] .. '\n' .. ARGV[2]
        local v = redis.call('HGET', KEYS[1], f)
        if not v then return 0 end
        local n, removed, info = parse(v)
        n = n - 1
        if n > 0 and ARGV[5] ~= '1' then
          redis.call('HSET', KEYS[1], f, value(n, removed, info))
          return 0
        end
        redis.call('HDEL', KEYS[1], f)
        local mine = false
        for _, k in ipairs(redis.call('HKEYS', KEYS[1])) do
          if string.sub(k, 1, #ARGV[1] + 1) == ARGV[1] .. '\n' then mine = true break end
        end
        if not mine then redis.call('SREM', KEYS[2], KEYS[1]) end
        local _, infos = members(KEYS[1])
        if infos[ARGV[2]] ~= nil then return 0 end
        redis.call('PUBLISH', ARGV[3], ARGV[4])
        return 1
        """;

    /// <summary>A presence channel's roster: KEYS[1] its <c>pres:</c> hash. Returns {id, info, ...} of the users on live relays.</summary>
    public const string PresenceMembers = PresenceFunctions + """
        local ids, infos = members(KEYS[1])
        return roster({}, ids, infos)
        """;

    /// <summary>
    /// After Redis lost a relay's state: one of its presence users written back. KEYS[1] the channel's
    /// <c>pres:</c> hash, KEYS[2] the relay's <c>pchans:</c> set; ARGV[1] the relay, ARGV[2] the user, ARGV[3]
    /// its connections there, ARGV[4] its user_info, ARGV[5] its member_removed notice.
    /// </summary>
    public const string PresenceRestore = PresenceFunctions + """
        redis.call('HSET', KEYS[1], ARGV[1] .. '\n' .. ARGV[2], value(ARGV[3], ARGV[5], ARGV[4]))
        redis.call('SADD', KEYS[2], KEYS[1])
        return 0
        """;

    /// <summary>A stream's connections on live relays: KEYS[1] its count hash.</summary>
    public const string Count = LiveCount + """
        return live(KEYS[1])
        """;

    /// <summary>
    /// SEND, PUBLISH, BROADCAST: counts the stream's connections and publishes the message to the relays that
    /// hold them, in one step. KEYS[1] the stream's count hash; ARGV[1] its channel, ARGV[2] the message.
    /// Returns the count (<c>OK &lt;n&gt;</c>).
    /// </summary>
    public const string Publish = LiveCount + """
        local n = live(KEYS[1])
        redis.call('PUBLISH', ARGV[1], ARGV[2])
        return n
        """;

    /// <summary>
    /// With history: as <see cref="Publish"/>, and in the same step the stream's next offset and the append
    /// to its kept messages, so positions are the same on every relay. KEYS[1] the count hash, KEYS[2] the
    /// position hash (<c>e</c> epoch, <c>o</c> last offset), KEYS[3] the kept list; ARGV[1] the channel,
    /// ARGV[2] the message, ARGV[3] --history, ARGV[4] --history-ttl (ms), ARGV[5] an epoch for a stream
    /// Redis does not have (new, or lost). Publishes <c>P&lt;epoch&gt; &lt;offset&gt; &lt;message&gt;</c>; returns the count.
    /// </summary>
    public const string PublishKept = LiveCount + """
        local n = live(KEYS[1])
        local e = redis.call('HGET', KEYS[2], 'e')
        if not e then
          e = ARGV[5]
          redis.call('HSET', KEYS[2], 'e', e, 'o', 0)
        end
        local o = redis.call('HINCRBY', KEYS[2], 'o', 1)
        redis.call('RPUSH', KEYS[3], o .. ' ' .. ARGV[2])
        redis.call('LTRIM', KEYS[3], -tonumber(ARGV[3]), -1)
        redis.call('PEXPIRE', KEYS[2], ARGV[4])
        redis.call('PEXPIRE', KEYS[3], ARGV[4])
        redis.call('PUBLISH', ARGV[1], 'P' .. e .. ' ' .. o .. ' ' .. ARGV[2])
        return n
        """;

    /// <summary>
    /// POSITION with history: the stream's epoch and last offset, the stream made (with ARGV[1] as its
    /// epoch) when Redis has none, and kept for the history ttl (ARGV[2], ms). KEYS[1] the position hash.
    /// </summary>
    public const string Position = """
        local e = redis.call('HGET', KEYS[1], 'e')
        if not e then
          e = ARGV[1]
          redis.call('HSET', KEYS[1], 'e', e, 'o', 0)
        end
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        return {e, redis.call('HGET', KEYS[1], 'o')}
        """;

    /// <summary>What Redis keeps of a stream, for a resume: {epoch or false, last offset, entries...}. KEYS[1] the position hash, KEYS[2] the kept list.</summary>
    public const string Kept = """
        local e = redis.call('HGET', KEYS[1], 'e')
        if not e then return {false, 0} end
        local result = {e, redis.call('HGET', KEYS[1], 'o')}
        for _, entry in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do table.insert(result, entry) end
        return result
        """;

    /// <summary>
    /// A relay's counts: ARGV[1] its name, ARGV[2] the subscription ttl (ms), ARGV[3] '1' to drop all its
    /// counts first (after Redis came back), ARGV[4] an id whose subscriptions to return (or ''), then pairs
    /// of stream and count (0 removes). An id stream's subscriptions are kept while the id has connections
    /// anywhere and expire a ttl after its last one. Returns the id's subscriptions.
    /// </summary>
    public const string Sync = LiveCount + PrunePresence + """
        local node = ARGV[1]
        if ARGV[3] == '1' then
          prune_presence(node, false)
          for _, s in ipairs(redis.call('SMEMBERS', 'rawrelay:streams:' .. node)) do
            redis.call('HDEL', 'rawrelay:count:' .. s, node)
          end
          redis.call('DEL', 'rawrelay:streams:' .. node)
        end
        for i = 5, #ARGV, 2 do
          local s = ARGV[i]
          local c = tonumber(ARGV[i + 1])
          if c > 0 then
            redis.call('HSET', 'rawrelay:count:' .. s, node, c)
            redis.call('SADD', 'rawrelay:streams:' .. node, s)
          else
            redis.call('HDEL', 'rawrelay:count:' .. s, node)
            redis.call('SREM', 'rawrelay:streams:' .. node, s)
          end
          if string.sub(s, 1, 1) == '#' then
            local subs = 'rawrelay:subs:' .. string.sub(s, 2)
            if live('rawrelay:count:' .. s) > 0 then redis.call('PERSIST', subs) else redis.call('PEXPIRE', subs, ARGV[2]) end
          end
        end
        if ARGV[4] == '' then return {} end
        return redis.call('SMEMBERS', 'rawrelay:subs:' .. ARGV[4])
        """;

    /// <summary>
    /// A relay's heartbeat, and the pruning of relays whose heartbeat expired. ARGV[1] the name, ARGV[2]
    /// --node-timeout (ms), ARGV[3] the subscription ttl (ms). Returns 1 when this relay was alive in Redis
    /// until now, 0 when it was not (Redis lost it, or it missed its heartbeats and was pruned): it must then
    /// write its state again.
    /// </summary>
    public const string Heartbeat = PrunePresence + """
        local alive = redis.call('EXISTS', 'rawrelay:node:' .. ARGV[1])
        redis.call('SET', 'rawrelay:node:' .. ARGV[1], '1', 'PX', ARGV[2])
        redis.call('SADD', 'rawrelay:nodes', ARGV[1])
        for _, m in ipairs(redis.call('SMEMBERS', 'rawrelay:nodes')) do
          if redis.call('EXISTS', 'rawrelay:node:' .. m) == 0 then
            for _, s in ipairs(redis.call('SMEMBERS', 'rawrelay:streams:' .. m)) do
              redis.call('HDEL', 'rawrelay:count:' .. s, m)
              if string.sub(s, 1, 1) == '#' and redis.call('EXISTS', 'rawrelay:count:' .. s) == 0 then
                redis.call('PEXPIRE', 'rawrelay:subs:' .. string.sub(s, 2), ARGV[3])
              end
            end
            redis.call('DEL', 'rawrelay:streams:' .. m)
            prune_presence(m, true)
            redis.call('SREM', 'rawrelay:nodes', m)
          end
        end
        return alive
        """;

    /// <summary>
    /// SUBSCRIBE: remembers the subscription cluster-wide and tells the relays that hold the id's connections,
    /// in one step. KEYS[1] the id's subscription set, KEYS[2] its stream's count hash; ARGV[1] the channel,
    /// ARGV[2] --max-channels, ARGV[3] the subscription ttl (ms), ARGV[4] the id stream's channel, ARGV[5]
    /// the request. Returns -1 past --max-channels, else how many relays got the request.
    /// </summary>
    public const string Subscribe = LiveCount + """
        if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 and redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return -1 end
        redis.call('SADD', KEYS[1], ARGV[1])
        if live(KEYS[2]) > 0 then redis.call('PERSIST', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
        return redis.call('PUBLISH', ARGV[4], ARGV[5])
        """;

    /// <summary>UNSUBSCRIBE: KEYS[1] the id's subscription set; ARGV[1] the channel, ARGV[2] the id stream's channel, ARGV[3] the request.</summary>
    public const string Unsubscribe = """
        redis.call('SREM', KEYS[1], ARGV[1])
        return redis.call('PUBLISH', ARGV[2], ARGV[3])
        """;

    /// <summary>After Redis came back: an id's subscriptions as this relay knows them. KEYS[1] the set; ARGV the channels.</summary>
    public const string RestoreSubscriptions = """
        for i = 1, #ARGV do redis.call('SADD', KEYS[1], ARGV[i]) end
        return 0
        """;
}
