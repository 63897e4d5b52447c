using System.Text;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration.Conformance;

/// <summary>
/// Autobahn category 7 (closing): valid codes are answered with the same code and the TCP connection is
/// closed; invalid codes and a one-byte payload get 1002, a reason that is not UTF-8 gets 1007; nothing
/// after a close frame is answered (RFC 6455 §5.5.1, §7.4).
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class CloseConformanceTests : EchoRelayTests
{
    [Test, CancelAfter(10_000)]
    public async Task A_valid_code_is_answered_with_the_same_code_and_tcp_is_closed(
        [Values(1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999)] int code,
        CancellationToken ct)
    {
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        await client.SendAsync(ClientFrames.Close(code), ct).WithTimeout();

        (await client.ExpectClosedWithAsync(code, ct)).Wire.Should().Equal(ServerFrames.Close(code));
    }

    [Test, CancelAfter(10_000)]
    public async Task An_invalid_code_is_closed_with_1002(
        [Values(0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535)] int code, CancellationToken ct) =>
        await ExpectFailureAsync(ClientFrames.Close(code), 1002, ct);

    [Test, CancelAfter(10_000)]
    public async Task An_empty_close_is_answered_with_1000(CancellationToken ct)
    {
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        await client.SendAsync(ClientFrames.Build(WsFrame.Close, []), ct).WithTimeout();

        (await client.ExpectClosedWithAsync(1000, ct)).Wire.Should().Equal(0x88, 0x02, 0x03, 0xE8);
    }

    [Test, CancelAfter(10_000)]
    public async Task A_one_byte_close_payload_is_closed_with_1002(CancellationToken ct) =>
        await ExpectFailureAsync(ClientFrames.Build(WsFrame.Close, [0x03]), 1002, ct);

    [TestCase("")]                                    // code only
    [TestCase("Hello")]                               // short reason
    [TestCase("κόσμε 😀")]                            // multi-byte UTF-8 reason
    [CancelAfter(10_000)]
    public async Task A_close_with_a_valid_reason_is_answered_with_its_code(string reason, CancellationToken ct)
    {
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();
        await client.SendAsync(ClientFrames.Close(4001, reason), ct).WithTimeout();
        await client.ExpectClosedWithAsync(4001, ct);
    }

    [Test, CancelAfter(10_000)]
    public async Task A_close_with_a_reason_of_123_bytes_is_answered(CancellationToken ct)
    {
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();
        await client.SendAsync(ClientFrames.Close(1000, new string('*', 123)), ct).WithTimeout();     // payload of 125 bytes
        await client.ExpectClosedWithAsync(1000, ct);
    }

    [Test, CancelAfter(10_000)]
    public async Task A_close_with_a_reason_of_124_bytes_is_closed_with_1002(CancellationToken ct) =>
        await ExpectFailureAsync(ClientFrames.Build(WsFrame.Close, [0x03, 0xE8, .. Encoding.ASCII.GetBytes(new string('*', 124))]), 1002, ct);

    [TestCase("CEBAE1BDB9CF83CEBCCEB5EDA080656469746564")] // a surrogate inside (Autobahn 7.5.1)
    [TestCase("FF")]                                        // a byte never valid
    [TestCase("41C2")]                                      // truncated at the end
    [CancelAfter(10_000)]
    public async Task A_reason_that_is_not_UTF_8_is_closed_with_1007(string reasonHex, CancellationToken ct) =>
        await ExpectFailureAsync(ClientFrames.Build(WsFrame.Close, [0x03, 0xE8, .. Convert.FromHexString(reasonHex)]), 1007, ct);

    [Test, CancelAfter(10_000)]
    public async Task A_close_sent_one_byte_per_write_is_answered(CancellationToken ct)
    {
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();
        await client.SendByteByByteAsync(ClientFrames.Close(3333, "bye"), ct).WithTimeout();
        await client.ExpectClosedWithAsync(3333, ct);
    }

    [Test, CancelAfter(10_000)]
    public async Task Frames_after_a_close_are_ignored(CancellationToken ct)
    {
        // Autobahn 7.1.2-7.1.5: text, ping, another close and garbage after the close get no answer.
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        await client.SendAsync([.. ClientFrames.Close(1000), .. ClientFrames.Text("after"), .. ClientFrames.Build(WsFrame.Ping, "p"u8),
            .. ClientFrames.Close(1001), 0xFF, 0xFF, 0x00], ct).WithTimeout();

        await client.ExpectClosedWithAsync(1000, ct);
    }

    [Test, CancelAfter(10_000)]
    public async Task A_message_before_a_close_is_echoed_first(CancellationToken ct)
    {
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        await client.SendAsync([.. ClientFrames.Text("last words"), .. ClientFrames.Close(1000)], ct).WithTimeout();

        await ExpectFrameAsync(client, WsFrame.Text, "last words"u8.ToArray(), ct);
        await client.ExpectClosedWithAsync(1000, ct);
    }

    [Test, CancelAfter(10_000)]
    public async Task A_close_sent_after_the_server_failed_the_connection_is_not_needed_for_tcp_to_close(CancellationToken ct)
    {
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        await client.SendAsync(ClientFrames.Build(WsFrame.Binary, "x"u8, rsv: 1), ct).WithTimeout();
        (await client.ReceiveFrameAsync(ct).WithTimeout()).CloseCode.Should().Be(1002);
        await client.SendAsync(ClientFrames.Close(1002), ct).WithTimeout();            // the client's answer, as a browser sends it

        (await client.ReceiveEndOfStreamAsync(ct).WithTimeout()).Should().BeTrue();
    }
}
