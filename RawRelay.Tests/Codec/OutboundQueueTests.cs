using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using RawRelay.WebSockets;

namespace RawRelay.Tests.Codec;

/// <summary>
/// The send queue's pure parts: what <see cref="OutboundQueue.Take"/> hands the writer (order, gathering,
/// a large frame as it is), what <see cref="OutboundQueue.Cost"/> counts (the bytes, the free rest of the
/// open chunk, 16 bytes per slot of the entry ring), that <see cref="OutboundQueue.CostOf"/> says exactly
/// what queuing adds, and that <see cref="OutboundQueue.MakePrivate"/> lets go of the arrays it was given.
/// The chunk rules: the first private chunk is 256 bytes (or the copy's size, if larger), each next one
/// twice the last (or the rest of the copy, if larger), at most 16 KiB; a copy fills the open chunk to its
/// last byte before it opens the next. Expected numbers are worked out here from those rules, not read
/// back from the queue.
/// </summary>
[TestFixture]
public sealed class OutboundQueueTests
{
    private const int Chunk = OutboundQueue.ChunkSize;   // 16 KiB
    private const int First = OutboundQueue.FirstChunkSize;   // 256 bytes
    private const int Slot = 16;                         // one ReadOnlyMemory<byte> in the ring

    /// <summary>Frame i of a test: <paramref name="length"/> bytes, all of value i, so that order and origin show.</summary>
    private static byte[] Frame(int i, int length) => Enumerable.Repeat((byte)i, length).ToArray();

    // Each step: R = Enqueue by reference, C = EnqueueCopy; then the queue's Bytes and Cost after all steps.
    [TestCase("R100", 100, 100 + Slot)]                                     // one frame waits in a field: one slot
    [TestCase("R100 R50", 150, 150 + 4 * Slot)]                             // a second makes a ring of 4
    [TestCase("R1 R1 R1 R1", 4, 4 + 4 * Slot)]                              // four fit it
    [TestCase("R1 R1 R1 R1 R1", 5, 5 + 8 * Slot)]                           // the fifth doubles it
    [TestCase("C100", 100, First)]                                          // the copy and the first chunk's free rest: the whole chunk
    [TestCase("C100 C150", 250, First)]                                     // the second copy goes into the same chunk
    [TestCase("C100 C200", 300, 300 + (2 * First - 44) + Slot)]             // it fills the first (sealed: an entry), 44 open a chunk of 512
    [TestCase("C16384", Chunk, Chunk)]                                      // a copy of a chunk's size: a chunk of that size, full
    [TestCase("C20000", 20000, 20000 + Slot)]                               // over a chunk: an array of its own, an entry
    [TestCase("C100 R50", 150, 150 + (First - 100) + 4 * Slot)]             // a reference seals the copies: two entries, the chunk stays open
    [TestCase("C100 R50 C10", 160, 160 + (First - 110) + 4 * Slot)]         // the next copy goes on in the open chunk
    [TestCase("R50 C100", 150, 150 + (First - 100) + Slot)]                 // copies after a reference: one entry and the chunk
    [TestCase("C10000 C10000", 20000, 20000 + (Chunk - 10000) + Slot)]      // a chunk of 10000, full and sealed; then one of 16 KiB
    public void Cost_counts_the_bytes_the_free_rest_of_the_open_chunk_and_the_ring(string steps, long bytes, long cost)
    {
        var queue = new OutboundQueue();
        int i = 0;
        foreach (string step in steps.Split(' '))
            Queue(ref queue, step, Frame(++i, int.Parse(step[1..])));

        queue.IsEmpty.Should().BeFalse();
        queue.Bytes.Should().Be(bytes);
        queue.Cost.Should().Be(cost);
    }

    [Test]
    public void An_empty_queue_costs_nothing_before_and_after_use()
    {
        var queue = new OutboundQueue();
        (queue.IsEmpty, queue.Bytes, queue.Cost).Should().Be((true, 0L, 0L));

        queue.Enqueue(Frame(1, 10));
        queue.EnqueueCopy(Frame(2, 10));
        queue.Enqueue(Frame(3, 10));
        byte[] gather = new byte[64];
        queue.Take(gather, out _).Length.Should().Be(30);

        (queue.IsEmpty, queue.Bytes, queue.Cost).Should().Be((true, 0L, 0L), "the ring and the chunk are dropped once all is taken");
    }

    // Steps as above, then the frame whose cost is asked and queued.
    [TestCase("R10", "R50")]                    // a second entry: the ring of 4 appears
    [TestCase("R1 R1 R1 R1", "C100")]           // a copy into a new chunk
    [TestCase("C100 C200", "C50")]              // a copy into the open chunk: counted already
    [TestCase("C100", "C200")]                  // fills the open chunk, seals it, opens the next
    public void CostOf_is_what_queuing_adds(string steps, string next) => CheckCostOf(steps, next);

    // Copies wait unsealed in the open chunk; the next frame seals them into an entry of their own first.
    [TestCase("C100", "C20000")]                // promised 16 for one entry; two entries make the ring of 4: 64
    [TestCase("C100", "R50")]                   // the same with a reference
    [TestCase("R1 R1 R1 C100", "C20000")]       // promised nothing for the ring of 4 (it has room); it doubles to 8: 64 more
    public void CostOf_counts_the_entry_that_sealing_the_open_chunk_adds(string steps, string next) => CheckCostOf(steps, next);

    private static void CheckCostOf(string steps, string next)
    {
        var queue = new OutboundQueue();
        int i = 0;
        foreach (string step in steps.Split(' '))
            Queue(ref queue, step, Frame(++i, int.Parse(step[1..])));
        long before = queue.Cost;
        long promised = queue.CostOf(int.Parse(next[1..]), copy: next[0] == 'C');

        Queue(ref queue, next, Frame(++i, int.Parse(next[1..])));

        (queue.Cost - before).Should().Be(promised);
    }

    [Test]
    public void CostOf_is_what_queuing_adds_in_a_random_walk()
    {
        var random = new Random(1234);
        var queue = new OutboundQueue();
        byte[] gather = new byte[64 * 1024];
        for (int step = 0; step < 2000; step++)
        {
            if (random.Next(5) == 0 && !queue.IsEmpty)
            {
                queue.Take(gather, out _);
                continue;
            }

            bool copy = random.Next(2) == 0;
            int length = random.Next(4) switch { 0 => random.Next(0, 20), 1 => random.Next(8000, 8400), 2 => random.Next(16000, 17000), _ => random.Next(0, 3000) };
            long before = queue.Cost;
            long promised = queue.CostOf(length, copy);
            if (copy)
                queue.EnqueueCopy(new byte[length]);
            else
                queue.Enqueue(new byte[length]);
            (queue.Cost - before).Should().Be(promised, $"step {step}: {(copy ? "a copy" : "a reference")} of {length} bytes");
        }
    }

    // Gather buffer of 16 bytes: frames of at most 8 bytes (half) are gathered; larger ones go as they are.
    [TestCase("3 3 3", "3+3+3")]                   // all fit: one write
    [TestCase("6 6 6", "6+6 | 6")]                 // a third would pass 16 bytes: the next take
    [TestCase("8 8 1", "8+8 | 1")]                 // exactly full
    [TestCase("9 2 2", "9 | 2+2")]                 // more than half the buffer: by itself, not copied
    [TestCase("2 9 2", "2+9+2")]                   // a large frame behind a small one is gathered while it fits
    [TestCase("2 15 2", "2 | 15 | 2")]             // ...and waits for its own take when it does not
    [TestCase("40 1", "40 | 1")]                   // larger than the buffer: as it is
    public void Take_gathers_small_frames_in_order_and_hands_a_large_one_over_as_it_is(string lengths, string takes)
    {
        var queue = new OutboundQueue();
        var frames = lengths.Split(' ').Select((l, i) => Frame(i + 1, int.Parse(l))).ToList();
        foreach (byte[] frame in frames)
            queue.Enqueue(frame);
        byte[] gather = new byte[16];

        var taken = new List<string>();
        int next = 0;
        while (!queue.IsEmpty)
        {
            long bytesBefore = queue.Bytes;
            ReadOnlyMemory<byte> data = queue.Take(gather, out bool gathered);
            (bytesBefore - queue.Bytes).Should().Be(data.Length, "Bytes goes down by what was taken");
            var parts = new List<string>();
            int at = 0;
            while (at < data.Length)
            {
                byte[] frame = frames[next++];
                data.Span.Slice(at, frame.Length).ToArray().Should().Equal(frame, "frames come out whole and in order");
                parts.Add(frame.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
                at += frame.Length;
            }

            MemoryMarshal.TryGetArray(data, out ArraySegment<byte> segment).Should().BeTrue();
            if (gathered)
                segment.Array.Should().BeSameAs(gather, "gathered frames are copied into the caller's buffer");
            else
                segment.Array.Should().BeSameAs(frames[next - 1], "a large frame is handed over as it was queued, not copied");
            taken.Add(string.Join("+", parts));
        }

        string.Join(" | ", taken).Should().Be(takes);
    }

    [Test]
    public void Order_is_kept_across_frames_queued_by_reference_and_as_copies()
    {
        var queue = new OutboundQueue();
        var frames = new List<byte[]>();
        var random = new Random(99);
        for (int i = 1; i <= 200; i++)
        {
            byte[] frame = Frame(i, random.Next(4) == 0 ? random.Next(9000, 20000) : random.Next(1, 3000));
            frames.Add(frame);
            if (random.Next(2) == 0)
                queue.Enqueue(frame);
            else
                queue.EnqueueCopy(frame);
            if (i == 120)
                queue.MakePrivate();                                  // a backlog began in the middle
        }

        byte[] written = TakeAll(ref queue, new byte[64 * 1024]);

        written.Should().Equal(frames.SelectMany(f => f));
        queue.IsEmpty.Should().BeTrue();
    }

    [Test]
    public void MakePrivate_copies_what_was_queued_by_reference_and_keeps_the_bytes_and_order()
    {
        var queue = new OutboundQueue();
        byte[] small = Frame(1, 100), copied = Frame(2, 50), large = Frame(3, 20000), last = Frame(4, 10);
        queue.Enqueue(small);
        queue.EnqueueCopy(copied);
        queue.Enqueue(large);
        queue.Enqueue(last);
        long bytes = queue.Bytes;

        queue.MakePrivate();
        foreach (byte[] original in new[] { small, large, last })
            original.AsSpan().Fill(0xEE);                              // the caller's buffers are reused once the fan-out is over

        queue.Bytes.Should().Be(bytes);
        // Worked out from the rules: 100 + 50 go into a first chunk, 20000 get an array of their own (which seals
        // the 150 as an entry), the last 10 go on in the same chunk: two entries (a ring of 4) and the chunk's free rest.
        queue.Cost.Should().Be(bytes + (First - 160) + 4 * Slot);
        byte[] written = TakeAll(ref queue, new byte[64 * 1024]);
        written.Should().Equal([.. Frame(1, 100), .. Frame(2, 50), .. Frame(3, 20000), .. Frame(4, 10)]);
    }

    [Test]
    public void MakePrivate_leaves_no_reference_to_the_arrays_queued_by_reference()
    {
        var queue = new OutboundQueue();
        List<WeakReference> originals = EnqueueFramesOfTheirOwn(ref queue);

        queue.MakePrivate();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        originals.Where(w => w.IsAlive).Should().BeEmpty("a backlogged queue must not keep shared buffers alive");
        TakeAll(ref queue, new byte[64 * 1024]).Length.Should().Be(100 + 30000 + 7);
    }

    [Test]
    public void Cost_bounds_what_a_queue_of_copies_keeps_alive_to_within_one_chunk()
    {
        // OutboundQueue's promise: "a bound on [Cost] bounds what the queue keeps alive (to within one partly
        // sent chunk)". What it keeps alive: the distinct arrays its entries and open chunk hold, and its ring.
        foreach (int length in new[] { 100, 5000, 8193, 12000, 16384 })
        {
            var queue = new OutboundQueue();
            for (int i = 0; i < 20; i++)
                queue.EnqueueCopy(Frame(i, length));

            KeptAlive(queue).Should().BeLessThanOrEqualTo(queue.Cost + Chunk, $"twenty private copies of {length} bytes");
        }
    }

    /// <summary>R: by reference; C: as a copy.</summary>
    private static void Queue(ref OutboundQueue queue, string step, byte[] frame)
    {
        if (step[0] == 'R')
            queue.Enqueue(frame);
        else
            queue.EnqueueCopy(frame);
    }

    /// <summary>Enqueues frames from arrays that nothing else holds; returns weak references to them.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static List<WeakReference> EnqueueFramesOfTheirOwn(ref OutboundQueue queue)
    {
        byte[][] arrays = [Frame(1, 100), Frame(2, 30000), Frame(3, 7)];
        foreach (byte[] array in arrays)
            queue.Enqueue(array);
        return arrays.Select(a => new WeakReference(a)).ToList();
    }

    private static byte[] TakeAll(ref OutboundQueue queue, byte[] gather)
    {
        var written = new List<byte>();
        while (!queue.IsEmpty)
            written.AddRange(queue.Take(gather, out _).ToArray());
        return written.ToArray();
    }

    /// <summary>Bytes of the distinct arrays the queue references, plus its ring (read through its private fields).</summary>
    private static long KeptAlive(OutboundQueue queue)
    {
        object boxed = queue;
        object? Field(string name) => typeof(OutboundQueue).GetField(name, BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(boxed);
        var arrays = new HashSet<byte[]>(ReferenceEqualityComparer.Instance);
        var memories = new List<ReadOnlyMemory<byte>> { (ReadOnlyMemory<byte>)Field("_single")! };
        var ring = (ReadOnlyMemory<byte>[]?)Field("_ring");
        memories.AddRange(ring ?? []);
        foreach (ReadOnlyMemory<byte> memory in memories)
        {
            if (MemoryMarshal.TryGetArray(memory, out ArraySegment<byte> segment) && segment.Array is { Length: > 0 } array)
                arrays.Add(array);
        }

        if (Field("_tail") is byte[] tail)
            arrays.Add(tail);
        return arrays.Sum(a => (long)a.Length) + (ring?.Length ?? 0) * Slot;
    }
}
