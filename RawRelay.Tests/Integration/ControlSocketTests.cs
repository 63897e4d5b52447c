using System.Net.Sockets;
using System.Text;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration;

/// <summary>The control protocol of SPEC.md over a real UNIX socket, byte for byte.</summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class ControlSocketTests
{
    private const long MaxMessage = 4096;
    private RelayFixture _relay = null!;

    [OneTimeSetUp]
    public void StartRelay() => _relay = RelayFixture.Start(o => o with { MaxMessage = MaxMessage });

    [OneTimeTearDown]
    public async Task StopRelay() => await _relay.DisposeAsync();

    [Test, CancelAfter(60_000)]
    public async Task Ten_thousand_pipelined_commands_are_answered_in_order(CancellationToken ct)
    {
        string id = NewId("pipe");
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
        string id = NewId("fire");
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
        string id = NewId("nolf");
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
        string id = NewId("crlf");
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

    [Test, CancelAfter(10_000)]
    public async Task Text_that_is_not_UTF8_is_refused_and_the_connection_stays_usable(CancellationToken ct)
    {
        string id = NewId("utf8");
        await using RawWebSocketClient board = await _relay.ConnectAsync(id, ct);
        using ControlClient control = _relay.OpenControl();
        byte[] bad = [(byte)'o', (byte)'k', 0xC3, 0x28, 0xFF];

        await control.WriteAsync(Concat($"SEND MESSAGE {id} ", bad, "\n"), ct);
        (await control.ReadLineAsync(ct).WithTimeout()).Should().Be("ERR message is not valid UTF-8");
        await control.WriteAsync(Concat($"SEND TEXT {id} 5\n", bad, ""), ct);
        (await control.ReadLineAsync(ct).WithTimeout()).Should().Be("ERR message is not valid UTF-8");
        await control.WriteAsync(Concat($"SEND BINARY {id} 5\n", bad, ""), ct);
        (await control.ReadLineAsync(ct).WithTimeout()).Should().Be("OK 1", "binary payloads need not be UTF-8");

        WsFrame frame = await board.ReceiveDataFrameAsync(ct).WithTimeout();
        frame.Opcode.Should().Be(WsFrame.Binary, "the refused texts were not sent");
        frame.Payload.Should().Equal(bad);
    }

    [Test, CancelAfter(20_000)]
    public async Task A_line_over_the_limit_is_refused_once_and_the_next_command_still_works(CancellationToken ct)
    {
        string id = NewId("long");
        await using RawWebSocketClient board = await _relay.ConnectAsync(id, ct);
        using ControlClient control = _relay.OpenControl();
        string longLine = $"SEND MESSAGE {id} " + new string('x', (int)MaxMessage + 256);

        // Sent in two writes, so the relay may well see the first part with no LF in sight.
        await control.WriteAsync(longLine[..4000], ct);
        await control.WriteAsync(longLine[4000..] + $"\nSEND MESSAGE {id} after\n", ct);

        (await control.ReadLineAsync(ct).WithTimeout()).Should().Be("ERR line too long");
        (await control.ReadLineAsync(ct).WithTimeout()).Should().Be("OK 1");
        (await board.ReceiveTextAsync(ct).WithTimeout()).Should().Be("after");
    }

    [Test, CancelAfter(10_000)]
    public async Task A_message_of_max_message_bytes_fits_on_a_line_and_one_byte_more_does_not(CancellationToken ct)
    {
        string id = NewId("max");
        await using RawWebSocketClient board = await _relay.ConnectAsync(id, ct);
        using ControlClient control = _relay.OpenControl();
        string largest = new('y', (int)MaxMessage);

        (await control.CommandAsync($"SEND MESSAGE {id} {largest}", ct)).Should().Be("OK 1");
        (await control.CommandAsync($"SEND MESSAGE {id} {largest}y", ct)).Should().Be("ERR message too large");

        (await board.ReceiveTextAsync(ct).WithTimeout()).Should().Be(largest);
    }

    [TestCase("FROB", "ERR unknown command: FROB")]
    [TestCase("frob 1 2", "ERR unknown command: frob")]
    [TestCase("LIST", "ERR usage: LIST WEBSOCKETS")]
    [TestCase("SEND MESSAGE", "ERR usage: SEND MESSAGE <id> <message>")]
    [TestCase("SEND MESSAGE has-no-message", "ERR usage: SEND MESSAGE <id> <message>")]
    [TestCase("SEND PIGEON b1 x", "ERR usage: SEND MESSAGE <id> <message> | SEND TEXT <id> <length> | SEND BINARY <id> <length>")]
    [TestCase("SEND TEXT b1 many", "ERR usage: SEND TEXT <id> <length>")]
    [TestCase("SEND BINARY b1", "ERR usage: SEND BINARY <id> <length>")]
    [TestCase("BROADCAST", "ERR usage: BROADCAST MESSAGE <message> | BROADCAST TEXT <length> | BROADCAST BINARY <length>")]
    [TestCase("BROADCAST TEXT -3", "ERR usage: BROADCAST TEXT <length>")]
    [TestCase("CLOSE", "ERR usage: CLOSE <id> [<code> [<reason of at most 123 bytes>]]")]
    [TestCase("CLOSE b1 soon", "ERR usage: CLOSE <id> [<code> [<reason of at most 123 bytes>]]")]
    [TestCase("CLOSE b1 1005", "ERR invalid close code")]
    [TestCase("CLOSE b1 2000 why", "ERR invalid close code")]
    [TestCase("STATS please", "ERR usage: STATS")]
    [TestCase("QUIT now", "ERR usage: QUIT")]
    public async Task Unknown_verbs_and_usage_errors_are_answered_and_the_connection_stays_usable(string line, string reply)
    {
        using ControlClient control = _relay.OpenControl();

        await control.WriteAsync(line + "\nSEND MESSAGE nobody-here x\n").WithTimeout();

        (await control.ReadLineAsync().WithTimeout()).Should().Be(reply);
        (await control.ReadLineAsync().WithTimeout()).Should().Be("OK 0");
    }

    [TestCase("SEND TEXT", "text\nwith LF", WsFrame.Text)]
    [TestCase("SEND TEXT", "\r\n\n\u00e9\u2713 SEND MESSAGE x y\n", WsFrame.Text)] // what looks like a command is payload
    [TestCase("SEND TEXT", "", WsFrame.Text)]
    [TestCase("SEND BINARY", "\0\u0001\n\r\u007f", WsFrame.Binary)]
    [TestCase("SEND BINARY", "", WsFrame.Binary)]
    public async Task Length_prefixed_sends_deliver_their_payload_verbatim(string form, string payloadText, int opcode)
    {
        string id = NewId("len");
        await using RawWebSocketClient board = await _relay.ConnectAsync(id);
        using ControlClient control = _relay.OpenControl();
        byte[] payload = Encoding.UTF8.GetBytes(payloadText);

        await control.WriteAsync(Concat($"{form} {id} {payload.Length}\n", payload, $"SEND MESSAGE {id} next\n")).WithTimeout();

        (await control.ReadLineAsync().WithTimeout()).Should().Be("OK 1");
        (await control.ReadLineAsync().WithTimeout()).Should().Be("OK 1");
        WsFrame frame = await board.ReceiveDataFrameAsync().WithTimeout();
        frame.Opcode.Should().Be(opcode);
        frame.Payload.Should().Equal(payload);
        (await board.ReceiveTextAsync().WithTimeout()).Should().Be("next");
    }

    [Test, CancelAfter(10_000)]
    public async Task Send_binary_carries_every_byte_value(CancellationToken ct)
    {
        string id = NewId("bytes");
        await using RawWebSocketClient board = await _relay.ConnectAsync(id, ct);
        using ControlClient control = _relay.OpenControl();
        byte[] every = Enumerable.Range(0, 256).Select(b => (byte)b).ToArray();

        await control.WriteAsync(Concat($"SEND BINARY {id} 256\n", every, ""), ct);

        (await control.ReadLineAsync(ct).WithTimeout()).Should().Be("OK 1");
        (await board.ReceiveDataFrameAsync(ct).WithTimeout()).Payload.Should().Equal(every);
    }

    [Test, CancelAfter(15_000)]
    public async Task Broadcasts_reach_every_connection_with_payloads_verbatim(CancellationToken ct)
    {
        await using RelayFixture relay = RelayFixture.Start(); // its own relay, so the counts are exact
        await using RawWebSocketClient one = await relay.ConnectAsync("one", ct);
        await using RawWebSocketClient two = await relay.ConnectAsync("two", ct);
        using ControlClient control = relay.OpenControl();
        byte[] text = Encoding.UTF8.GetBytes("line 1\nline 2 \u2713\r\n");
        byte[] bytes = [0x00, 0x0A, 0xFF, 0x0D, 0x0A];

        await control.WriteAsync(Concat("BROADCAST MESSAGE hello all\n" + $"BROADCAST TEXT {text.Length}\n", text,
            $"BROADCAST BINARY {bytes.Length}\n"), ct);
        await control.WriteAsync(Concat("", bytes, "BROADCAST MESSAGE \n"), ct);

        foreach (string _ in new[] { "MESSAGE", "TEXT", "BINARY", "empty MESSAGE" })
            (await control.ReadLineAsync(ct).WithTimeout()).Should().Be("OK 2");
        foreach (RawWebSocketClient board in new[] { one, two })
        {
            (await board.ReceiveTextAsync(ct).WithTimeout()).Should().Be("hello all");
            WsFrame textFrame = await board.ReceiveDataFrameAsync(ct).WithTimeout();
            textFrame.Opcode.Should().Be(WsFrame.Text);
            textFrame.Payload.Should().Equal(text);
            WsFrame binaryFrame = await board.ReceiveDataFrameAsync(ct).WithTimeout();
            binaryFrame.Opcode.Should().Be(WsFrame.Binary);
            binaryFrame.Payload.Should().Equal(bytes);
            (await board.ReceiveTextAsync(ct).WithTimeout()).Should().Be("");
        }
    }

    [TestCase("SEND TEXT {0} 4097")]
    [TestCase("SEND BINARY {0} 99999999999999999999")]
    [TestCase("BROADCAST TEXT 4097")]
    [TestCase("broadcast binary 1000000")]
    public async Task A_length_over_max_message_is_refused_and_the_connection_closed(string lineFormat)
    {
        string id = NewId("huge");
        await using RawWebSocketClient board = await _relay.ConnectAsync(id);
        using ControlClient control = _relay.OpenControl();

        await control.WriteAsync(string.Format(lineFormat, id) + $"\nSEND MESSAGE {id} never\n").WithTimeout();

        (await control.ReadLineAsync().WithTimeout()).Should().Be("ERR payload too large");
        (await control.IsClosedByPeerAsync()).Should().BeTrue("the payload cannot be skipped safely");
        using ControlClient other = _relay.OpenControl();
        (await other.CommandAsync($"SEND MESSAGE {id} later")).Should().Be("OK 1");
        (await board.ReceiveTextAsync().WithTimeout()).Should().Be("later", "nothing after the refused line ran");
    }

    [Test, CancelAfter(10_000)]
    public async Task A_payload_cut_short_by_the_end_of_the_stream_is_not_sent(CancellationToken ct)
    {
        string id = NewId("short");
        await using RawWebSocketClient board = await _relay.ConnectAsync(id, ct);
        using ControlClient control = _relay.OpenControl();

        await control.WriteAsync($"SEND MESSAGE {id} first\nSEND TEXT {id} 10\nonly 5", ct);
        control.Socket.Shutdown(SocketShutdown.Send);

        (await control.ReadLineAsync(ct).WithTimeout()).Should().Be("OK 1");
        (await control.IsClosedByPeerAsync(ct)).Should().BeTrue("no reply for a command whose payload never came");
        using ControlClient other = _relay.OpenControl();
        (await other.CommandAsync($"SEND MESSAGE {id} second", ct)).Should().Be("OK 1");
        (await board.ReceiveTextAsync(ct).WithTimeout()).Should().Be("first");
        (await board.ReceiveTextAsync(ct).WithTimeout()).Should().Be("second", "the cut payload was dropped");
    }

    [Test, CancelAfter(10_000)]
    public async Task Stats_gives_each_counter_as_a_name_and_an_integer(CancellationToken ct)
    {
        using ControlClient control = _relay.OpenControl();

        (List<string> lines, string status) = await control.CommandWithDataAsync("STATS", ct);

        status.Should().Be("OK");
        lines.Select(line => line.Split(' ')[0]).Should().Equal("connections", "connections_total", "messages_out",
            "messages_in", "bytes_out", "bytes_in", "slow_clients_dropped", "uptime_seconds");
        lines.Should().OnlyContain(line => System.Text.RegularExpressions.Regex.IsMatch(line, @"^[a-z_]+ \d+$"));
    }

    [Test, CancelAfter(10_000)]
    public async Task Stats_counts_what_was_sent(CancellationToken ct)
    {
        await using RelayFixture relay = RelayFixture.Start(); // its own counters
        await using RawWebSocketClient board = await relay.ConnectAsync("counted", ct);
        using ControlClient control = relay.OpenControl();

        Dictionary<string, long> before = await StatsAsync(control, ct);

        (await control.CommandAsync("SEND MESSAGE counted 12345", ct)).Should().Be("OK 1");
        await board.ReceiveTextAsync(ct).WithTimeout();

        Dictionary<string, long> after = await StatsAsync(control, ct);
        after["connections"].Should().Be(1);
        after["connections_total"].Should().Be(1);
        after["messages_out"].Should().Be(before["messages_out"] + 1);
        after["bytes_out"].Should().Be(before["bytes_out"] + 7, "a text frame of 5 bytes is 7 bytes on the wire");
        after["slow_clients_dropped"].Should().Be(0);
    }

    [Test, CancelAfter(10_000)]
    public async Task Help_lists_every_command_then_OK(CancellationToken ct)
    {
        using ControlClient control = _relay.OpenControl();

        (List<string> lines, string status) = await control.CommandWithDataAsync("help", ct);

        status.Should().Be("OK");
        lines.Select(line => line.Split(' ')[0]).Distinct().Should().Equal("LIST", "SEND", "BROADCAST", "CLOSE", "STATS", "HELP", "QUIT");
        lines.Should().HaveCount(11);
    }

    [Test, CancelAfter(10_000)]
    public async Task Quit_answers_OK_bye_closes_and_runs_nothing_after_it(CancellationToken ct)
    {
        string id = NewId("quit");
        await using RawWebSocketClient board = await _relay.ConnectAsync(id, ct);
        using ControlClient control = _relay.OpenControl();

        await control.WriteAsync($"QUIT\nSEND MESSAGE {id} after quit\n", ct);

        (await control.ReadLineAsync(ct).WithTimeout()).Should().Be("OK bye");
        (await control.IsClosedByPeerAsync(ct)).Should().BeTrue();
        using ControlClient other = _relay.OpenControl();
        (await other.CommandAsync($"SEND MESSAGE {id} from another", ct)).Should().Be("OK 1");
        (await board.ReceiveTextAsync(ct).WithTimeout()).Should().Be("from another");
    }

    [TestCase("", 1000, "")]
    [TestCase(" 4001", 4001, "")]
    [TestCase(" 1001 going away, with spaces", 1001, "going away, with spaces")]
    [TestCase(" 3000 \u00e9t\u00e9 \u2713", 3000, "\u00e9t\u00e9 \u2713")]
    public async Task Close_sends_its_code_and_reason_to_every_connection_of_the_id(string arguments, int code, string reason)
    {
        string id = NewId("close");
        await using RawWebSocketClient tab1 = await _relay.ConnectAsync(id);
        await using RawWebSocketClient tab2 = await _relay.ConnectAsync(id);
        using ControlClient control = _relay.OpenControl();

        (await control.CommandAsync($"CLOSE {id}{arguments}")).Should().Be("OK 2");

        foreach (RawWebSocketClient tab in new[] { tab1, tab2 })
        {
            WsFrame close = await tab.ReceiveFrameAsync().WithTimeout();
            close.Opcode.Should().Be(WsFrame.Close);
            close.CloseCode.Should().Be(code);
            close.CloseReason.Should().Be(reason);
        }

        (await control.CommandAsync($"CLOSE nobody-{id}")).Should().Be("OK 0");
    }

    [Test, CancelAfter(30_000)]
    public async Task Many_control_connections_at_once_each_keep_their_order(CancellationToken ct)
    {
        const int Connections = 40, PerConnection = 25;
        string id = NewId("many");
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
        string id = NewId("order");
        await using RawWebSocketClient board = await _relay.ConnectAsync(id, ct);
        using ControlClient control = _relay.OpenControl();

        await control.WriteAsync(Concat($"SEND MESSAGE {id} 1\nSEND TEXT {id} 1\n2SEND BINARY {id} 1\n", [3],
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

    private static async Task<Dictionary<string, long>> StatsAsync(ControlClient control, CancellationToken ct)
    {
        (List<string> lines, string status) = await control.CommandWithDataAsync("STATS", ct);
        status.Should().Be("OK");
        return lines.Select(line => line.Split(' ')).ToDictionary(words => words[0], words => long.Parse(words[1]));
    }

    private static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..20];

    private static byte[] Concat(string before, byte[] middle, string after) =>
        [.. Encoding.UTF8.GetBytes(before), .. middle, .. Encoding.UTF8.GetBytes(after)];
}
