using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration.Conformance;

/// <summary>
/// Autobahn category 2 (pings and pongs): a ping is answered by a pong with its payload, up to 125 bytes;
/// 126 is refused; an unsolicited pong is ignored; many pings get as many pongs, in order.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class PingPongConformanceTests : EchoRelayTests
{
    [TestCase(0)]                                     // empty ping
    [TestCase(1)]                                     // one byte
    [TestCase(10)]                                    // short text-like payload
    [TestCase(125)]                                   // largest control payload
    [CancelAfter(10_000)]
    public async Task A_ping_is_answered_by_a_pong_with_the_same_payload(int length, CancellationToken ct)
    {
        byte[] payload = BinaryPayload(length);
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        await client.SendAsync(ClientFrames.Build(WsFrame.Ping, payload), ct).WithTimeout();

        await ExpectFrameAsync(client, WsFrame.Pong, payload, ct);
        await CloseCleanlyAsync(client, ct);
    }

    [Test, CancelAfter(10_000)]
    public async Task A_ping_sent_one_byte_per_write_is_answered(CancellationToken ct)
    {
        byte[] payload = BinaryPayload(125);
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        await client.SendByteByByteAsync(ClientFrames.Build(WsFrame.Ping, payload), ct).WithTimeout();

        await ExpectFrameAsync(client, WsFrame.Pong, payload, ct);
    }

    [TestCase(126, 16)]                               // ping of 126 bytes -> 1002
    [TestCase(65535, 16)]                             // ping of 65535 bytes -> 1002
    [TestCase(126, 64)]                               // ping of 126 bytes, 64-bit length -> 1002
    [TestCase(5, 16)]                                 // ping of 5 bytes in the 16-bit form: the form alone is over 125 -> 1002
    [CancelAfter(10_000)]
    public async Task A_ping_over_125_bytes_is_closed_with_1002(int length, int form, CancellationToken ct) =>
        await ExpectFailureAsync(ClientFrames.Build(WsFrame.Ping, BinaryPayload(length), lengthForm: form), 1002, ct);

    [Test, CancelAfter(10_000)]
    public async Task A_ping_of_126_bytes_is_refused_before_its_payload_arrives(CancellationToken ct)
    {
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        await client.SendAsync(ClientFrames.Build(WsFrame.Ping, BinaryPayload(126))[..4], ct).WithTimeout(); // header without mask or payload

        await client.ExpectClosedWithAsync(1002, ct);
    }

    [TestCase(0)]                                     // empty unsolicited pong
    [TestCase(125)]                                   // unsolicited pong of 125 bytes
    [CancelAfter(10_000)]
    public async Task An_unsolicited_pong_is_ignored(int length, CancellationToken ct)
    {
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        await client.SendAsync([.. ClientFrames.Build(WsFrame.Pong, BinaryPayload(length)), .. ClientFrames.Text("after")], ct).WithTimeout();

        await ExpectFrameAsync(client, WsFrame.Text, "after"u8.ToArray(), ct);      // nothing came before the echo
        await CloseCleanlyAsync(client, ct);
    }

    [Test, CancelAfter(10_000)]
    public async Task An_unsolicited_pong_then_a_ping_gets_only_the_pong_of_the_ping(CancellationToken ct)
    {
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        await client.SendAsync([.. ClientFrames.Build(WsFrame.Pong, "unsolicited"u8), .. ClientFrames.Build(WsFrame.Ping, "solicited"u8)], ct).WithTimeout();

        await ExpectFrameAsync(client, WsFrame.Pong, "solicited"u8.ToArray(), ct);
        await CloseCleanlyAsync(client, ct);
    }

    [Test, CancelAfter(10_000)]
    public async Task A_pong_over_125_bytes_is_closed_with_1002(CancellationToken ct) =>
        await ExpectFailureAsync(ClientFrames.Build(WsFrame.Pong, BinaryPayload(126)), 1002, ct);

    [TestCase(10, false)]                             // ten pings in one write
    [TestCase(1000, false)]                           // a thousand pings of every size in one write
    [TestCase(50, true)]                              // fifty pings, one byte per write
    [CancelAfter(30_000)]
    public async Task Many_pings_in_a_row_get_as_many_pongs_in_order(int count, bool byteByByte, CancellationToken ct)
    {
        byte[][] payloads = Enumerable.Range(0, count).Select(i => BinaryPayload(i % 126)).ToArray();
        byte[] pings = payloads.SelectMany(p => ClientFrames.Build(WsFrame.Ping, p)).ToArray();
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        if (byteByByte)
            await client.SendByteByByteAsync(pings, ct).WithTimeout(TimeSpan.FromSeconds(20));
        else
            await client.SendAsync(pings, ct).WithTimeout();

        foreach (byte[] payload in payloads)
            await ExpectFrameAsync(client, WsFrame.Pong, payload, ct);
        await CloseCleanlyAsync(client, ct);
    }

    [Test, CancelAfter(10_000)]
    public async Task A_ping_then_a_close_in_one_write_gets_the_pong_then_the_close(CancellationToken ct)
    {
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        await client.SendAsync([.. ClientFrames.Build(WsFrame.Ping, "hello"u8), .. ClientFrames.Close(1000)], ct).WithTimeout();

        await ExpectFrameAsync(client, WsFrame.Pong, "hello"u8.ToArray(), ct);
        await client.ExpectClosedWithAsync(1000, ct);
    }
}
