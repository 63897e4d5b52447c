using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration.Conformance;

/// <summary>
/// Autobahn category 4 (opcodes): reserved data opcodes 3-7 and control opcodes 0xB-0xF fail the
/// connection with 1002 (RFC 6455 §5.2), with or without payload; valid frames before them are answered first.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class OpcodeConformanceTests : EchoRelayTests
{
    [Test, CancelAfter(10_000)]
    public async Task A_reserved_opcode_is_closed_with_1002(
        [Values(3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF)] int opcode, [Values(0, 5)] int length, CancellationToken ct) =>
        await ExpectFailureAsync(ClientFrames.Build(opcode, BinaryPayload(length)), 1002, ct);

    [TestCase(5)]                                     // reserved data opcode (Autobahn 4.1.3)
    [TestCase(0xB)]                                   // reserved control opcode (Autobahn 4.2.3)
    [CancelAfter(10_000)]
    public async Task A_message_before_a_reserved_opcode_is_echoed_and_a_ping_after_it_is_not_answered(int opcode, CancellationToken ct)
    {
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        await client.SendAsync([.. ClientFrames.Text("Hello"), .. ClientFrames.Build(opcode, "x"u8), .. ClientFrames.Build(WsFrame.Ping, []),], ct).WithTimeout();

        await ExpectFrameAsync(client, WsFrame.Text, "Hello"u8.ToArray(), ct);
        await client.ExpectClosedWithAsync(1002, ct);
    }

    [Test, CancelAfter(10_000)]
    public async Task A_reserved_opcode_inside_a_fragmented_message_is_closed_with_1002(CancellationToken ct) =>
        await ExpectFailureAsync([.. ClientFrames.Build(WsFrame.Binary, "a"u8, fin: false), .. ClientFrames.Build(3, "b"u8, fin: false)], 1002, ct);

    [Test, CancelAfter(10_000)]
    public async Task A_reserved_opcode_fails_before_its_length_or_mask_arrive(CancellationToken ct)
    {
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        await client.SendAsync(new byte[] { 0x8F, 0xFF }, ct).WithTimeout();       // FIN + opcode F, masked, 64-bit length not yet sent

        await client.ExpectClosedWithAsync(1002, ct);
    }
}
