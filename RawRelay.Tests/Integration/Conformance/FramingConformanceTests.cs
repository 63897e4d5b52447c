using System.Net.WebSockets;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration.Conformance;

/// <summary>
/// Autobahn category 1 (framing): text and binary messages of every length class are echoed byte-exact,
/// whether they arrive in one write or one byte per write.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class FramingConformanceTests : EchoRelayTests
{
    [Test, CancelAfter(20_000)]
    public async Task A_message_is_echoed_byte_exact(
        [Values(WsFrame.Text, WsFrame.Binary)] int opcode,
        [Values(0, 1, 125, 126, 127, 128, 65535, 65536, 65537, 300_000)] int length, CancellationToken ct)
    {
        byte[] payload = opcode == WsFrame.Text ? TextPayload(length) : BinaryPayload(length);
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        await client.SendAsync(ClientFrames.Build(opcode, payload), ct).WithTimeout();

        await ExpectFrameAsync(client, opcode, payload, ct);
        await CloseCleanlyAsync(client, ct);
    }

    [Test, CancelAfter(20_000)]
    public async Task A_message_sent_one_byte_per_write_is_echoed_byte_exact(
        [Values(WsFrame.Text, WsFrame.Binary)] int opcode,
        [Values(0, 1, 125, 126, 127, 128, 1000)] int length, CancellationToken ct)
    {
        byte[] payload = opcode == WsFrame.Text ? TextPayload(length) : BinaryPayload(length);
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        await client.SendByteByByteAsync(ClientFrames.Build(opcode, payload), ct).WithTimeout();

        await ExpectFrameAsync(client, opcode, payload, ct);
        await CloseCleanlyAsync(client, ct);
    }

    [Test, CancelAfter(20_000)]
    public async Task An_independent_client_gets_its_messages_back_whole_however_it_fragments_them(CancellationToken ct)
    {
        using var client = new ClientWebSocket();
        await client.ConnectAsync(Relay.BoardUri("framing-clientwebsocket"), ct).WithTimeout();
        byte[] payload = TextPayload(70_000);

        // ClientWebSocket sends each SendAsync call as one frame: three fragments, then one whole binary message.
        await client.SendAsync(payload.AsMemory(0, 10), WebSocketMessageType.Text, false, ct).WithTimeout();
        await client.SendAsync(payload.AsMemory(10, 60_000), WebSocketMessageType.Text, false, ct).WithTimeout();
        await client.SendAsync(payload.AsMemory(60_010), WebSocketMessageType.Text, true, ct).WithTimeout();
        await client.SendAsync(BinaryPayload(300), WebSocketMessageType.Binary, true, ct).WithTimeout();

        (WebSocketMessageType type, byte[] text) = await ReceiveMessageAsync(client, ct);
        (type, text.AsSpan().SequenceEqual(payload)).Should().Be((WebSocketMessageType.Text, true));
        (type, byte[] binary) = await ReceiveMessageAsync(client, ct);
        type.Should().Be(WebSocketMessageType.Binary);
        binary.Should().Equal(BinaryPayload(300));
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", ct).WithTimeout();
        client.CloseStatus.Should().Be(WebSocketCloseStatus.NormalClosure);
    }

    private static async Task<(WebSocketMessageType Type, byte[] Payload)> ReceiveMessageAsync(ClientWebSocket client, CancellationToken ct)
    {
        var buffer = new byte[100_000];
        int length = 0;
        while (true)
        {
            ValueWebSocketReceiveResult result = await client.ReceiveAsync(buffer.AsMemory(length), ct).WithTimeout();
            length += result.Count;
            if (result.EndOfMessage)
                return (result.MessageType, buffer[..length]);
        }
    }

    [TestCase(5, 16)]                                 // 5 bytes in the 16-bit form
    [TestCase(5, 64)]                                 // 5 bytes in the 64-bit form
    [TestCase(200, 64)]                               // 200 bytes in the 64-bit form
    [CancelAfter(10_000)]
    public async Task A_length_in_a_longer_form_than_needed_is_accepted_and_echoed_in_the_shortest(int length, int form, CancellationToken ct)
    {
        byte[] payload = BinaryPayload(length);
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        await client.SendAsync(ClientFrames.Build(WsFrame.Binary, payload, lengthForm: form), ct).WithTimeout();

        await ExpectFrameAsync(client, WsFrame.Binary, payload, ct);
    }

    [TestCase(new byte[] { 0, 0, 0, 0 })]             // an all-zero mask leaves the payload as it is
    [TestCase(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF })] // an all-ones mask inverts every bit
    [TestCase(new byte[] { 0x01, 0x80, 0x7F, 0xFE })] // a mixed key
    [CancelAfter(10_000)]
    public async Task Any_masking_key_is_honoured(byte[] mask, CancellationToken ct)
    {
        byte[] payload = BinaryPayload(1000);
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        await client.SendAsync(ClientFrames.Build(WsFrame.Binary, payload, mask: mask), ct).WithTimeout();

        await ExpectFrameAsync(client, WsFrame.Binary, payload, ct);
    }

    [Test, CancelAfter(20_000)]
    public async Task Many_messages_in_one_write_are_echoed_in_order(CancellationToken ct)
    {
        byte[][] payloads = Enumerable.Range(0, 300).Select(i => TextPayload(i % 140)).ToArray();
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        await client.SendAsync(payloads.SelectMany(p => ClientFrames.Build(WsFrame.Text, p)).ToArray(), ct).WithTimeout();

        foreach (byte[] payload in payloads)
            await ExpectFrameAsync(client, WsFrame.Text, payload, ct);
        await CloseCleanlyAsync(client, ct);
    }

    [TestCase(WsFrame.Text, 0)]                       // FIN + text, unmasked, empty -> 1002
    [TestCase(WsFrame.Text, 10)]                      // FIN + text, unmasked -> 1002
    [TestCase(WsFrame.Binary, 200)]                   // FIN + binary, unmasked, 16-bit length -> 1002
    [TestCase(WsFrame.Ping, 3)]                       // ping, unmasked -> 1002
    [TestCase(WsFrame.Close, 2)]                      // close, unmasked -> 1002
    [CancelAfter(10_000)]
    public async Task An_unmasked_client_frame_is_closed_with_1002(int opcode, int length, CancellationToken ct)
    {
        byte[] payload = opcode == WsFrame.Close ? [0x03, 0xE8] : TextPayload(length);
        await ExpectFailureAsync(ClientFrames.Build(opcode, payload, masked: false), 1002, ct);
    }

    [Test, CancelAfter(10_000)]
    public async Task An_unmasked_frame_fails_on_its_first_two_bytes(CancellationToken ct)
    {
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        await client.SendAsync(new byte[] { 0x82, 0x7E }, ct).WithTimeout();       // binary, unmasked, 16-bit length not yet sent

        await client.ExpectClosedWithAsync(1002, ct);
    }
}
