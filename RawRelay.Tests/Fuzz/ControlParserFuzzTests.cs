using System.Net.Sockets;
using System.Text;
using RawRelay.Control;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Fuzz;

/// <summary>
/// Random and mutated control lines, judged by <see cref="ControlProtocolModel"/> (a reference written from
/// the SPEC, sharing no code with the relay): directly into the parser (the command, error and payload
/// length it gives are the model's; allocation stays bounded) and over the control socket, each line
/// followed by its payload, random bytes that often hold command lines (the relay answers exactly the
/// model's status line, closes exactly when it says, and a WebSocket client receives exactly the messages
/// the model says: nothing in a payload, or after a line that closes, ever runs).
/// </summary>
[TestFixture, NonParallelizable]
public sealed class ControlParserFuzzTests
{
    private const string Fuzzer = "control-parser";
    private const int MaxMessage = 64;
    private const int LineLimit = MaxMessage + ControlProtocolModel.LineSlack;

    /// <summary>The id of the WebSocket client that witnesses what the commands send (the lines' usual id).</summary>
    private const string Witness = "board1";

    /// <summary>Small, so that SUBSCRIBE meets ERR too many channels now and then.</summary>
    private const int MaxChannels = 4;

    /// <summary>Lines a payload may hold: if any of them ran, a reply or a message would show it.</summary>
    private static readonly string[] Injections =
    [
        "BROADCAST MESSAGE spam\n", "QUIT\n", $"SEND MESSAGE {Witness} injected\n", $"CLOSE {Witness} 4000\n", "LIST WEBSOCKETS\n",
        $"SEND TEXT {Witness} 3\nabc", "STATS\n", "\n",
    ];

    [Test, CancelAfter(300_000)]
    public async Task Random_lines_parse_to_what_the_protocol_model_says(CancellationToken ct)
    {
        var tally = new Dictionary<string, int>();
        await Fuzzing.RunAsync(Fuzzer, Fuzzing.Seeds(Fuzzer, LoadSize.FuzzCases), seed =>
        {
            byte[] sent = Line(new Random(seed));
            LineVerdict verdict = ControlProtocolModel.Judge(sent, MaxMessage);
            if (verdict.Error == ControlProtocolModel.LineTooLong)
                return Task.CompletedTask;                  // the line reader refuses it; the parser never sees it
            byte[] line = sent.Length > 0 && sent[^1] == '\r' ? sent[..^1] : sent;     // the line reader drops the CR
            long before = GC.GetAllocatedBytesForCurrentThread();
            ControlCommand command = ControlCommandParser.Parse(line, MaxMessage);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            allocated.Should().BeLessThan(1024 + 4L * line.Length, "parsing costs memory in proportion to the line");
            CheckAgainstModel(command, verdict, line);
            string key = verdict.Action == ModelAction.Refuse ? (verdict.Closes ? "refused, closes" : "refused") : verdict.Action.ToString();
            tally[key] = tally.GetValueOrDefault(key) + 1;
            return Task.CompletedTask;
        }, TimeSpan.FromMinutes(4));
        TestContext.Out.WriteLine("verdicts: " + string.Join(", ", tally.OrderBy(t => t.Key).Select(t => $"{t.Key}: {t.Value}")));
    }

    [Test, CancelAfter(300_000)]
    public async Task Random_lines_and_payloads_over_the_control_socket_get_the_model_replies_and_run_nothing_else(CancellationToken ct)
    {
        await using RelayFixture relay = RelayFixture.Start(o => o with
        {
            MaxMessage = MaxMessage, PingInterval = 0, MaxChannels = MaxChannels, LogLevel = RawRelay.Diagnostics.LogLevel.Warn,
        });
        var state = new ModelState(Witness, MaxChannels);
        RawWebSocketClient witness = await relay.ConnectAsync(Witness, ct);
        ControlClient control = relay.OpenControl();
        int markers = 0, overLong = 0;
        try
        {
            await Fuzzing.RunAsync(Fuzzer, Fuzzing.Seeds(Fuzzer, LoadSize.FuzzCases / 10), async seed =>
            {
                try
                {
                    await CheckCaseAsync(seed);
                }
                catch
                {
                    // A failed case leaves the connections in a state of its own: the next starts afresh.
                    control.Dispose();
                    await witness.DisposeAsync();
                    witness = await relay.ConnectAsync(Witness, ct);
                    control = relay.OpenControl();
                    throw;
                }
            }, TimeSpan.FromMinutes(4));
            (await control.CommandAsync("STATS", ct)).Should().Be("OK", "the control socket still serves");
            TestContext.Out.WriteLine($"{markers} lines checked, {overLong} of them over-long length-prefixed lines");
        }
        finally
        {
            control.Dispose();
            await witness.DisposeAsync();
        }

        async Task CheckCaseAsync(int seed)
        {
            var random = new Random(seed);
            byte[] line = Line(random);
            LineVerdict verdict = ControlProtocolModel.Judge(line, MaxMessage);
            if (verdict.OverLongLengthPrefixed)
                overLong++;

            byte[] payload = Payload(random, verdict.Payload);
            // After a line that closes the connection, bytes that must not run either.
            byte[] after = verdict.Closes ? Encoding.UTF8.GetBytes(Injections[random.Next(Injections.Length)] + "BROADCAST MESSAGE spam\n") : [];
            byte[] bytes = [.. line, (byte)'\n', .. payload, .. after];
            // In pieces sometimes; all at once when the relay closes after the line, so it has them all when it does.
            foreach (int piece in random.Next(3) == 0 && !verdict.Closes ? Fuzzing.Splits(random, bytes.Length) : [bytes.Length])
            {
                await control.WriteAsync(bytes.AsMemory(0, piece), ct);
                bytes = bytes[piece..];
            }

            if (verdict.Action == ModelAction.Watch)
            {
                // The connection is now a stream of events: what follows is ignored, and a new one goes on.
                (await control.ReadReplyAsync(ct).WithTimeout()).Status.Should().Be("OK watching");
                await control.WriteAsync(Encoding.UTF8.GetBytes(string.Concat(Injections)), ct);
                control.Dispose();
                control = relay.OpenControl();
            }

            var sends = ControlProtocolModel.Sends(verdict, payload, state);        // as things stand before the line
            string? expected = ControlProtocolModel.Reply(verdict, payload, state);
            if (expected is not null && verdict.Action != ModelAction.Watch)
            {
                (List<string> data, string status) = await control.ReadReplyAsync(ct).WithTimeout();
                status.Should().Be(expected, $"the model's reply to {Show(line)}");
                if (verdict.Action == ModelAction.ListWebSockets)
                    data.Should().ContainSingle().Which.Should().StartWith(Witness + " 127.0.0.1:");
            }

            if (verdict.Closes)
            {
                (await ClosedByPeerAsync(control, ct)).Should().BeTrue($"the relay closes the connection after {Show(line)}");
                control.Dispose();
                control = relay.OpenControl();
            }

            // What the witness got: exactly the model's message, if any, then (for CLOSE of its id) the close.
            if (sends is { } message)
            {
                WsFrame frame = await witness.ReceiveDataFrameAsync(ct).WithTimeout();
                frame.Opcode.Should().Be(message.Opcode, $"the message of {Show(line)}");
                frame.Payload.Should().Equal(message.Payload, $"the message of {Show(line)}");
            }

            if (verdict.Action == ModelAction.Close && verdict.Id == Witness)
            {
                WsFrame close = await witness.ReceiveDataFrameAsync(ct).WithTimeout();
                close.Opcode.Should().Be(WsFrame.Close, $"{Show(line)} closes the witness");
                close.CloseCode.Should().Be(verdict.CloseCode);
                close.Payload.Skip(2).Should().Equal(verdict.Reason);
                await witness.DisposeAsync();
                witness = await relay.ConnectAsync(Witness, ct);
            }

            // A marker through the same control connection: the witness's next message, or something ran
            // that the model did not say (a command from a payload, a reply too many).
            string marker = $"\u2713 marker {++markers}";
            (await control.CommandAsync($"SEND MESSAGE {Witness} {marker}", ct)).Should().Be("OK 1", $"nothing more ran after {Show(line)}");
            (await witness.ReceiveTextAsync(ct).WithTimeout()).Should().Be(marker, $"nothing more was sent after {Show(line)}");
        }
    }

    /// <summary>The parser's command is the model's verdict: kind, error, payload length and arguments.</summary>
    private static void CheckAgainstModel(in ControlCommand command, LineVerdict verdict, byte[] line)
    {
        string because = $"the model's verdict on {Show(line)} is {verdict}";
        CommandKind kind = verdict.Action switch
        {
            ModelAction.Nothing => CommandKind.Empty,
            ModelAction.Refuse => verdict.Closes ? CommandKind.Fatal : CommandKind.Invalid,
            ModelAction.ListWebSockets => CommandKind.List,
            ModelAction.SendMessage => CommandKind.SendMessage,
            ModelAction.SendText => CommandKind.SendText,
            ModelAction.SendBinary => CommandKind.SendBinary,
            ModelAction.BroadcastMessage => CommandKind.BroadcastMessage,
            ModelAction.BroadcastText => CommandKind.BroadcastText,
            ModelAction.BroadcastBinary => CommandKind.BroadcastBinary,
            ModelAction.Close => CommandKind.Close,
            ModelAction.Disconnect => CommandKind.Disconnect,
            ModelAction.Watch => CommandKind.Watch,
            ModelAction.Stats => CommandKind.Stats,
            ModelAction.Help => CommandKind.Help,
            ModelAction.Quit => CommandKind.Quit,
            ModelAction.PublishMessage => CommandKind.PublishMessage,
            ModelAction.PublishText => CommandKind.PublishText,
            ModelAction.PublishBinary => CommandKind.PublishBinary,
            ModelAction.Subscribe => CommandKind.Subscribe,
            ModelAction.Unsubscribe => CommandKind.Unsubscribe,
            ModelAction.Channels => CommandKind.Channels,
            ModelAction.ListChannels => CommandKind.ListChannels,
            ModelAction.ListChannel => CommandKind.ListChannel,
            _ => throw new ArgumentOutOfRangeException(nameof(verdict)),
        };
        command.Kind.Should().Be(kind, because);
        if (kind is CommandKind.Invalid or CommandKind.Fatal)
            command.Error.Should().Be(verdict.Error, because);
        (command.HasPayload ? command.Length : 0).Should().Be(verdict.Payload, because);
        switch (kind)
        {
            case CommandKind.SendMessage or CommandKind.BroadcastMessage:
                command.Id.Should().Be(verdict.Id, because);
                line[command.MessageStart..].Should().Equal(verdict.Message, because);
                break;
            case CommandKind.SendText or CommandKind.SendBinary or CommandKind.Channels:
                command.Id.Should().Be(verdict.Id, because);
                break;
            case CommandKind.PublishMessage:
                command.Channel.Should().Be(verdict.Channel, because);
                line[command.MessageStart..].Should().Equal(verdict.Message, because);
                break;
            case CommandKind.PublishText or CommandKind.PublishBinary or CommandKind.ListChannel:
                command.Channel.Should().Be(verdict.Channel, because);
                break;
            case CommandKind.Subscribe or CommandKind.Unsubscribe:
                command.Id.Should().Be(verdict.Id, because);
                command.Channel.Should().Be(verdict.Channel, because);
                break;
            case CommandKind.Close or CommandKind.Disconnect:
                command.Id.Should().Be(verdict.Id, because);
                command.CloseCode.Should().Be(verdict.CloseCode, because);
                command.Reason.Should().Be(Encoding.UTF8.GetString(verdict.Reason), because);
                break;
        }
    }

    /// <summary>True once the relay has closed the connection: the end of the stream, or a reset (it left our bytes unread).</summary>
    private static async Task<bool> ClosedByPeerAsync(ControlClient control, CancellationToken ct)
    {
        try
        {
            return await control.IsClosedByPeerAsync(ct);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return true;
        }
    }

    /// <summary>
    /// A line from command words that are each usually right, then (half the time) mutated; never a LF, and
    /// sometimes a CR at its end (which the relay drops).
    /// </summary>
    private static byte[] Line(Random random)
    {
        string Pick(string right, params string[] wrong) => random.Next(4) != 0 ? right : wrong[random.Next(wrong.Length)];
        string OneOf(params string[] words) => words[random.Next(words.Length)];
        string id = Pick(Witness, "", "b\u00e9", new string('i', 129), new string('i', 128), "a b", "other", new string('j', random.Next(300, 330)));
        string number = Pick(random.Next(0, 80).ToString(System.Globalization.CultureInfo.InvariantCulture),
            "", "-1", "1e3", "99999999999999999999999", "0000000000000000012", "00000000000000000012", "65", "64", "x");
        string message = Pick("hello there", "", " leading", "tab\there", new string('m', random.Next(60, 70)), "\u00e9\u20ac",
            "QUIT", new string('l', random.Next(290, 310)));
        string channel = Pick(OneOf("news", "room-7", "a=b@c,d.e;f_g", "Room"), "", "bad/name", "café", new string('c', 201), new string('c', 200), "x y");
        string handle = Pick(OneOf("abc.1", "x-y.z", "H4nd1e"), "", "a/b", "h\u00e9", new string('h', 65), new string('h', 64), "a b");
        string text = random.Next(15) switch
        {
            13 => $"{Pick("DISCONNECT", "disconnect")} {handle}" + Pick($" {Pick("1000", "4000", "1005", "5000", "x", "")}" + Pick("", " why", " " + new string('r', 124)), ""),
            14 => Pick("WATCH", "watch", "WATCH all", "WATCH "),
            10 => $"{Pick("PUBLISH", "publish")} {OneOf("MESSAGE", "TEXT", "BINARY", "message", "x")} {channel} {Pick(message, number)}",
            11 => $"{Pick("SUBSCRIBE", "subscribe", "UNSUBSCRIBE", "unsubscribe")} {id} {channel}" + Pick("", " x"),
            12 => Pick($"CHANNELS {id}", "LIST CHANNELS", $"LIST WEBSOCKETS {channel}", "list channels x", "CHANNELS"),
            0 => Pick("LIST WEBSOCKETS", "list websockets", "LIST", "LIST WEBSOCKETS x", "LIST  WEBSOCKETS", "LIST WEBSOCKETS "),
            1 => $"{Pick("SEND", "send", "SENDX")} {Pick("MESSAGE", "message", "MSG")} {id} {message}",
            2 => $"{Pick("SEND", "send", "Send")} {OneOf("TEXT", "BINARY", "text", "binary", "Text")} {Pick(id + " ", "", id + " x ", id + "  ")}{number}",
            3 => $"{Pick("BROADCAST", "broadcast")} " + (random.Next(3) == 0 ? $"{Pick("MESSAGE", "x")} {message}"
                : $"{OneOf("TEXT", "BINARY", "binary")} {Pick(number, id + " " + number, number + " ")}"),
            4 => $"CLOSE {id}" + Pick($" {Pick("1000", "4000", "999", "1005", "5000", "70000", "x", "01000", "")}" + Pick("", " bye", " ", " " + new string('r', 124), " " + new string('r', 123)), ""),
            5 => Pick("STATS", "stats", "STATS x", "STATS "),
            6 => Pick("HELP", "help", "HELP me"),
            7 => Pick("QUIT", "quit", "QUIT now", "Quit"),
            8 => Pick("SEND TEXT", "SEND BINARY ", "BROADCAST TEXT", "BROADCAST BINARY 5 5", "PUBLISH TEXT news 3", "SEND  TEXT b1 3"),
            _ => Pick("", "NOPE", "SEND", "BROADCAST", " ", "\u00e9t\u00e9", "NOPE " + new string('n', random.Next(300, 330))),
        };
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        if (random.Next(2) == 0)
            bytes = Fuzzing.Mutate(random, bytes);
        bytes = bytes.Where(b => b != (byte)'\n').ToArray();
        return random.Next(8) == 0 ? [.. bytes, (byte)'\r'] : bytes;
    }

    /// <summary><paramref name="length"/> bytes of payload: command lines, text, random bytes (so often not UTF-8).</summary>
    private static byte[] Payload(Random random, long length)
    {
        var bytes = new List<byte>();
        while (bytes.Count < length)
        {
            bytes.AddRange(random.Next(4) switch
            {
                0 or 1 => Encoding.UTF8.GetBytes(Injections[random.Next(Injections.Length)]),
                2 => Encoding.UTF8.GetBytes(random.Next(2) == 0 ? "hi " : "\u00e9t\u00e9 "),
                _ => Fuzzing.RandomBytes(random, random.Next(1, 5)),
            });
        }

        return bytes.Take((int)length).ToArray();
    }

    private static string Show(byte[] line)
    {
        string text = Encoding.UTF8.GetString(line).ReplaceLineEndings("\\r");
        return "\"" + (text.Length > 80 ? text[..80] + "..." : text) + "\"";
    }
}
