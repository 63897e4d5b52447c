using System.Text;
using RawRelay.Diagnostics;
using RawRelay.Control;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Fuzz;

/// <summary>
/// Random and mutated control lines into the control parser: directly (only the specified commands and
/// errors come out, allocation stays bounded) and over the control socket (the relay answers each line
/// with exactly the predicted status line, and stays usable after every error but the two that close).
/// </summary>
[TestFixture, NonParallelizable]
public sealed class ControlParserFuzzTests
{
    private const string Fuzzer = "control-parser";
    private const int MaxMessage = 64;
    private const int LineLimit = MaxMessage + 256;

    /// <summary>Every error a line can get; "unknown command: " is followed by the verb.</summary>
    private static readonly string[] Errors =
    [
        ControlCommandParser.ListUsage, ControlCommandParser.SendMessageUsage, ControlCommandParser.SendUsage,
        ControlCommandParser.BroadcastUsage, ControlCommandParser.CloseUsage, "usage: SEND TEXT <id> <length>",
        "usage: SEND BINARY <id> <length>", "usage: BROADCAST MESSAGE <message>", "usage: BROADCAST TEXT <length>",
        "usage: BROADCAST BINARY <length>", "usage: STATS", "usage: HELP", "usage: QUIT", "message is not valid UTF-8",
        "invalid close code", "message too large", "payload too large",
    ];

    [Test, CancelAfter(300_000)]
    public async Task Random_lines_parse_to_a_command_or_a_specified_error(CancellationToken ct)
    {
        var tally = new Dictionary<CommandKind, int>();
        await Fuzzing.RunAsync(Fuzzer, Fuzzing.Seeds(Fuzzer, LoadSize.FuzzCases), seed =>
        {
            byte[] line = Line(new Random(seed));
            long before = GC.GetAllocatedBytesForCurrentThread();
            ControlCommand command = ControlCommandParser.Parse(line, MaxMessage);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            allocated.Should().BeLessThan(1024 + 4L * line.Length, "parsing costs memory in proportion to the line");
            CheckSpecified(command, line);
            tally[command.Kind] = tally.GetValueOrDefault(command.Kind) + 1;
            return Task.CompletedTask;
        }, TimeSpan.FromMinutes(4));
        TestContext.Out.WriteLine("commands: " + string.Join(", ", tally.OrderBy(t => t.Key).Select(t => $"{t.Key}: {t.Value}")));
    }

    [Test, CancelAfter(300_000)]
    public async Task Random_lines_over_the_control_socket_get_the_predicted_status_line(CancellationToken ct)
    {
        await using RelayFixture relay = RelayFixture.Start(o => o with { MaxMessage = MaxMessage, LogLevel = RawRelay.Diagnostics.LogLevel.Warn });
        ControlClient control = relay.OpenControl();
        try
        {
            await Fuzzing.RunAsync(Fuzzer, Fuzzing.Seeds(Fuzzer, LoadSize.FuzzCases / 10), async seed =>
            {
                byte[] line = Line(new Random(seed));
                (string? expected, bool closes, long payload) = Predict(line);
                await control.WriteAsync(line.Append((byte)'\n').ToArray(), ct);
                if (payload > 0)
                    await control.WriteAsync(Encoding.ASCII.GetBytes(new string('p', (int)payload)), ct);
                if (expected is null)
                    return;                                     // an empty line gets no reply
                (_, string status) = await control.ReadReplyAsync(ct).WithTimeout();
                if (closes)
                {
                    (await control.IsClosedByPeerAsync(ct)).Should().BeTrue();
                    control.Dispose();
                    control = relay.OpenControl();
                }

                status.Should().Be(expected);
            }, TimeSpan.FromMinutes(4));
            (await control.CommandAsync("STATS", ct)).Should().Be("OK", "the control socket still serves");
        }
        finally
        {
            control.Dispose();
        }

        relay.LogText.Should().NotContain(" ERROR ");
    }

    private static void CheckSpecified(in ControlCommand command, byte[] line)
    {
        switch (command.Kind)
        {
            case CommandKind.Invalid or CommandKind.Fatal:
                if (!command.Error.StartsWith("unknown command: ", StringComparison.Ordinal))
                    command.Error.Should().BeOneOf(Errors);
                break;
            case CommandKind.SendMessage or CommandKind.BroadcastMessage:
                command.MessageStart.Should().BeInRange(1, line.Length);
                (line.Length - command.MessageStart).Should().BeLessThanOrEqualTo(MaxMessage);
                break;
            case CommandKind.SendText or CommandKind.SendBinary or CommandKind.BroadcastText or CommandKind.BroadcastBinary:
                command.Length.Should().BeInRange(0, MaxMessage);
                break;
            case CommandKind.Close:
                (command.CloseCode is (>= 1000 and <= 1003) or (>= 1007 and <= 1014) or (>= 3000 and <= 4999)).Should().BeTrue();
                Encoding.UTF8.GetByteCount(command.Reason).Should().BeLessThanOrEqualTo(ControlCommandParser.MaxReasonBytes);
                break;
        }
    }

    /// <summary>
    /// The status line the relay must answer with (no clients are connected, so every count is 0), whether
    /// it then closes the connection, and how many payload bytes the line announces.
    /// </summary>
    private static (string? Status, bool Closes, long Payload) Predict(byte[] line)
    {
        if (line.Length > LineLimit)
            return ("ERR line too long", false, 0);
        ControlCommand command = ControlCommandParser.Parse(line, MaxMessage);
        return command.Kind switch
        {
            CommandKind.Empty => (null, false, 0),
            CommandKind.Invalid => ("ERR " + command.Error, false, command.HasPayload ? command.Length : 0),
            CommandKind.Fatal => ("ERR " + command.Error, true, 0),
            CommandKind.Quit => ("OK bye", true, 0),
            CommandKind.Stats or CommandKind.Help => ("OK", false, 0),
            _ when command.HasPayload => ("OK 0", false, command.Length),
            _ => ("OK 0", false, 0),
        };
    }

    /// <summary>A line from command words that are each usually right, then (half the time) mutated; never a LF, no CR at the end.</summary>
    private static byte[] Line(Random random)
    {
        string Pick(string right, params string[] wrong) => random.Next(4) != 0 ? right : wrong[random.Next(wrong.Length)];
        string id = Pick("board1", "", "b\u00e9", new string('i', 129), "a b");
        string number = Pick(random.Next(0, 80).ToString(System.Globalization.CultureInfo.InvariantCulture),
            "", "-1", "1e3", "99999999999999999999999", "00012", "65");
        string message = Pick("hello there", "", " leading", "tab\there", new string('m', random.Next(60, 70)), "\u00e9\u20ac");
        string text = random.Next(9) switch
        {
            0 => Pick("LIST WEBSOCKETS", "list websockets", "LIST", "LIST WEBSOCKETS x", "LIST  WEBSOCKETS"),
            1 => $"{Pick("SEND", "send", "SENDX")} {Pick("MESSAGE", "message", "MSG")} {id} {message}",
            2 => $"SEND {Pick("TEXT", "BINARY", "text", "binary")} {id} {number}",
            3 => $"{Pick("BROADCAST", "broadcast")} {Pick("MESSAGE", "TEXT", "BINARY", "x")} {Pick(message, number)}",
            4 => $"CLOSE {id}" + Pick($" {Pick("1000", "4000", "999", "1005", "5000", "70000", "x")}" + Pick("", " bye", " " + new string('r', 130)), ""),
            5 => Pick("STATS", "stats", "STATS x"),
            6 => Pick("HELP", "help", "HELP me"),
            7 => Pick("QUIT", "quit", "QUIT now"),
            _ => Pick("", "NOPE", "SEND", "BROADCAST", " ", "\u00e9t\u00e9"),
        };
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        if (random.Next(2) == 0)
            bytes = Fuzzing.Mutate(random, bytes);
        bytes = bytes.Where(b => b != (byte)'\n').ToArray();
        while (bytes.Length > 0 && bytes[^1] == (byte)'\r')
            bytes = bytes[..^1];                               // the relay drops a CR before the LF
        return bytes;
    }
}
