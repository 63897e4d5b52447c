using RawRelay.Hosting;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration.Conformance;

/// <summary>
/// Autobahn category 9 (limits and performance), scaled to <c>--max-message</c>: messages up to the limit
/// are echoed whole however they are framed; one byte over it fails with 1009, before that byte is buffered.
/// Runs with the default limits (1 MiB message, 1 MiB send queue), as a user would start <c>rawrelay --echo</c>.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class LargeMessageConformanceTests : EchoRelayTests
{
    private const int MaxMessage = 1024 * 1024;

    private protected override RelayOptions Configure(RelayOptions options)
    {
        options.MaxMessage.Should().Be(MaxMessage, "this fixture relies on the default --max-message");
        return options;
    }

    [TestCase(WsFrame.Binary, MaxMessage, 1)]         // exactly --max-message in one frame
    [TestCase(WsFrame.Text, MaxMessage, 1)]           // exactly --max-message of text
    [TestCase(WsFrame.Binary, MaxMessage, 16)]        // in 16 fragments
    [TestCase(WsFrame.Text, MaxMessage - 1, 1000)]    // in 1000 fragments
    [TestCase(WsFrame.Binary, 256 * 1024, 1)]         // a quarter of the limit
    [CancelAfter(30_000)]
    public async Task A_message_up_to_max_message_is_echoed_whole(int opcode, int length, int fragments, CancellationToken ct)
    {
        byte[] payload = opcode == WsFrame.Text ? TextPayload(length) : BinaryPayload(length);
        var frames = new List<byte>(length + fragments * 14);
        int size = length / fragments;
        for (int i = 0; i < fragments; i++)
        {
            int start = i * size, end = i == fragments - 1 ? length : start + size;
            frames.AddRange(ClientFrames.Build(i == 0 ? opcode : WsFrame.Continuation, payload.AsSpan(start, end - start), fin: i == fragments - 1));
        }

        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();
        Task sending = client.SendAsync(frames.ToArray(), ct);

        await ExpectFrameAsync(client, opcode, payload, ct);
        await sending.WithTimeout();
        await CloseCleanlyAsync(client, ct);
    }

    [Test, CancelAfter(30_000)]
    public async Task A_message_of_max_message_in_writes_of_1000_bytes_is_echoed(CancellationToken ct)
    {
        byte[] payload = BinaryPayload(MaxMessage);
        byte[] frame = ClientFrames.Build(WsFrame.Binary, payload);
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        for (int at = 0; at < frame.Length; at += 1000)
            await client.SendAsync(frame.AsMemory(at, Math.Min(1000, frame.Length - at)), ct).WithTimeout();

        await ExpectFrameAsync(client, WsFrame.Binary, payload, ct);
    }

    [Test, CancelAfter(10_000)]
    public async Task A_frame_announcing_max_message_plus_one_is_closed_with_1009_before_its_payload(CancellationToken ct)
    {
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        byte[] header = ClientFrames.Build(WsFrame.Binary, new byte[MaxMessage + 1])[..14];            // 64-bit length and mask only
        await client.SendAsync(header, ct).WithTimeout();

        await client.ExpectClosedWithAsync(1009, ct);
    }

    [Test, CancelAfter(10_000)]
    public async Task A_frame_announcing_2_to_the_62_bytes_is_closed_with_1009(CancellationToken ct)
    {
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();
        await client.SendAsync(new byte[] { 0x82, 0xFF, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4 }, ct).WithTimeout();
        await client.ExpectClosedWithAsync(1009, ct);
    }

    [Test, CancelAfter(10_000)]
    public async Task A_frame_length_with_the_top_bit_set_is_closed_with_1002(CancellationToken ct)
    {
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();
        await client.SendAsync(new byte[] { 0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4 }, ct).WithTimeout();
        await client.ExpectClosedWithAsync(1002, ct);
    }

    [Test, CancelAfter(10_000)]
    public async Task Fragments_that_add_up_to_one_byte_over_max_message_are_closed_with_1009(CancellationToken ct)
    {
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        await client.SendAsync(ClientFrames.Build(WsFrame.Binary, new byte[MaxMessage], fin: false), ct).WithTimeout();
        await client.SendAsync(ClientFrames.Build(WsFrame.Continuation, [0x01]), ct).WithTimeout();

        await client.ExpectClosedWithAsync(1009, ct);
    }
}
