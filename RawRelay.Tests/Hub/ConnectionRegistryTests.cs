using System.Diagnostics;
using RawRelay.Hub;

namespace RawRelay.Tests.Hub;

/// <summary>
/// The registry tracks connections at O(1) per add and remove, also when thousands share one id (one
/// removal used to copy the id's whole array, and every change re-sorted all connections for LIST).
/// </summary>
public sealed class ConnectionRegistryTests
{
    [Test]
    public void Twenty_thousand_connections_of_one_id_come_and_go_in_linear_time()
    {
        const int Count = 20_000;
        var registry = new ConnectionRegistry();
        var connections = Enumerable.Range(0, Count).Select(i => new FakeConnection("same", i)).ToArray();
        var clock = Stopwatch.StartNew();

        foreach (FakeConnection connection in connections)
        {
            registry.TryAdd(connection, int.MaxValue).Should().BeTrue();
            if (connection.Sequence % 1000 == 0)
                registry.All.Publish(new Message(MessageKind.Text, default), HistoryStore.Off);   // a fan-out sorts nothing
        }

        registry.Find("same")!.Count.Should().Be(Count);
        foreach (FakeConnection connection in connections.Reverse().Where((_, i) => i % 2 == 0).Concat(connections.Where((_, i) => i % 2 == 0)))
            registry.Remove(connection);
        clock.Stop();

        registry.Count.Should().Be(0);
        registry.Find("same").Should().BeNull("an id without connections is forgotten");
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(1), "adding and removing cost O(1) each, whatever the id holds");
    }

    [Test]
    public void List_is_oldest_first_and_leaves_out_closing_connections()
    {
        var registry = new ConnectionRegistry();
        FakeConnection[] connections = [new("b", 3), new("a", 1), new("c", 2), new("a", 4)];
        foreach (FakeConnection connection in connections)
            registry.TryAdd(connection, int.MaxValue);
        connections[2].IsClosing = true;

        registry.ListOldestFirst().Select(c => c.Sequence).Should().Equal(1, 3, 4);
    }

    [Test]
    public void A_connection_removed_while_it_is_being_added_ends_up_not_listed()
    {
        var registry = new ConnectionRegistry();
        var connection = new FakeConnection("x", 1);

        registry.Remove(connection);                // shutdown's close of all got there first
        registry.TryAdd(connection, int.MaxValue);

        registry.Count.Should().Be(0);
        registry.Find("x").Should().BeNull();
    }

    [Test]
    public void The_limit_counts_listed_connections()
    {
        var registry = new ConnectionRegistry();
        registry.TryAdd(new FakeConnection("a", 1), 2).Should().BeTrue();
        registry.TryAdd(new FakeConnection("b", 2), 2).Should().BeTrue();
        registry.TryAdd(new FakeConnection("c", 3), 2).Should().BeFalse();
        registry.Find("c").Should().BeNull();
    }
}
