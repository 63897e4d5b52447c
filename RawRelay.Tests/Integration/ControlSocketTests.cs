using System.Net.Sockets;
using System.Text;
using RawRelay.Control;
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

    [Test, CancelAfter(10_000)]
    public async Task Text_that_is_not_UTF8_is_refused_and_the_connection_stays_usable(CancellationToken ct)
    {
        string id = TestData.NewId("utf8");
        await using RawWebSocketClient board = await _relay.ConnectAsync(id, ct);
        using ControlClient control = _relay.OpenControl();
        byte[] bad = [(byte)'o', (byte)'k', 0xC3, 0x28, 0xFF];

        await control.WriteAsync(TestData.Concat($"SEND MESSAGE {id} ", bad, "\n"), ct);
        (await control.ReadLineAsync(ct).WithTimeout()).Should().Be("ERR message is not valid UTF-8");
        await control.WriteAsync(TestData.Concat($"SEND TEXT {id} 5\n", bad, ""), ct);
        (await control.ReadLineAsync(ct).WithTimeout()).Should().Be("ERR message is not valid UTF-8");
        await control.WriteAsync(TestData.Concat($"SEND BINARY {id} 5\n", bad, ""), ct);
        (await control.ReadLineAsync(ct).WithTimeout()).Should().Be("OK 1", "binary payloads need not be UTF-8");

        WsFrame frame = await board.ReceiveDataFrameAsync(ct).WithTimeout();
        frame.Opcode.Should().Be(WsFrame.Binary, "the refused texts were not sent");
        frame.Payload.Should().Equal(bad);
    }

    [Test, CancelAfter(20_000)]
    public async Task A_line_over_the_limit_is_refused_once_and_the_next_command_still_works(CancellationToken ct)
    {
        string id = TestData.NewId("long");
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
        string id = TestData.NewId("max");
        await using RawWebSocketClient board = await _relay.ConnectAsync(id, ct);
        using ControlClient control = _relay.OpenControl();
        string largest = new('y', (int)MaxMessage);

        (await control.CommandAsync($"SEND MESSAGE {id} {largest}", ct)).Should().Be("OK 1");
        (await control.CommandAsync($"SEND MESSAGE {id} {largest}y", ct)).Should().Be("ERR message too large");

        (await board.ReceiveTextAsync(ct).WithTimeout()).Should().Be(largest);
    }

    [TestCase("FROB", "ERR unknown command: FROB")]
    [TestCase("frob 1 2", "ERR unknown command: frob")]
    [TestCase("LIST", "ERR usage: LIST WEBSOCKETS [<channel>] | LIST CHANNELS")]
    [TestCase("SEND MESSAGE", "ERR usage: SEND MESSAGE <id> <message>")]
    [TestCase("SEND MESSAGE has-no-message", "ERR usage: SEND MESSAGE <id> <message>")]
    [TestCase("SEND PIGEON b1 x", "ERR usage: SEND MESSAGE <id> <message> | SEND TEXT <id> <length> | SEND BINARY <id> <length>")]
    [TestCase("BROADCAST", "ERR usage: BROADCAST MESSAGE <message> | BROADCAST TEXT <length> | BROADCAST BINARY <length>")]
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
        string id = TestData.NewId("len");
        await using RawWebSocketClient board = await _relay.ConnectAsync(id);
        using ControlClient control = _relay.OpenControl();
        byte[] payload = Encoding.UTF8.GetBytes(payloadText);

        await control.WriteAsync(TestData.Concat($"{form} {id} {payload.Length}\n", payload, $"SEND MESSAGE {id} next\n")).WithTimeout();

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
        string id = TestData.NewId("bytes");
        await using RawWebSocketClient board = await _relay.ConnectAsync(id, ct);
        using ControlClient control = _relay.OpenControl();
        byte[] every = Enumerable.Range(0, 256).Select(b => (byte)b).ToArray();

        await control.WriteAsync(TestData.Concat($"SEND BINARY {id} 256\n", every, ""), ct);

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

        await control.WriteAsync(TestData.Concat("BROADCAST MESSAGE hello all\n" + $"BROADCAST TEXT {text.Length}\n", text,
            $"BROADCAST BINARY {bytes.Length}\n"), ct);
        await control.WriteAsync(TestData.Concat("", bytes, "BROADCAST MESSAGE \n"), ct);

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
    [TestCase("BROADCAST TEXT 4097")]
    [TestCase("broadcast binary 1000000")]
    [TestCase("SEND BINARY {0} 9999999999999999999")]
    public async Task A_length_over_max_message_is_refused_and_the_connection_closed(string lineFormat)
    {
        string id = TestData.NewId("huge");
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
        string id = TestData.NewId("short");
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
            "messages_in", "bytes_out", "bytes_in", "slow_clients_dropped", "uptime_seconds", "channels", "subscriptions", "history_messages", "history_bytes", "log_lines_lost",
            "ping_timeouts", "rate_limited", "busy_refused");
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
        lines.Select(line => line.Split(' ')[0]).Distinct().Should().Equal(
            "LIST", "SEND", "PUBLISH", "BROADCAST", "SUBSCRIBE", "UNSUBSCRIBE", "CHANNELS", "POSITION", "CLOSE", "DISCONNECT", "WATCH", "STATS", "HELP", "QUIT");
        lines.Should().Equal(ControlUsage.HelpLines);
    }

    [Test, CancelAfter(10_000)]
    public async Task Quit_answers_OK_bye_closes_and_runs_nothing_after_it(CancellationToken ct)
    {
        string id = TestData.NewId("quit");
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
        string id = TestData.NewId("close");
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

    private static async Task<Dictionary<string, long>> StatsAsync(ControlClient control, CancellationToken ct)
    {
        (List<string> lines, string status) = await control.CommandWithDataAsync("STATS", ct);
        status.Should().Be("OK");
        return lines.Select(line => line.Split(' ')).ToDictionary(words => words[0], words => long.Parse(words[1]));
    }
}
