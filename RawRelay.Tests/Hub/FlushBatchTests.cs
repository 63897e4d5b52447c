using System.Net;
using System.Net.Sockets;
using RawRelay.Hosting;
using RawRelay.Hub;
using RawRelay.WebSockets;

namespace RawRelay.Tests.Hub;

/// <summary>The batch that owns connections' flushes: one flush per connection, early when a queue is half full.</summary>
[TestFixture, Parallelizable(ParallelScope.All)]
public sealed class FlushBatchTests
{
    [Test]
    public void A_connection_is_flushed_once_per_batch_however_many_frames_it_got()
    {
        var batch = new FlushBatch();
        var connections = Enumerable.Range(0, 600).Select(_ => new OwnedConnection(halfFullAt: int.MaxValue)).ToArray();

        for (int frame = 0; frame < 3; frame++)
        {
            foreach (OwnedConnection connection in connections)
                batch.Enqueue(connection, new byte[2]);
        }

        connections.Should().OnlyContain(c => c.Flushes == 0);
        batch.Count.Should().Be(600);
        batch.FlushAll();
        connections.Should().OnlyContain(c => c.Flushes == 1 && c.Frames == 3);
        batch.Count.Should().Be(0);
    }

    [Test]
    public void A_half_full_queue_is_flushed_before_the_batch_ends_and_not_again()
    {
        var batch = new FlushBatch();
        var connection = new OwnedConnection(halfFullAt: 2);

        batch.Enqueue(connection, new byte[2]);
        connection.Flushes.Should().Be(0);
        batch.Enqueue(connection, new byte[2]);
        connection.Flushes.Should().Be(1);

        batch.FlushAll();
        connection.Flushes.Should().Be(1, "the early flush released the flush; the batch no longer owns it");
    }

    [Test]
    public void A_connection_whose_flush_someone_else_owns_is_left_to_them()
    {
        var batch = new FlushBatch();
        var connection = new OwnedConnection(halfFullAt: 1, initialOwner: new object());

        batch.Enqueue(connection, new byte[2]);
        batch.FlushAll();

        connection.Flushes.Should().Be(0);
        connection.Frames.Should().Be(1);
    }

    [Test]
    public void Flushes_of_the_real_connection_follow_the_owner_token()
    {
        // The same protocol, on the product's connection, seen through its answers only.
        var owner = new object();
        var other = new object();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var log = new RelayLog(TextWriter.Null, LogLevel.Error);
        var settings = new ConnectionSettings
        {
            MaxMessage = 1000, SendQueueLimit = 8, Echo = false,
            Registry = new ConnectionRegistry(), Stats = new RelayStats(), Log = log,
        };
        var connection = new WebSocketConnection(socket, "x", new IPEndPoint(IPAddress.Loopback, 1), null, 1, settings);

        connection.TryEnqueue(new byte[2], owner).Should().Be(EnqueueResult.QueuedNeedsFlush);
        connection.TryEnqueue(new byte[2], other).Should().Be(EnqueueResult.Queued, "the flush is owner's");
        connection.TryEnqueue(new byte[2], owner).Should().Be(EnqueueResult.QueuedHalfFull, "6 of 8 bytes are queued");
        connection.Flush(other);                 // not the owner: nothing happens (the socket is not even connected)
        connection.TryEnqueue(new byte[4], owner).Should().Be(EnqueueResult.Dropped, "over --send-queue: cut off as slow");
    }

    /// <summary>A connection that keeps the flush-owner protocol and counts real flushes.</summary>
    private sealed class OwnedConnection(int halfFullAt, object? initialOwner = null) : IRelayConnection
    {
        private object? _owner = initialOwner;
        private int _queued;

        public int Frames { get; private set; }

        public int Flushes { get; private set; }

        public string Id => "x";

        public long Sequence => 0;

        public string RemoteAddress => "127.0.0.1:1";

        public EnqueueResult TryEnqueue(ReadOnlyMemory<byte> frame, object owner)
        {
            Frames++;
            _queued++;
            if (_owner is null)
            {
                _owner = owner;
                return EnqueueResult.QueuedNeedsFlush;
            }

            return _owner == owner && _queued >= halfFullAt ? EnqueueResult.QueuedHalfFull : EnqueueResult.Queued;
        }

        public void Flush(object owner)
        {
            if (_owner != owner)
                return;
            Flushes++;
            _queued = 0;
            _owner = null;
        }

        public void Close(CloseCode code, string reason)
        {
        }
    }
}
