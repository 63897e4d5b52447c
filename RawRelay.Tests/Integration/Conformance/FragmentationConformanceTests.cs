using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration.Conformance;

/// <summary>
/// Autobahn category 5 (fragmentation): a fragmented message is echoed as one frame; pings between fragments
/// are answered at once; fragmented control frames, a continuation with no message open, and a new message
/// inside a fragmented one fail with 1002 (RFC 6455 §5.4, §5.5).
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class FragmentationConformanceTests : EchoRelayTests
{
    /// <summary>The payload cut into <paramref name="count"/> fragments of the given opcode (the last has FIN).</summary>
    private static byte[] Fragments(int opcode, byte[] payload, int count)
    {
        var frames = new List<byte>();
        int size = (payload.Length + count - 1) / Math.Max(count, 1);
        for (int i = 0; i < count; i++)
        {
            int start = Math.Min(i * size, payload.Length), end = i == count - 1 ? payload.Length : Math.Min(start + size, payload.Length);
            frames.AddRange(ClientFrames.Build(i == 0 ? opcode : WsFrame.Continuation, payload.AsSpan(start, end - start), fin: i == count - 1));
        }

        return frames.ToArray();
    }

    [TestCase(WsFrame.Text, 2, 2)]                    // two fragments of one byte
    [TestCase(WsFrame.Binary, 10, 1)]                 // a "fragmented" message of one frame with FIN
    [TestCase(WsFrame.Text, 100, 100)]                // a hundred one-byte fragments
    [TestCase(WsFrame.Text, 65536, 64)]               // 64 KiB in 64 fragments (Autobahn 5.x long message)
    [TestCase(WsFrame.Binary, 300_000, 3)]            // 300 KB in 3 fragments with 64-bit lengths
    [TestCase(WsFrame.Binary, 0, 3)]                  // three empty fragments
    [CancelAfter(20_000)]
    public async Task A_fragmented_message_is_echoed_as_one_frame(int opcode, int length, int count, CancellationToken ct)
    {
        byte[] payload = opcode == WsFrame.Text ? TextPayload(length) : BinaryPayload(length);
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        await client.SendAsync(Fragments(opcode, payload, count), ct).WithTimeout();

        await ExpectFrameAsync(client, opcode, payload, ct);
        await CloseCleanlyAsync(client, ct);
    }

    [Test, CancelAfter(20_000)]
    public async Task A_fragmented_message_sent_one_byte_per_write_is_echoed(CancellationToken ct)
    {
        byte[] payload = TextPayload(60);
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        await client.SendByteByByteAsync(Fragments(WsFrame.Text, payload, 6), ct).WithTimeout();

        await ExpectFrameAsync(client, WsFrame.Text, payload, ct);
    }

    [Test, CancelAfter(10_000)]
    public async Task A_ping_between_fragments_is_answered_before_the_message_ends(CancellationToken ct)
    {
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        await client.SendAsync([.. ClientFrames.Build(WsFrame.Text, "frag"u8, fin: false), .. ClientFrames.Build(WsFrame.Ping, "ping"u8)], ct).WithTimeout();
        await ExpectFrameAsync(client, WsFrame.Pong, "ping"u8.ToArray(), ct);       // answered while the message is still open

        await client.SendAsync(ClientFrames.Build(WsFrame.Continuation, "ment"u8), ct).WithTimeout();
        await ExpectFrameAsync(client, WsFrame.Text, "fragment"u8.ToArray(), ct);
        await CloseCleanlyAsync(client, ct);
    }

    [TestCase(false)]                                 // in one write
    [TestCase(true)]                                  // one byte per write
    [CancelAfter(20_000)]
    public async Task Pings_and_pongs_between_every_fragment_are_handled_in_order(bool byteByByte, CancellationToken ct)
    {
        var frames = new List<byte>();
        for (int i = 0; i < 5; i++)
        {
            frames.AddRange(ClientFrames.Build(i == 0 ? WsFrame.Text : WsFrame.Continuation, [(byte)('a' + i)], fin: i == 4));
            if (i < 4)
            {
                frames.AddRange(ClientFrames.Build(WsFrame.Ping, [(byte)('0' + i)]));
                frames.AddRange(ClientFrames.Build(WsFrame.Pong, "unsolicited"u8));
            }
        }

        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();
        if (byteByByte)
            await client.SendByteByByteAsync(frames.ToArray(), ct).WithTimeout();
        else
            await client.SendAsync(frames.ToArray(), ct).WithTimeout();

        for (int i = 0; i < 4; i++)
            await ExpectFrameAsync(client, WsFrame.Pong, [(byte)('0' + i)], ct);
        await ExpectFrameAsync(client, WsFrame.Text, "abcde"u8.ToArray(), ct);
    }

    [TestCase(WsFrame.Ping)]                          // a ping in two fragments (Autobahn 5.1)
    [TestCase(WsFrame.Pong)]                          // a pong in two fragments (Autobahn 5.2)
    [TestCase(WsFrame.Close)]                         // a close in two fragments
    [CancelAfter(10_000)]
    public async Task A_fragmented_control_frame_is_closed_with_1002(int opcode, CancellationToken ct)
    {
        byte[] first = opcode == WsFrame.Close ? [0x03] : "frag"u8.ToArray();
        byte[] second = opcode == WsFrame.Close ? [0xE8] : "ment"u8.ToArray();
        await ExpectFailureAsync([.. ClientFrames.Build(opcode, first, fin: false), .. ClientFrames.Build(WsFrame.Continuation, second)], 1002, ct);
    }

    [TestCase(true)]                                  // FIN + continuation as the first frame (Autobahn 5.9)
    [TestCase(false)]                                 // continuation without FIN as the first frame (Autobahn 5.10)
    [CancelAfter(10_000)]
    public async Task A_continuation_with_no_message_open_is_closed_with_1002(bool fin, CancellationToken ct) =>
        await ExpectFailureAsync(ClientFrames.Build(WsFrame.Continuation, "fragment"u8, fin: fin), 1002, ct);

    [Test, CancelAfter(10_000)]
    public async Task A_continuation_after_a_complete_message_is_closed_with_1002_after_the_echo(CancellationToken ct)
    {
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        await client.SendAsync([.. ClientFrames.Text("whole"), .. ClientFrames.Build(WsFrame.Continuation, "more"u8)], ct).WithTimeout();

        await ExpectFrameAsync(client, WsFrame.Text, "whole"u8.ToArray(), ct);
        await client.ExpectClosedWithAsync(1002, ct);
    }

    [TestCase(WsFrame.Text, WsFrame.Text, true)]      // FIN + text inside an open text message
    [TestCase(WsFrame.Text, WsFrame.Text, false)]     // a second text start inside an open one
    [TestCase(WsFrame.Text, WsFrame.Binary, true)]    // binary inside an open text message
    [TestCase(WsFrame.Binary, WsFrame.Text, true)]    // text inside an open binary message
    [CancelAfter(10_000)]
    public async Task A_new_message_inside_a_fragmented_one_is_closed_with_1002(int first, int second, bool fin, CancellationToken ct) =>
        await ExpectFailureAsync([.. ClientFrames.Build(first, "frag"u8, fin: false), .. ClientFrames.Build(second, "new"u8, fin: fin)], 1002, ct);

    [Test, CancelAfter(10_000)]
    public async Task A_close_between_fragments_ends_the_connection_without_echoing_the_open_message(CancellationToken ct)
    {
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        await client.SendAsync([.. ClientFrames.Build(WsFrame.Text, "open"u8, fin: false), .. ClientFrames.Close(1000)], ct).WithTimeout();

        await client.ExpectClosedWithAsync(1000, ct);
    }
}
