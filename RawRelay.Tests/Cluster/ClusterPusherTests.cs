using RawRelay.Tests.Infrastructure;
using RawRelay.Tests.Pusher;

namespace RawRelay.Tests.Cluster;

/// <summary>
/// A Pusher subscription in a cluster (SPEC Part 2: the cluster serves both protocols): once a Pusher client
/// has its subscription_succeeded, a native PUBLISH on any relay reaches it and counts it; once it has
/// unsubscribed, it is counted no more.
/// </summary>
[TestFixture, NonParallelizable]
public sealed class ClusterPusherTests
{
    [Test, CancelAfter(60_000)]
    public async Task A_publish_on_one_relay_reaches_a_pusher_client_on_another_and_counts_it(CancellationToken ct)
    {
        await using RelayCluster cluster = await RelayCluster.StartAsync(2, ct, "--pusher-app", $"{PusherWireClient.AppId}:{PusherWireClient.Key}:{PusherWireClient.Secret}");
        RelayProcess[] n = cluster.Relays;
        string channel = "orders-" + Guid.NewGuid().ToString("N")[..8];
        await using PusherWireClient pusher = await PusherWireClient.ConnectAsync(n[1].Port, ct);
        (await pusher.SubscribeAsync(channel, ct)).Event.Should().Be("pusher_internal:subscription_succeeded");
        using ControlClient a = n[0].OpenControl();

        (await a.CommandAsync($"PUBLISH MESSAGE {channel} {{\"id\":7}}", ct)).Should().Be("OK 1", "the Pusher client on n2 counts");
        (await pusher.ReceiveAsync(ct)).Json.Should().Be($"{{\"event\":\"message\",\"channel\":\"{channel}\",\"data\":\"{{\\\"id\\\":7}}\"}}");
        (await a.CommandAsync($"SEND MESSAGE {pusher.SocketId} direct", ct)).Should().Be("OK 1", "its socket id is an id of the cluster");
        (await pusher.ReceiveAsync(ct)).Json.Should().Be("{\"event\":\"message\",\"data\":\"direct\"}");

        // Publishes that still counted it (sent before its relay read the unsubscribe) may reach it; the first
        // that no longer counts it, and what comes after, must not.
        await pusher.Raw.SendTextAsync($"{{\"event\":\"pusher:unsubscribe\",\"data\":{{\"channel\":\"{channel}\"}}}}", ct);
        int sent = 0;
        await TaskTimeouts.Eventually(async () => await a.CommandAsync($"PUBLISH MESSAGE {channel} after-{++sent}", ct) == "OK 0");
        (await a.CommandAsync($"SEND MESSAGE {pusher.SocketId} still-here", ct)).Should().Be("OK 1");
        var counted = Enumerable.Range(1, sent - 1).Select(k => $"{{\"event\":\"message\",\"channel\":\"{channel}\",\"data\":\"after-{k}\"}}").ToList();
        string next;
        while ((next = (await pusher.ReceiveAsync(ct)).Json) != "{\"event\":\"message\",\"data\":\"still-here\"}")
            counted.Should().Contain(next, "only a publish that counted the Pusher client reaches it");
    }
}
