using System.Text;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration.History;

/// <summary>
/// The rawrelay.v1 subprotocol (SPEC, Nothing lost between pages): offered, it is selected, and every message
/// begins with a header line <c>&lt;stream&gt; &lt;epoch&gt;:&lt;offset&gt;</c>; offsets count each stream's messages
/// from 1; POSITION tells a stream's last position. A client that does not offer it gets Part 1's frames.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class V1ProtocolTests
{
    private RelayFixture _relay = null!;

    [OneTimeSetUp]
    public void StartRelay() => _relay = RelayFixture.Start(o => o with { History = 10 });

    [OneTimeTearDown]
    public async Task StopRelay() => await _relay.DisposeAsync();

    [Test, CancelAfter(10_000)]
    public async Task Every_message_carries_its_stream_and_position_on_that_stream(CancellationToken ct)
    {
        string id = TestData.NewId("v1"), channel = TestData.NewId("room");
        await using RawWebSocketClient page = await V1Client.ConnectAsync(_relay.Port, id, ct, [channel]);
        page.ResponseHead.Should().Contain("\r\nSec-WebSocket-Protocol: rawrelay.v1\r\n");
        using ControlClient control = _relay.OpenControl();
        string epochOfId = (await control.CommandAsync($"POSITION #{id}", ct))["OK ".Length..].Split(':')[0];

        (await control.CommandAsync($"SEND MESSAGE {id} one", ct)).Should().Be("OK 1");
        (await control.CommandAsync($"SEND MESSAGE {id} two", ct)).Should().Be("OK 1");
        (await control.CommandAsync($"PUBLISH MESSAGE {channel} three", ct)).Should().Be("OK 1");
        await control.WriteAsync(TestData.Concat($"SEND BINARY {id} 3\n", [0, 0xFF, 10], ""), ct);
        (await control.ReadLineAsync(ct).WithTimeout()).Should().Be("OK 1");

        V1Message one = await page.ReceiveAsync(ct), two = await page.ReceiveAsync(ct), three = await page.ReceiveAsync(ct);
        V1Message bytes = await page.ReceiveAsync(ct);
        (one.Stream, one.Epoch, one.Offset, one.Text, one.Opcode).Should().Be(($"#{id}", epochOfId, 1L, "one", WsFrame.Text));
        (two.Stream, two.Offset, two.Text).Should().Be(($"#{id}", 2L, "two"));
        (three.Stream, three.Offset, three.Text).Should().Be((channel, 1L, "three"));
        (bytes.Stream, bytes.Offset, bytes.Opcode).Should().Be(($"#{id}", 3L, WsFrame.Binary));
        bytes.Payload.Should().Equal(0, 0xFF, 10);
        (await control.CommandAsync($"POSITION #{id}", ct)).Should().Be($"OK {epochOfId}:3");
        (await control.CommandAsync($"POSITION {channel}", ct)).Should().Be($"OK {three.Epoch}:1");
    }

    [Test, CancelAfter(10_000)]
    public async Task Broadcast_is_on_stream_star_and_a_client_without_v1_gets_plain_frames(CancellationToken ct)
    {
        string id = TestData.NewId("plain");
        await using RawWebSocketClient v1 = await V1Client.ConnectAsync(_relay.Port, TestData.NewId("v1"), ct);
        await using RawWebSocketClient plain = await _relay.ConnectAsync(id, ct);
        plain.ResponseHead.Should().NotContain("Sec-WebSocket-Protocol");
        using ControlClient control = _relay.OpenControl();
        string before = (await control.CommandAsync("POSITION *", ct))["OK ".Length..];

        (await control.CommandAsync("BROADCAST MESSAGE to all", ct)).Should().StartWith("OK ");

        V1Message message = await v1.ReceiveAsync(ct);
        message.Stream.Should().Be("*");
        message.Position.Should().Be(Next(before));
        (await plain.ReceiveTextAsync(ct).WithTimeout()).Should().Be("to all", "a client that does not offer v1 gets exactly what Part 1 says");
    }

    [TestCase("POSITION", "ERR usage: POSITION <stream>")]
    [TestCase("POSITION #", "ERR usage: POSITION <stream>")]
    [TestCase("POSITION bad/channel", "ERR usage: POSITION <stream>")]
    [TestCase("POSITION * x", "ERR usage: POSITION <stream>")]
    public async Task A_bad_stream_gets_the_usage(string line, string reply) =>
        (await _relay.Control.CommandAsync(line)).Should().Be(reply);

    [Test, CancelAfter(10_000)]
    public async Task The_position_of_a_stream_with_no_message_yet_has_offset_0_and_keeps_its_epoch(CancellationToken ct)
    {
        string channel = TestData.NewId("new");
        using ControlClient control = _relay.OpenControl();
        string first = await control.CommandAsync($"POSITION {channel}", ct);
        first.Should().MatchRegex(@"^OK [A-Za-z0-9]{1,32}:0$");
        (await control.CommandAsync($"POSITION {channel}", ct)).Should().Be(first, "with history on, POSITION keeps the stream's epoch");
        await using RawWebSocketClient page = await V1Client.ConnectAsync(_relay.Port, TestData.NewId("p"), ct, [channel]);
        (await control.CommandAsync($"PUBLISH MESSAGE {channel} x", ct)).Should().Be("OK 1");
        (await page.ReceiveAsync(ct)).Position.Should().Be(Next(first["OK ".Length..]));
    }

    [Test]
    public async Task Offering_other_protocols_beside_v1_still_selects_v1()
    {
        await using RawWebSocketClient page = await RawWebSocketClient.ConnectAsync(_relay.Port, TestData.NewId("multi"),
            extraHeaders: "Sec-WebSocket-Protocol: chat, rawrelay.v1\r\n");
        page.ResponseHead.Should().Contain("\r\nSec-WebSocket-Protocol: rawrelay.v1\r\n");
        await using RawWebSocketClient other = await RawWebSocketClient.ConnectAsync(_relay.Port, TestData.NewId("other"),
            extraHeaders: "Sec-WebSocket-Protocol: chat\r\n");
        other.ResponseHead.Should().NotContain("Sec-WebSocket-Protocol", "no other subprotocol is negotiated");
    }

    private static string Next(string position)
    {
        string[] parts = position.Split(':');
        return $"{parts[0]}:{long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) + 1}";
    }
}
