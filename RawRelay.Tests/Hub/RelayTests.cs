using RawRelay.Hub;

namespace RawRelay.Tests.Hub;

/// <summary>What SEND and BROADCAST count: the connections on the stream, those cut off by this message included,
/// and never one that was already closing (whose message was dropped).</summary>
public sealed class RelayTests
{
    [Test]
    public void A_connection_that_drops_the_message_is_not_counted_and_one_cut_off_by_it_is()
    {
        var registry = new ConnectionRegistry();
        var stats = new RelayStats();
        var relay = new Relay(registry, stats);
        FakeConnection queued = new("tab", 1), cutOff = new("tab", 2, DeliveryResult.CutOff), closing = new("tab", 3, DeliveryResult.Dropped);
        foreach (FakeConnection connection in new[] { queued, cutOff, closing })
            registry.TryAdd(connection, int.MaxValue);

        relay.Send("tab", new Message(MessageKind.Text, "hi"u8.ToArray())).Should().Be(2);
        relay.Broadcast(new Message(MessageKind.Text, "all"u8.ToArray())).Should().Be(2);

        stats.MessagesOut.Should().Be(2, "only the queued ones went out");
        new[] { queued, cutOff, closing }.Should().OnlyContain(c => c.Delivered == 2);
    }

    [Test]
    public void Close_counts_the_connections_it_closes()
    {
        var registry = new ConnectionRegistry();
        var relay = new Relay(registry, new RelayStats());
        FakeConnection open = new("tab", 1), closing = new("tab", 2) { IsClosing = true };
        registry.TryAdd(open, int.MaxValue);
        registry.TryAdd(closing, int.MaxValue);

        relay.Close("tab", 1000, "bye").Should().Be(1);
        open.IsClosing.Should().BeTrue();
    }
}
