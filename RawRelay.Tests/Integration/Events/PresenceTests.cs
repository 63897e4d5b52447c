using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration.Events;

/// <summary>
/// SPEC, What browsers say reaches PHP: OFFLINE comes --offline-delay after an id's last connection closed,
/// and not at all when the id comes back within it (a page navigation is not a departure); OCCUPIED when a
/// vacant channel gets a connection, VACATED when its last has been gone for the delay.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class PresenceTests
{
    private const double Delay = 0.4;
    private RelayFixture _relay = null!;

    [OneTimeSetUp]
    public void StartRelay() => _relay = RelayFixture.Start(o => o with { OfflineDelay = Delay });

    [OneTimeTearDown]
    public async Task StopRelay() => await _relay.DisposeAsync();

    [Test, CancelAfter(10_000)]
    public async Task Offline_comes_after_the_delay_once_the_last_connection_closed(CancellationToken ct)
    {
        using WatchClient watch = await WatchClient.StartAsync(_relay.ControlPath, ct);
        string id = TestData.NewId("leaver");
        RawWebSocketClient one = await _relay.ConnectAsync(id, ct);
        RawWebSocketClient two = await _relay.ConnectAsync(id, ct);
        await CloseAsync(one, ct);
        await CloseAsync(two, ct);

        var events = new List<WatchEvent>();
        for (int closes = 0; closes < 2;)
        {
            events.Add(await watch.ExpectAsync(ct));
            closes += events[^1] is { Kind: "CLOSE" } close && close.Id == id ? 1 : 0;
        }

        DateTime lastClose = DateTime.UtcNow;
        events.AddRange(await watch.UntilAsync("OFFLINE", e => e.Id == id, ct));
        (DateTime.UtcNow - lastClose).TotalSeconds.Should().BeGreaterThan(Delay * 0.8, "not before the delay");
        events.Where(e => e.Id == id).Select(e => e.Kind).Should().Equal("OPEN", "OPEN", "CLOSE", "CLOSE", "OFFLINE");
    }

    [Test, CancelAfter(10_000)]
    public async Task A_reload_within_the_delay_is_no_departure(CancellationToken ct)
    {
        using WatchClient watch = await WatchClient.StartAsync(_relay.ControlPath, ct);
        string id = TestData.NewId("reload"), other = TestData.NewId("later");
        await CloseAsync(await _relay.ConnectAsync(id, ct), ct);
        await watch.UntilAsync("CLOSE", e => e.Id == id, ct);
        await using RawWebSocketClient again = await _relay.ConnectAsync(id, ct);       // the next page
        await watch.UntilAsync("OPEN", e => e.Id == id, ct);

        // Another id leaves after it: OFFLINE events come in the order they fall due, so the other id's
        // proves that the first id's would have come by then.
        await CloseAsync(await _relay.ConnectAsync(other, ct), ct);
        List<WatchEvent> events = await watch.UntilAsync("OFFLINE", e => e.Id == other, ct);
        events.Should().NotContain(e => e.Kind == "OFFLINE" && e.Id == id, "it came back within the delay");
    }

    [Test, CancelAfter(10_000)]
    public async Task A_channel_is_occupied_by_its_first_connection_and_vacated_after_its_last_left(CancellationToken ct)
    {
        using WatchClient watch = await WatchClient.StartAsync(_relay.ControlPath, ct);
        using ControlClient control = _relay.OpenControl();
        string room = TestData.NewId("room"), id = TestData.NewId("member");
        RawWebSocketClient first = await RawWebSocketClient.ConnectAsync(_relay.Port, TestData.NewId("m"), ct, query: "&channel=" + room);
        (await watch.UntilAsync("OCCUPIED", e => e.Fields[0] == room, ct)).Should().NotBeEmpty();
        await using RawWebSocketClient second = await _relay.ConnectAsync(id, ct);
        (await control.CommandAsync($"SUBSCRIBE {id} {room}", ct)).Should().Be("OK 1");
        await CloseAsync(first, ct);
        (await control.CommandAsync($"UNSUBSCRIBE {id} {room}", ct)).Should().Be("OK 1");
        (await control.CommandAsync($"SUBSCRIBE {id} {room}", ct)).Should().Be("OK 1", "back within the delay");
        (await control.CommandAsync($"UNSUBSCRIBE {id} {room}", ct)).Should().Be("OK 1");

        List<WatchEvent> events = await watch.UntilAsync("VACATED", e => e.Fields[0] == room, ct);
        events.Should().NotContain(e => e.Kind == "OCCUPIED" && e.Fields[0] == room, "it stayed occupied while it came back within the delay");
        (await control.CommandAsync($"SUBSCRIBE {id} {room}", ct)).Should().Be("OK 1");
        (await watch.UntilAsync("OCCUPIED", e => e.Fields[0] == room, ct)).Should().NotContain(e => e.Kind == "VACATED" && e.Fields[0] == room);
    }

    private static async Task CloseAsync(RawWebSocketClient client, CancellationToken ct)
    {
        await client.SendAsync(ClientFrames.Close(1000), ct);
        (await client.ReceiveCloseCodeAsync(ct).WithTimeout()).Should().Be(1000);
        await client.DisposeAsync();
    }
}
