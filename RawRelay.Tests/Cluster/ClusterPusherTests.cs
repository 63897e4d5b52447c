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

        await pusher.Raw.SendTextAsync($"{{\"event\":\"pusher:unsubscribe\",\"data\":{{\"channel\":\"{channel}\"}}}}", ct);
        while (await a.CommandAsync($"PUBLISH MESSAGE {channel} after", ct) != "OK 0")
            await Task.Delay(20, ct);
        (await a.CommandAsync($"SEND MESSAGE {pusher.SocketId} still-here", ct)).Should().Be("OK 1");
        (await pusher.ReceiveAsync(ct)).Json.Should().Be("{\"event\":\"message\",\"data\":\"still-here\"}",
            "nothing published after the unsubscribe counted it reached it");
    }
}
