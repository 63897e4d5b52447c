using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration.Channels;

/// <summary>
/// <c>--subscription-ttl</c>: an id's subscriptions are forgotten once it has had no open connection for
/// that long, counted from its last close or its latest SUBSCRIBE, whichever is later; a connection in time
/// keeps them.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class SubscriptionTtlTests
{
    private RelayFixture _relay = null!;

    [OneTimeSetUp]
    public void StartRelay() => _relay = RelayFixture.Start(o => o with { SubscriptionTtl = 2 });

    [OneTimeTearDown]
    public async Task StopRelay() => await _relay.DisposeAsync();

    [Test, CancelAfter(20_000)]
    public async Task Subscriptions_of_an_id_without_connections_expire_after_the_ttl(CancellationToken ct)
    {
        string id = TestData.NewId("ttl"), channel = TestData.NewId("ch");
        using ControlClient control = _relay.OpenControl();
        (await control.CommandAsync($"SUBSCRIBE {id} {channel}", ct)).Should().Be("OK 0");
        DateTime subscribed = DateTime.UtcNow;
        (await control.CommandWithDataAsync("LIST CHANNELS", ct)).Data.Should().Contain($"channel {channel} 0");

        await TaskTimeouts.Eventually(async () => (await control.CommandWithDataAsync($"CHANNELS {id}", ct)).Status == "OK 0",
            TimeSpan.FromSeconds(10));
        (DateTime.UtcNow - subscribed).Should().BeGreaterThan(TimeSpan.FromSeconds(1.9), "not before the ttl");
        (await control.CommandWithDataAsync("LIST CHANNELS", ct)).Data.Should().NotContain(l => l.StartsWith($"channel {channel} "));

        await using RawWebSocketClient late = await _relay.ConnectAsync(id, ct);
        (await control.CommandAsync($"PUBLISH MESSAGE {channel} x", ct)).Should().Be("OK 0", "the subscription is gone");
    }

    [Test, CancelAfter(20_000)]
    public async Task The_ttl_counts_from_the_last_close_and_a_reconnect_in_time_keeps_the_subscriptions(CancellationToken ct)
    {
        string id = TestData.NewId("keep"), channel = TestData.NewId("ch");
        using ControlClient control = _relay.OpenControl();
        await using (RawWebSocketClient first = await _relay.ConnectAsync(id, ct))
        {
            (await control.CommandAsync($"SUBSCRIBE {id} {channel}", ct)).Should().Be("OK 1");
            await CloseAsync(first, ct);
        }

        // Connected for longer than the ttl, now and then closed and reopened within it. Each page closes with
        // the closing handshake: once the relay has answered, it counts the page no more.
        DateTime start = DateTime.UtcNow;
        while (DateTime.UtcNow - start < TimeSpan.FromSeconds(5))
        {
            await using RawWebSocketClient page = await _relay.ConnectAsync(id, ct);
            (await control.CommandAsync($"PUBLISH MESSAGE {channel} still", ct)).Should().Be("OK 1");
            (await page.ReceiveTextAsync(ct).WithTimeout()).Should().Be("still");
            await Task.Delay(TimeSpan.FromMilliseconds(700), ct);   // a page that is open for a moment: time passing is the point
            await CloseAsync(page, ct);
        }

        (await control.CommandWithDataAsync($"CHANNELS {id}", ct)).Data.Should().Equal($"channel {channel}");
    }

    private static async Task CloseAsync(RawWebSocketClient page, CancellationToken ct)
    {
        await page.SendAsync(ClientFrames.Close(1000), ct);
        (await page.ReceiveCloseCodeAsync(ct).WithTimeout()).Should().Be(1000);
    }
}
