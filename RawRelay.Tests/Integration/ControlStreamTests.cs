using System.Net.Sockets;
using System.Text;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration;

/// <summary>
/// The control socket as a stream: pipelined commands answered in order, fire-and-forget clients, the end
/// of the stream, line endings, and the order of messages across commands and connections.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class ControlStreamTests
{
    private RelayFixture _relay = null!;

    [OneTimeSetUp]
    public void StartRelay() => _relay = RelayFixture.Start();

    [OneTimeTearDown]
    public async Task StopRelay() => await _relay.DisposeAsync();

    [Test, CancelAfter(60_000)]
    public async Task Ten_thousand_pipelined_commands_are_answered_in_order(CancellationToken ct)
    {
        string id = TestData.NewId("pipe");
        await using RawWebSocketClient board = await _relay.ConnectAsync(id, ct);
        using ControlClient control = _relay.OpenControl();
        var commands = new StringBuilder();
        var expected = new List<string>();
        for (int i = 0; i < 10_000; i++)
        {
            // Three kinds of reply, so a reply out of place shows: OK 1, a named ERR, OK 0.
            (string command, string reply) = (i % 3) switch
            {
                0 => ($"SEND MESSAGE {id} m{i}", "OK 1"),
                1 => ($"NOPE{i}", $"ERR unknown command: NOPE{i}"),
                _ => ($"SEND MESSAGE nobody-{i} x", "OK 0"),
            };
            commands.Append(command).Append('\n');
            expected.Add(reply);
        }

        Task writing = control.WriteAsync(commands.ToString(), ct); // replies are read while it writes
        var replies = new List<string>();
        while (replies.Count < expected.Count)
            replies.Add(await control.ReadLineAsync(ct).WithTimeout() ?? "<end of stream>");
        await writing.WithTimeout();

        replies.Should().Equal(expected);
        for (int i = 0; i < 10_000; i += 3)
            (await board.ReceiveTextAsync(ct).WithTimeout()).Should().Be($"m{i}");
    }

    [Test, CancelAfter(20_000)]
    public async Task A_client_that_writes_and_closes_at_once_still_has_every_line_executed(CancellationToken ct)
    {
        string id = TestData.NewId("fire");
        await using RawWebSocketClient board = await _relay.ConnectAsync(id, ct);
        var commands = new StringBuilder();
        for (int i = 0; i < 5000; i++)                      // replies of more than one write's worth
            commands.Append($"SEND MESSAGE {id} f{i}\n");
        commands.Append($"SEND MESSAGE {id} last, without LF");

        using (ControlClient control = _relay.OpenControl())
            await control.WriteAsync(commands.ToString(), ct).WithTimeout(); // closed without reading a reply

        for (int i = 0; i < 5000; i++)
            (await board.ReceiveTextAsync(ct).WithTimeout()).Should().Be($"f{i}");
        (await board.ReceiveTextAsync(ct).WithTimeout()).Should().Be("last, without LF");
    }

    [Test, CancelAfter(10_000)]
    public async Task A_last_line_without_LF_is_executed_and_answered_at_end_of_stream(CancellationToken ct)
    {
        string id = TestData.NewId("nolf");
        await using RawWebSocketClient board = await _relay.ConnectAsync(id, ct);
        using ControlClient control = _relay.OpenControl();

        await control.WriteAsync($"SEND MESSAGE {id} no LF here", ct);
        control.Socket.Shutdown(SocketShutdown.Send);

        (await control.ReadLineAsync(ct).WithTimeout()).Should().Be("OK 1");
        (await control.IsClosedByPeerAsync(ct)).Should().BeTrue();
        (await board.ReceiveTextAsync(ct).WithTimeout()).Should().Be("no LF here");
    }

    [Test, CancelAfter(10_000)]
    public async Task CRLF_lines_work_and_the_CR_does_not_reach_the_message(CancellationToken ct)
    {
        string id = TestData.NewId("crlf");
        await using RawWebSocketClient board = await _relay.ConnectAsync(id, ct);
        using ControlClient control = _relay.OpenControl();

        await control.WriteAsync($"SEND MESSAGE {id} hi\r\nSTATS\r\nsend message {id} a\rb \r\n", ct);

        (await control.ReadLineAsync(ct).WithTimeout()).Should().Be("OK 1");
        (await control.ReadReplyAsync(ct)).Status.Should().Be("OK");
        (await control.ReadLineAsync(ct).WithTimeout()).Should().Be("OK 1");
        (await board.ReceiveTextAsync(ct).WithTimeout()).Should().Be("hi");
        (await board.ReceiveTextAsync(ct).WithTimeout()).Should().Be("a\rb ", "only the CR before the LF is dropped");
    }

    [Test, CancelAfter(10_000)]
    public async Task Empty_lines_are_ignored_without_a_reply(CancellationToken ct)
    {
        using ControlClient control = _relay.OpenControl();

        await control.WriteAsync("\n\r\n\nSEND MESSAGE nobody-here x\n", ct);

        (await control.ReadLineAsync(ct).WithTimeout()).Should().Be("OK 0");
    }

    [Test, CancelAfter(30_000)]
    public async Task Many_control_connections_at_once_each_keep_their_order(CancellationToken ct)
    {
        const int Connections = 40, PerConnection = 25;
        string id = TestData.NewId("many");
        await using RawWebSocketClient board = await _relay.ConnectAsync(id, ct);
        var controls = Enumerable.Range(0, Connections).Select(_ => _relay.OpenControl()).ToList();
        try
        {
            // Every connection is open before any writes; then all write at once.
            await Task.WhenAll(controls.Select((control, c) => Task.Run(async () =>
            {
                for (int i = 0; i < PerConnection; i++)
                    (await control.CommandAsync($"SEND MESSAGE {id} {c}:{i}", ct)).Should().Be("OK 1");
            }, ct))).WithTimeout(TimeSpan.FromSeconds(20));

            var next = new int[Connections];
            for (int n = 0; n < Connections * PerConnection; n++)
            {
                string[] parts = (await board.ReceiveTextAsync(ct).WithTimeout()).Split(':');
                int c = int.Parse(parts[0]);
                int.Parse(parts[1]).Should().Be(next[c]++, $"messages of control connection {c} arrive in order");
            }

            next.Should().OnlyContain(count => count == PerConnection);
        }
        finally
        {
            controls.ForEach(control => control.Dispose());
        }
    }

    [Test, CancelAfter(10_000)]
    public async Task Messages_of_one_connection_keep_command_order_across_every_form(CancellationToken ct)
    {
        string id = TestData.NewId("order");
        await using RawWebSocketClient board = await _relay.ConnectAsync(id, ct);
        using ControlClient control = _relay.OpenControl();

        await control.WriteAsync(TestData.Concat($"SEND MESSAGE {id} 1\nSEND TEXT {id} 1\n2SEND BINARY {id} 1\n", [3],
            $"SEND MESSAGE {id} 4\nSEND TEXT {id} 3\n5\n5SEND MESSAGE {id} 6\n"), ct);

        for (int i = 0; i < 6; i++)
            (await control.ReadLineAsync(ct).WithTimeout()).Should().Be("OK 1");
        var received = new List<string>();
        for (int i = 0; i < 6; i++)
        {
            WsFrame frame = await board.ReceiveDataFrameAsync(ct).WithTimeout();
            received.Add(frame.Opcode == WsFrame.Binary ? $"bin{frame.Payload[0]}" : frame.Text8);
        }

        received.Should().Equal("1", "2", "bin3", "4", "5\n5", "6");
    }

    [Test, CancelAfter(10_000)]
    public async Task A_client_that_closes_with_a_reply_unread_still_has_its_last_line_run(CancellationToken ct)
    {
        string first = TestData.NewId("unread-a"), last = TestData.NewId("unread-b");
        await using RawWebSocketClient boardA = await _relay.ConnectAsync(first, ct);
        await using RawWebSocketClient boardB = await _relay.ConnectAsync(last, ct);
        using (ControlClient control = _relay.OpenControl())
        {
            await control.WriteAsync($"SEND MESSAGE {first} one\n", ct);
            await TaskTimeouts.Eventually(() => Task.FromResult(control.Socket.Available > 0));   // "OK 1" is here, unread
            await control.WriteAsync($"SEND MESSAGE {last} two, without LF", ct);
        }

        // Closing with unread bytes makes the kernel reset the connection after the bytes we sent.
        (await boardA.ReceiveTextAsync(ct).WithTimeout()).Should().Be("one");
        (await boardB.ReceiveTextAsync(ct).WithTimeout()).Should().Be("two, without LF");
    }
}
