using System.Net.WebSockets;
using System.Text;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration;

/// <summary>The walkthrough, end to end: a board connects, LIST shows it, SEND MESSAGE reaches it.</summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class RelayEndToEndTests
{
    private RelayFixture _relay = null!;

    [OneTimeSetUp]
    public void StartRelay() => _relay = RelayFixture.Start();

    [OneTimeTearDown]
    public async Task StopRelay() => await _relay.DisposeAsync();

    [Test, CancelAfter(10_000)]
    public async Task Send_message_reaches_a_ClientWebSocket_board(CancellationToken ct)
    {
        using var board = new ClientWebSocket();
        await board.ConnectAsync(_relay.BoardUri("QVZS7CQWAE"), ct).WithTimeout();

        (await _relay.Control.CommandAsync("SEND MESSAGE QVZS7CQWAE {\"message\":\"test\"}", ct)).Should().Be("OK 1");

        var buffer = new byte[1024];
        WebSocketReceiveResult result = await board.ReceiveAsync(buffer, ct).WithTimeout();
        result.MessageType.Should().Be(WebSocketMessageType.Text);
        result.EndOfMessage.Should().BeTrue();
        Encoding.UTF8.GetString(buffer, 0, result.Count).Should().Be("{\"message\":\"test\"}");
        await board.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", ct).WithTimeout();
        board.CloseStatus.Should().Be(WebSocketCloseStatus.NormalClosure);
    }

    [Test, CancelAfter(10_000)]
    public async Task List_shows_each_connection_as_id_and_address_oldest_first(CancellationToken ct)
    {
        string first = "list-a-" + Guid.NewGuid().ToString("N")[..6], second = "list-b-" + Guid.NewGuid().ToString("N")[..6];
        await using RawWebSocketClient a = await _relay.ConnectAsync(first, ct);
        await using RawWebSocketClient b = await _relay.ConnectAsync(second, ct);

        (List<string> lines, string status) = await _relay.OpenControl().CommandWithDataAsync("LIST WEBSOCKETS", ct);

        status.Should().MatchRegex(@"^OK \d+$");
        int.Parse(status[3..]).Should().Be(lines.Count);
        string aLine = $"{first} 127.0.0.1:{((System.Net.IPEndPoint)a.Socket.LocalEndPoint!).Port}";
        string bLine = $"{second} 127.0.0.1:{((System.Net.IPEndPoint)b.Socket.LocalEndPoint!).Port}";
        lines.Should().Contain(aLine).And.Contain(bLine);
        lines.IndexOf(aLine).Should().BeLessThan(lines.IndexOf(bLine));
    }

    [Test, CancelAfter(10_000)]
    public async Task Two_connections_with_one_id_both_receive(CancellationToken ct)
    {
        string id = "tabs-" + Guid.NewGuid().ToString("N")[..8];
        await using RawWebSocketClient tab1 = await _relay.ConnectAsync(id, ct);
        await using RawWebSocketClient tab2 = await _relay.ConnectAsync(id, ct);

        (await _relay.OpenControl().CommandAsync($"SEND MESSAGE {id} hi there", ct)).Should().Be("OK 2");

        (await tab1.ReceiveTextAsync(ct).WithTimeout()).Should().Be("hi there");
        (await tab2.ReceiveTextAsync(ct).WithTimeout()).Should().Be("hi there");
    }

    [Test, CancelAfter(10_000)]
    public async Task A_connection_that_disconnects_leaves_list(CancellationToken ct)
    {
        string id = "gone-" + Guid.NewGuid().ToString("N")[..8];
        using ControlClient control = _relay.OpenControl();
        RawWebSocketClient client = await _relay.ConnectAsync(id, ct);
        (await ListIdsAsync(control, ct)).Should().Contain(id, "a client that has read its 101 is already listed");

        await client.DisposeAsync();            // TCP closed without a close frame

        await TaskTimeouts.Eventually(async () => !(await ListIdsAsync(control, ct)).Contains(id));
        (await control.CommandAsync($"SEND MESSAGE {id} anyone?", ct)).Should().Be("OK 0");
    }

    [Test, CancelAfter(10_000)]
    public async Task A_closing_handshake_is_answered_with_the_same_code_and_leaves_list(CancellationToken ct)
    {
        string id = "closer-" + Guid.NewGuid().ToString("N")[..8];
        using ControlClient control = _relay.OpenControl();
        await using RawWebSocketClient client = await _relay.ConnectAsync(id, ct);

        await client.SendAsync(ClientFrames.Close(4001, "done"), ct);

        WsFrame reply = await client.ReceiveFrameAsync(ct).WithTimeout();
        reply.Opcode.Should().Be(WsFrame.Close);
        reply.CloseCode.Should().Be(4001);
        (await client.ReceiveEndOfStreamAsync(ct).WithTimeout()).Should().BeTrue();
        await TaskTimeouts.Eventually(async () => !(await ListIdsAsync(control, ct)).Contains(id));
    }

    [Test, CancelAfter(10_000)]
    public async Task A_close_frame_followed_at_once_by_FIN_is_still_answered(CancellationToken ct)
    {
        await using RawWebSocketClient client = await _relay.ConnectAsync("fin-" + Guid.NewGuid().ToString("N")[..8], ct);

        await client.SendAsync(ClientFrames.Close(3001, "bye"), ct);
        client.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);

        WsFrame reply = await client.ReceiveFrameAsync(ct).WithTimeout();
        reply.Opcode.Should().Be(WsFrame.Close);
        reply.CloseCode.Should().Be(3001);
        (await client.ReceiveEndOfStreamAsync(ct).WithTimeout()).Should().BeTrue();
    }

    [Test, CancelAfter(10_000)]
    public async Task Send_to_an_unknown_id_answers_ok_0(CancellationToken ct) =>
        (await _relay.OpenControl().CommandAsync("SEND MESSAGE nobody-here x", ct)).Should().Be("OK 0");

    private static async Task<List<string>> ListIdsAsync(ControlClient control, CancellationToken ct)
    {
        (List<string> lines, _) = await control.CommandWithDataAsync("LIST WEBSOCKETS", ct);
        return lines.Select(line => line.Split(' ')[0]).ToList();
    }
}
