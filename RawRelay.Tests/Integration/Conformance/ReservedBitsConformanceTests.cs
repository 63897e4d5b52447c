using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration.Conformance;

/// <summary>
/// Autobahn category 3 (reserved bits): no extension is negotiated, so any RSV bit fails the connection
/// with 1002 (RFC 6455 §5.2), on data and control frames alike; frames before the bad one are answered first.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class ReservedBitsConformanceTests : EchoRelayTests
{
    [Test, CancelAfter(10_000)]
    public async Task A_frame_with_reserved_bits_is_closed_with_1002(
        [Values(1, 2, 3, 4, 5, 6, 7)] int rsv,
        [Values(WsFrame.Text, WsFrame.Binary, WsFrame.Ping, WsFrame.Pong, WsFrame.Close)] int opcode, CancellationToken ct)
    {
        byte[] payload = opcode == WsFrame.Close ? [0x03, 0xE8] : "Hello"u8.ToArray();
        await ExpectFailureAsync(ClientFrames.Build(opcode, payload, rsv: rsv), 1002, ct);
    }

    [TestCase(1, false)]                              // RSV1 on an empty continuation
    [TestCase(4, true)]                               // RSV3 on the final continuation
    [CancelAfter(10_000)]
    public async Task Reserved_bits_on_a_continuation_are_closed_with_1002(int rsv, bool fin, CancellationToken ct) =>
        await ExpectFailureAsync([.. ClientFrames.Build(WsFrame.Text, "ab"u8, fin: false), .. ClientFrames.Build(WsFrame.Continuation, "cd"u8, fin: fin, rsv: rsv)], 1002, ct);

    [Test, CancelAfter(10_000)]
    public async Task A_message_before_a_frame_with_reserved_bits_is_echoed_and_a_ping_after_it_is_not_answered(CancellationToken ct)
    {
        // Autobahn 3.2/3.3: text, then text with RSV2, then ping, in one write.
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        await client.SendAsync([.. ClientFrames.Text("Hello"), .. ClientFrames.Build(WsFrame.Text, "Hello"u8, rsv: 2), .. ClientFrames.Build(WsFrame.Ping, []),], ct).WithTimeout();

        await ExpectFrameAsync(client, WsFrame.Text, "Hello"u8.ToArray(), ct);
        await client.ExpectClosedWithAsync(1002, ct);
    }

    [Test, CancelAfter(10_000)]
    public async Task A_frame_with_reserved_bits_sent_one_byte_per_write_fails_on_its_first_byte(CancellationToken ct)
    {
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        await client.SendAsync(new byte[] { 0xC1 }, ct).WithTimeout();             // FIN + RSV1 + text: the second byte is never sent
        await client.SendAsync(new byte[] { 0x85 }, ct).WithTimeout();             // masked, 5 bytes; mask and payload never sent

        await client.ExpectClosedWithAsync(1002, ct);
    }
}
