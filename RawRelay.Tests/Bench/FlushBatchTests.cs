using RawRelay.Hub;
using RawRelay.WebSockets;

namespace RawRelay.Tests.Bench;

/// <summary>The batch that owns connections' flushes: one flush per connection, early when a queue is half full.</summary>
[TestFixture, Parallelizable(ParallelScope.All)]
public sealed class FlushBatchTests
{
    [Test]
    public void A_connection_is_flushed_once_per_batch_however_many_frames_it_got()
    {
        var batch = new FlushBatch();
        var connections = Enumerable.Range(0, 600).Select(_ => new CountingConnection(EnqueueResult.Queued)).ToArray();

        for (int frame = 0; frame < 3; frame++)
        {
            foreach (CountingConnection connection in connections)
                batch.Enqueue(connection, new byte[2]);
        }

        connections.Should().OnlyContain(c => c.Flushes == 0);
        batch.FlushAll();
        connections.Should().OnlyContain(c => c.Flushes == 1 && c.Frames == 3);
        batch.Count.Should().Be(0);
    }

    [Test]
    public void A_half_full_queue_is_flushed_before_the_batch_ends()
    {
        var batch = new FlushBatch();
        var connection = new CountingConnection(EnqueueResult.QueuedHalfFull);

        batch.Enqueue(connection, new byte[2]);
        batch.Enqueue(connection, new byte[2]);

        connection.Flushes.Should().Be(1);
        batch.Count.Should().Be(0);
        batch.FlushAll();
        connection.Flushes.Should().Be(1);
    }

    [Test]
    public void A_half_full_queue_whose_flush_another_batch_owns_is_left_to_it()
    {
        var batch = new FlushBatch();
        var connection = new CountingConnection(EnqueueResult.QueuedHalfFull, flushOwnedElsewhere: true);

        batch.Enqueue(connection, new byte[2]);

        connection.Flushes.Should().Be(0);
    }

    /// <summary>Hands out the flush to the first enqueue after a flush; answers the others with <c>later</c>.</summary>
    private sealed class CountingConnection(EnqueueResult later, bool flushOwnedElsewhere = false) : IRelayConnection
    {
        private bool _flushOwned = flushOwnedElsewhere;

        public int Frames { get; private set; }

        public int Flushes { get; private set; }

        public string Id => "x";

        public long Sequence => 0;

        public string RemoteAddress => "127.0.0.1:1";

        public EnqueueResult TryEnqueue(ReadOnlyMemory<byte> frame)
        {
            Frames++;
            if (_flushOwned)
                return later;
            _flushOwned = true;
            return EnqueueResult.QueuedNeedsFlush;
        }

        public void Flush()
        {
            Flushes++;
            _flushOwned = false;
        }

        public void Close(CloseCode code, string reason)
        {
        }
    }
}
