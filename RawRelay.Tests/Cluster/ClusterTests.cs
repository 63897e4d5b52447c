using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Cluster;

/// <summary>
/// Three relay processes on one Redis (SPEC Part 2, "More than one machine"): commands on any relay act on
/// the whole cluster, a stream's messages travel only to the relays that have its connections, a relay that
/// dies leaves the counts, and a Redis that restarts empty gets the cluster's state back.
/// </summary>
[TestFixture, NonParallelizable]
public sealed class ClusterTests
{
    [Test, CancelAfter(60_000)]
    public async Task A_message_sent_on_one_relay_reaches_clients_on_the_others(CancellationToken ct)
    {
        await using RelayCluster cluster = await RelayCluster.StartAsync(3, ct);
        RelayProcess[] n = cluster.Relays;
        await using var onB = await RawWebSocketClient.ConnectAsync(n[1].Port, "u1", ct);
        await using var onC = await RawWebSocketClient.ConnectAsync(n[2].Port, "u1", ct);
        await using var other = await RawWebSocketClient.ConnectAsync(n[2].Port, "u2", ct, query: "&channel=news");
        using ControlClient a = n[0].OpenControl();

        (await a.CommandAsync("SEND MESSAGE u1 from-a", ct)).Should().Be("OK 2", "u1 has a tab on n2 and one on n3");
        (await onB.ReceiveTextAsync(ct).WithTimeout()).Should().Be("from-a");
        (await onC.ReceiveTextAsync(ct).WithTimeout()).Should().Be("from-a");

        (await a.CommandAsync("PUBLISH MESSAGE news headline", ct)).Should().Be("OK 1");
        (await other.ReceiveTextAsync(ct).WithTimeout()).Should().Be("headline");

        using ControlClient b = n[1].OpenControl();
        (await b.CommandAsync("BROADCAST MESSAGE everyone", ct)).Should().Be("OK 3");
        foreach (RawWebSocketClient client in new[] { onB, onC, other })
            (await client.ReceiveTextAsync(ct).WithTimeout()).Should().Be("everyone");

        await a.WriteAsync("SEND BINARY u2 3\n\x00\x01\x02", ct);
        (await a.ReadLineAsync(ct).WithTimeout()).Should().Be("OK 1");
        WsFrame binary = await other.ReceiveDataFrameAsync(ct).WithTimeout();
        binary.Opcode.Should().Be(WsFrame.Binary);
        binary.Payload.Should().Equal(0, 1, 2);
        (await a.CommandAsync("SEND MESSAGE nobody x", ct)).Should().Be("OK 0");
    }

    [Test, CancelAfter(60_000)]
    public async Task A_channels_messages_reach_only_the_relays_with_connections_on_it(CancellationToken ct)
    {
        await using RelayCluster cluster = await RelayCluster.StartAsync(3, ct);
        RelayProcess[] n = cluster.Relays;
        RedisServer redis = cluster.Redis;
        string news = "rawrelay:s:news", star = "rawrelay:s:*";
        (await redis.SubscribersAsync(news, star)).Should().Equal([0L, 0L], "no relay has a connection yet");

        await using (var reader = await RawWebSocketClient.ConnectAsync(n[1].Port, "r1", ct, query: "&channel=news"))
        {
            (await redis.SubscribersAsync(news, star, "rawrelay:s:#r1")).Should().Equal([1L, 1L, 1L],
                "only n2 has a connection on news, on * and on #r1, and it subscribed before the 101");
            using ControlClient c = n[2].OpenControl();
            string payload = new('x', 10_000);
            long before = await OutputBytesAsync(redis);
            for (int i = 0; i < 50; i++)
                (await c.CommandAsync($"PUBLISH MESSAGE news {i:D2}{payload}", ct)).Should().Be("OK 1");
            for (int i = 0; i < 50; i++)
                (await reader.ReceiveTextAsync(ct).WithTimeout()).Should().StartWith($"{i:D2}xxx");
            // Redis's output: each 10 KB message once, to the one relay that has news (sent to three, it would be 1.5 MB).
            long sent = await OutputBytesAsync(redis) - before;
            sent.Should().BeInRange(50 * 10_000, 50 * 10_000 * 5 / 4, "each message went to one relay");
        }

        await TaskTimeouts.Eventually(async () => (await redis.SubscribersAsync(news, star, "rawrelay:s:#r1")).All(s => s == 0));
    }

    [Test, CancelAfter(60_000)]
    public async Task List_and_counts_cover_the_whole_cluster(CancellationToken ct)
    {
        await using RelayCluster cluster = await RelayCluster.StartAsync(3, ct);
        RelayProcess[] n = cluster.Relays;
        await using var one = await RawWebSocketClient.ConnectAsync(n[0].Port, "alice", ct);
        await using var two = await RawWebSocketClient.ConnectAsync(n[1].Port, "bob", ct, query: "&channel=room");
        await using var three = await RawWebSocketClient.ConnectAsync(n[2].Port, "bob", ct);

        foreach (RelayProcess relay in n)
        {
            using ControlClient control = relay.OpenControl();
            (List<string> lines, string status) = await control.CommandWithDataAsync("LIST WEBSOCKETS", ct);
            status.Should().Be("OK 3", "every relay lists every relay's connections");
            lines.Should().HaveCount(3);
            lines.Select(l => l.Split(' ')).Select(f => (f[0], f[2])).Should().Equal(("alice", "n1"), ("bob", "n2"), ("bob", "n3"));
            lines.Should().OnlyContain(l => l.Split(' ').Length == 3 && l.Split(' ')[1].StartsWith("127.0.0.1:"));
        }

        using ControlClient a = n[0].OpenControl();
        await ExpectReplyAsync(a, "LIST WEBSOCKETS room", [$"bob {Peer(two)} n2"], "OK 1", ct);
        (await a.CommandAsync("SUBSCRIBE bob room", ct)).Should().Be("OK 2", "both of bob's connections are on room now");
        await ExpectReplyAsync(a, "LIST CHANNELS", ["channel room 2"], "OK 1", ct);
        using (ControlClient b = n[1].OpenControl())
            (await b.CommandAsync("SUBSCRIBE erin lobby", ct)).Should().Be("OK 0", "erin has no connection yet");
        await ExpectReplyAsync(a, "LIST CHANNELS", ["channel lobby 0", "channel room 2"], "OK 2", ct);
        using ControlClient c = n[2].OpenControl();
        (await c.CommandAsync("PUBLISH MESSAGE room hello", ct)).Should().Be("OK 2");
        (await two.ReceiveTextAsync(ct).WithTimeout()).Should().Be("hello");
        (await three.ReceiveTextAsync(ct).WithTimeout()).Should().Be("hello");
        await ExpectReplyAsync(c, "CHANNELS bob", ["channel room"], "OK 1", ct);

        // A subscription made before the id connects holds for its connection on any relay.
        (await c.CommandAsync("SUBSCRIBE carol room", ct)).Should().Be("OK 0");
        await using var carol = await RawWebSocketClient.ConnectAsync(n[1].Port, "carol", ct);
        (await a.CommandAsync("PUBLISH MESSAGE room again", ct)).Should().Be("OK 3", "carol is on room from before her 101");
        (await carol.ReceiveTextAsync(ct).WithTimeout()).Should().Be("again");
        (await two.ReceiveTextAsync(ct).WithTimeout()).Should().Be("again");
        (await three.ReceiveTextAsync(ct).WithTimeout()).Should().Be("again");

        (await c.CommandAsync("UNSUBSCRIBE bob room", ct)).Should().Be("OK 2");
        (await a.CommandAsync("PUBLISH MESSAGE room third", ct)).Should().Be("OK 1", "only carol is left on room");
        (await carol.ReceiveTextAsync(ct).WithTimeout()).Should().Be("third");

        (await a.CommandAsync("CLOSE bob 4000 bye", ct)).Should().Be("OK 2");
        (await two.ExpectClosedWithAsync(4000, ct).WithTimeout()).CloseReason.Should().Be("bye");
        (await three.ExpectClosedWithAsync(4000, ct).WithTimeout()).CloseReason.Should().Be("bye");
        await TaskTimeouts.Eventually(async () => await a.CommandAsync("BROADCAST MESSAGE x", ct) == "OK 2");

        using WatchClient watch = await WatchClient.StartAsync(n[2].ControlPath, ct);
        await using var dave = await RawWebSocketClient.ConnectAsync(n[2].Port, "dave", ct);
        string handle = (await watch.UntilAsync("OPEN", e => e.Id == "dave", ct)).Last().Handle;
        (await a.CommandAsync($"DISCONNECT {handle} 4001", ct)).Should().Be("OK 1", "n1 finds dave's relay by the handle");
        await dave.ExpectClosedWithAsync(4001, ct).WithTimeout();
        (await a.CommandAsync($"DISCONNECT {handle}", ct)).Should().Be("OK 0");
    }

    [Test, CancelAfter(60_000)]
    public async Task Max_channels_counts_an_ids_subscriptions_cluster_wide(CancellationToken ct)
    {
        await using RelayCluster cluster = await RelayCluster.StartAsync(2, ct, "--max-channels", "2");
        using ControlClient a = cluster.Relays[0].OpenControl();
        using ControlClient b = cluster.Relays[1].OpenControl();
        (await a.CommandAsync("SUBSCRIBE u a", ct)).Should().Be("OK 0");
        (await b.CommandAsync("SUBSCRIBE u b", ct)).Should().Be("OK 0");
        (await a.CommandAsync("SUBSCRIBE u c", ct)).Should().Be("ERR too many channels", "u has two subscriptions, made on two relays");
        (await b.CommandAsync("SUBSCRIBE u a", ct)).Should().Be("OK 0", "one it has already is fine");
        (await b.CommandAsync("UNSUBSCRIBE u a", ct)).Should().Be("OK 0");
        (await a.CommandAsync("SUBSCRIBE u c", ct)).Should().Be("OK 0");
        await ExpectReplyAsync(b, "CHANNELS u", ["channel b", "channel c"], "OK 2", ct);
    }

    [Test, CancelAfter(60_000)]
    public async Task A_relay_killed_with_sigkill_leaves_the_list_and_counts_within_the_node_timeout(CancellationToken ct)
    {
        await using RelayCluster cluster = await RelayCluster.StartAsync(3, ct);
        RelayProcess[] n = cluster.Relays;
        await using var one = await RawWebSocketClient.ConnectAsync(n[0].Port, "u", ct);
        await using var three = await RawWebSocketClient.ConnectAsync(n[2].Port, "u", ct);
        using ControlClient a = n[0].OpenControl();
        (await a.CommandAsync("SEND MESSAGE u before", ct)).Should().Be("OK 2");

        n[2].Kill();
        DateTime killed = DateTime.UtcNow;
        await TaskTimeouts.Eventually(async () => await a.CommandAsync("SEND MESSAGE u after", ct) == "OK 1",
            TimeSpan.FromSeconds(RelayCluster.NodeTimeout + 2));
        (DateTime.UtcNow - killed).TotalSeconds.Should().BeLessThan(RelayCluster.NodeTimeout + 1);
        (await a.CommandWithDataAsync("LIST WEBSOCKETS", ct)).Status.Should().Be("OK 1");
        (await a.CommandAsync("BROADCAST MESSAGE left", ct)).Should().Be("OK 1");
        using ControlClient b = n[1].OpenControl();
        (await b.CommandAsync("BROADCAST MESSAGE again", ct)).Should().Be("OK 1");
    }

    [Test, CancelAfter(90_000)]
    public async Task Redis_restarted_mid_run_the_relays_answer_unavailable_then_restore_their_state(CancellationToken ct)
    {
        await using RelayCluster cluster = await RelayCluster.StartAsync(2, ct);
        RelayProcess[] n = cluster.Relays;
        await using var one = await RawWebSocketClient.ConnectAsync(n[0].Port, "u1", ct);
        await using var two = await RawWebSocketClient.ConnectAsync(n[1].Port, "u2", ct, query: "&channel=own");
        using ControlClient a = n[0].OpenControl();
        (await a.CommandAsync("SUBSCRIBE u1 news", ct)).Should().Be("OK 1");
        (await a.CommandAsync("PUBLISH MESSAGE news m1", ct)).Should().Be("OK 1");
        (await one.ReceiveTextAsync(ct).WithTimeout()).Should().Be("m1");

        await cluster.Redis.KillAsync();
        foreach (RelayProcess relay in n)
            await TaskTimeouts.Eventually(() => Task.FromResult(RelayCluster.DownLines(relay) == 1));
        foreach (string command in new[] { "SEND MESSAGE u2 lost", "PUBLISH MESSAGE news lost", "BROADCAST MESSAGE lost", "CLOSE u2",
                     "DISCONNECT x.1", "SUBSCRIBE u2 news", "UNSUBSCRIBE u1 news", "POSITION news", "LIST WEBSOCKETS", "LIST CHANNELS" })
        {
            DateTime asked = DateTime.UtcNow;
            (await a.CommandAsync(command, ct).WithTimeout()).Should().Be("ERR cluster unavailable", command);
            (DateTime.UtcNow - asked).TotalSeconds.Should().BeLessThan(2, command);
        }

        await cluster.Redis.RestartAsync();
        foreach (RelayProcess relay in n)
            await TaskTimeouts.Eventually(() => Task.FromResult(RelayCluster.UpLines(relay) == 2), TimeSpan.FromSeconds(20));

        // Redis came back empty: each relay put back its connections, counts and subscriptions.
        (await a.CommandWithDataAsync("LIST WEBSOCKETS", ct)).Status.Should().Be("OK 2");
        (await a.CommandAsync("PUBLISH MESSAGE news m2", ct)).Should().Be("OK 1", "u1's subscription to news is back");
        (await a.CommandAsync("PUBLISH MESSAGE own o1", ct)).Should().Be("OK 1", "u2's connect-time channel is back");
        (await a.CommandAsync("SEND MESSAGE u2 s1", ct)).Should().Be("OK 1");
        (await a.CommandAsync("BROADCAST MESSAGE b1", ct)).Should().Be("OK 2");
        // Nothing of the outage arrives, nothing twice: the connections stayed open and see exactly these.
        (await one.ReceiveTextAsync(ct).WithTimeout()).Should().Be("m2");
        (await one.ReceiveTextAsync(ct).WithTimeout()).Should().Be("b1");
        var atTwo = new List<string>();
        for (int i = 0; i < 3; i++)
            atTwo.Add(await two.ReceiveTextAsync(ct).WithTimeout());
        atTwo.Should().BeEquivalentTo(["o1", "s1", "b1"]);
        (await a.CommandAsync("SEND MESSAGE u1 last", ct)).Should().Be("OK 1");
        (await one.ReceiveTextAsync(ct).WithTimeout()).Should().Be("last", "no copy of an earlier message came in between");
        RelayCluster.DownLines(n[0]).Should().Be(1, "one log line per change of state");
    }

    [Test, CancelAfter(60_000)]
    public async Task A_relay_started_while_redis_is_away_accepts_clients_and_joins_when_it_comes(CancellationToken ct)
    {
        await using RelayCluster cluster = await RelayCluster.StartAsync(1, ct);
        await cluster.Redis.KillAsync();
        await using RelayProcess late = await RelayProcess.StartOnLoopbackAsync(["--redis", cluster.Redis.Url, "--node-name", "late", "--node-timeout", "2"], ct);
        await late.WaitForLineAsync(l => l.Contains(" WARN redis down: ", StringComparison.Ordinal)).WithTimeout();
        await using var early = await RawWebSocketClient.ConnectAsync(late.Port, "early", ct);
        using ControlClient control = late.OpenControl();
        (await control.CommandAsync("LIST WEBSOCKETS", ct)).Should().Be("ERR cluster unavailable");

        await cluster.Redis.RestartAsync();
        await late.WaitForLineAsync(l => l.Contains(" INFO redis up: ", StringComparison.Ordinal) && l.Contains("1 connection(s) restored"))
            .WithTimeout(TimeSpan.FromSeconds(20));
        using ControlClient other = cluster.Relays[0].OpenControl();
        await TaskTimeouts.Eventually(async () => await other.CommandAsync("SEND MESSAGE early hi", ct) == "OK 1", TimeSpan.FromSeconds(20));
        (await early.ReceiveTextAsync(ct).WithTimeout()).Should().Be("hi");
    }

    [Test, CancelAfter(60_000)]
    public async Task A_redis_that_forgets_everything_without_a_disconnect_gets_the_state_back_within_a_heartbeat(CancellationToken ct)
    {
        await using RelayCluster cluster = await RelayCluster.StartAsync(2, ct);
        RelayProcess[] n = cluster.Relays;
        await using var one = await RawWebSocketClient.ConnectAsync(n[0].Port, "u1", ct);
        await using var two = await RawWebSocketClient.ConnectAsync(n[1].Port, "u2", ct);
        using ControlClient a = n[0].OpenControl();
        (await a.CommandAsync("SUBSCRIBE u2 news", ct)).Should().Be("OK 1");

        (await cluster.Redis.CliAsync("FLUSHALL")).Should().Be("OK");
        await TaskTimeouts.Eventually(async () => await a.CommandAsync("BROADCAST MESSAGE b", ct) == "OK 2",
            TimeSpan.FromSeconds(RelayCluster.NodeTimeout + 2));
        (await a.CommandAsync("PUBLISH MESSAGE news p", ct)).Should().Be("OK 1", "u2's subscription is back");
        // Each relay's line is on its way to the test's pipe while the counts are back already: wait for it.
        foreach (RelayProcess relay in n)
        {
            await TaskTimeouts.Eventually(() => Task.FromResult(relay.CountLines(l => l.Contains("state was gone from Redis; restoring it", StringComparison.Ordinal)) > 0));
            relay.CountLines(l => l.Contains("state was gone from Redis; restoring it", StringComparison.Ordinal)).Should().Be(1);
        }
    }

    [Test, CancelAfter(60_000)]
    public async Task The_metrics_show_whether_redis_is_up_and_its_round_trip(CancellationToken ct)
    {
        int metricsPort = LoopbackPort.Free();
        await using RelayCluster cluster = await RelayCluster.StartAsync(1, ct, "--metrics", $"127.0.0.1:{metricsPort}");
        await using var client = await RawWebSocketClient.ConnectAsync(cluster.Relays[0].Port, "u1", ct, query: "&channel=news");
        Exposition up = await Exposition.WaitAsync(metricsPort, e => e["rawrelay_redis_rtt_seconds"] > 0, ct).WithTimeout();
        up["rawrelay_redis_up"].Should().Be(1);
        up["rawrelay_redis_rtt_seconds"].Should().BeLessThan(1);
        up["rawrelay_redis_subscribed_streams"].Should().Be(3, "*, #u1 and news");
        up.Types["rawrelay_redis_up"].Should().Be("gauge");

        await cluster.Redis.KillAsync();
        (await Exposition.WaitAsync(metricsPort, e => e["rawrelay_redis_up"] == 0, ct).WithTimeout())["rawrelay_connections"].Should().Be(1,
            "connections stay open while Redis is away");
        await cluster.Redis.RestartAsync();
        await Exposition.WaitAsync(metricsPort, e => e["rawrelay_redis_up"] == 1, ct).WithTimeout(TimeSpan.FromSeconds(20));
    }

    [Test, CancelAfter(180_000)]
    public async Task A_hundred_thousand_sends_spread_over_three_control_sockets_all_arrive(CancellationToken ct)
    {
        const int total = 100_000, relays = 3;
        await using RelayCluster cluster = await RelayCluster.StartAsync(relays, ct);
        RelayProcess[] n = cluster.Relays;
        var clients = new RawWebSocketClient[relays];
        for (int i = 0; i < relays; i++)
            clients[i] = await RawWebSocketClient.ConnectAsync(n[i].Port, $"c{i}", ct);
        try
        {
            // Control socket s sends SEND MESSAGE c<k> s:<seq> for k = seq % 3: each client gets a third of
            // every socket's messages, most of them through another relay.
            Task<int>[] received = [.. clients.Select((client, k) => ReceiveAllAsync(client, k, total, relays, ct))];
            await Task.WhenAll(Enumerable.Range(0, relays).Select(s => SendAllAsync(n[s], s, total, relays, ct)));
            int[] counts = await Task.WhenAll(received).WithTimeout(TimeSpan.FromSeconds(60));
            counts.Sum().Should().Be(total);
        }
        finally
        {
            foreach (RawWebSocketClient client in clients)
                await client.DisposeAsync();
        }
    }

    private static async Task SendAllAsync(RelayProcess relay, int socket, int total, int relays, CancellationToken ct)
    {
        using ControlClient control = relay.OpenControl();
        var lines = new List<string>();
        for (int seq = socket; seq < total; seq += relays)
            lines.Add($"SEND MESSAGE c{seq % relays} {socket}:{seq}");
        foreach (string[] chunk in lines.Chunk(1000))
        {
            string[] replies = await control.PipelineAsync(chunk, ct).WithTimeout(TimeSpan.FromSeconds(60));
            replies.Should().AllBe("OK 1");
        }
    }

    /// <summary>Reads client k's messages until it has all meant for it: none missing, none twice, each socket's in order.</summary>
    private static async Task<int> ReceiveAllAsync(RawWebSocketClient client, int k, int total, int relays, CancellationToken ct)
    {
        int expected = Enumerable.Range(0, total).Count(seq => seq % relays == k);
        var last = new int[relays];
        Array.Fill(last, -1);
        var seen = new HashSet<int>();
        while (seen.Count < expected)
        {
            string text = await client.ReceiveTextAsync(ct).WithTimeout(TimeSpan.FromSeconds(60));
            string[] parts = text.Split(':');
            int socket = int.Parse(parts[0]), seq = int.Parse(parts[1]);
            seen.Add(seq).Should().BeTrue($"message {text} came twice");
            seq.Should().BeGreaterThan(last[socket], "one control socket's messages to one id come in order");
            last[socket] = seq;
        }

        return seen.Count;
    }

    private static async Task ExpectReplyAsync(ControlClient control, string command, string[] lines, string status, CancellationToken ct)
    {
        (List<string> data, string got) = await control.CommandWithDataAsync(command, ct);
        data.Should().Equal(lines, command);
        got.Should().Be(status, command);
    }

    private static string Peer(RawWebSocketClient client) => client.Socket.LocalEndPoint!.ToString()!;

    /// <summary>Bytes Redis has written to all its clients since it started (INFO stats).</summary>
    private static async Task<long> OutputBytesAsync(RedisServer redis)
    {
        string info = await redis.CliAsync("INFO", "stats");
        string line = info.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("total_net_output_bytes:", StringComparison.Ordinal));
        return long.Parse(line.Split(':')[1]);
    }
}
