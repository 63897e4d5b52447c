using System.Text;
using RawRelay.Control;

namespace RawRelay.Tests.Codec;

/// <summary>The control line grammar of SPEC.md, one row per rule; no sockets.</summary>
public sealed class ControlCommandParserTests
{
    private const long MaxMessage = 1000;

    private static readonly string LongId = new('i', 128);
    private static readonly string Reason123 = new('r', 123);

    private static IEnumerable<TestCaseData> Rows()
    {
        // Each row: the line (without LF) and the command it must parse to.
        yield return Row("", new ControlCommand(CommandKind.Empty), "an empty line is ignored");
        yield return Row("LIST WEBSOCKETS", new ControlCommand(CommandKind.List), "LIST");
        yield return Row("list websockets", new ControlCommand(CommandKind.List), "names are case-insensitive");
        yield return Row("List WebSockets", new ControlCommand(CommandKind.List), "mixed case");
        yield return Row("LIST", ControlCommand.Invalid(ControlCommandParser.ListUsage), "LIST without WEBSOCKETS");
        yield return Row("LIST WEBSOCKETS room-7", new ControlCommand(CommandKind.ListChannel, Channel: "room-7"), "LIST of a channel");
        yield return Row("LIST WEBSOCKETS room/7", ControlCommand.Invalid(ControlCommandParser.ListUsage), "LIST of a bad channel name");
        yield return Row("LIST WEBSOCKETS a b", ControlCommand.Invalid(ControlCommandParser.ListUsage), "LIST with two words more");
        yield return Row("list channels", new ControlCommand(CommandKind.ListChannels), "LIST CHANNELS");
        yield return Row("LIST CHANNELS x", ControlCommand.Invalid(ControlCommandParser.ListUsage), "LIST CHANNELS with a word more");
        yield return Row("LIST WEBSOCKETS ", ControlCommand.Invalid(ControlCommandParser.ListUsage), "LIST with a trailing space");

        yield return Row("SEND MESSAGE b1 hi", new ControlCommand(CommandKind.SendMessage, "b1", MessageStart: 16), "SEND MESSAGE");
        yield return Row("send message b1 hi", new ControlCommand(CommandKind.SendMessage, "b1", MessageStart: 16), "lower case");
        yield return Row("SEND MESSAGE b1 ", new ControlCommand(CommandKind.SendMessage, "b1", MessageStart: 16), "space and nothing after it: an empty message");
        yield return Row("SEND MESSAGE b1  two  spaces ", new ControlCommand(CommandKind.SendMessage, "b1", MessageStart: 16), "the message keeps its spaces");
        yield return Row("SEND MESSAGE b1 <b>\t&</b>", new ControlCommand(CommandKind.SendMessage, "b1", MessageStart: 16), "the message is bytes, not parsed");
        yield return Row("SEND MESSAGE " + LongId + " x", new ControlCommand(CommandKind.SendMessage, LongId, MessageStart: 142), "an id of 128 characters");
        yield return Row("SEND MESSAGE !~%&?=# x", new ControlCommand(CommandKind.SendMessage, "!~%&?=#", MessageStart: 21), "any printable ASCII in an id");
        yield return Row("SEND MESSAGE b1 " + new string('m', 1000), new ControlCommand(CommandKind.SendMessage, "b1", MessageStart: 16), "a message of --max-message bytes");
        yield return Row("SEND MESSAGE b1 " + new string('m', 1001), ControlCommand.Invalid("message too large"), "a message over --max-message");
        yield return Row("SEND MESSAGE b1", ControlCommand.Invalid(ControlCommandParser.SendMessageUsage), "no space after the id");
        yield return Row("SEND MESSAGE", ControlCommand.Invalid(ControlCommandParser.SendMessageUsage), "no id");
        yield return Row("SEND MESSAGE  x", ControlCommand.Invalid(ControlCommandParser.SendMessageUsage), "two spaces: an empty id");
        yield return Row("SEND MESSAGE " + LongId + "i x", ControlCommand.Invalid(ControlCommandParser.SendMessageUsage), "an id of 129 characters");
        yield return Row("SEND MESSAGE b\u00e9 x", ControlCommand.Invalid(ControlCommandParser.SendMessageUsage), "an id that is not ASCII");
        yield return Row("SEND MESSAGE b\u007f x", ControlCommand.Invalid(ControlCommandParser.SendMessageUsage), "an id with DEL");
        yield return Row("SEND", ControlCommand.Invalid(ControlCommandParser.SendUsage), "SEND alone");
        yield return Row("SEND  MESSAGE b1 x", ControlCommand.Invalid(ControlCommandParser.SendUsage), "two spaces after SEND");
        yield return Row("SEND MAIL b1 x", ControlCommand.Invalid(ControlCommandParser.SendUsage), "an unknown SEND form");

        yield return Row("SEND TEXT b1 5", new ControlCommand(CommandKind.SendText, "b1", Length: 5, HasPayload: true), "SEND TEXT");
        yield return Row("send binary b1 0", new ControlCommand(CommandKind.SendBinary, "b1", Length: 0, HasPayload: true), "SEND BINARY of no bytes");
        yield return Row("SEND TEXT b1 1000", new ControlCommand(CommandKind.SendText, "b1", Length: 1000, HasPayload: true), "a length of --max-message");
        yield return Row("SEND TEXT b1 0001000", new ControlCommand(CommandKind.SendText, "b1", Length: 1000, HasPayload: true), "leading zeros");
        yield return Row("SEND TEXT b1 1001", Fatal("payload too large"), "a length over --max-message: cannot be skipped, closes");
        yield return Row("SEND BINARY b1 99999999999999999999999", Fatal("usage: SEND BINARY <id> <length>"), "a length of 23 digits is no length: closes");
        yield return Row("SEND BINARY b1 9999999999999999999", Fatal("payload too large"), "19 digits: a length, too large");
        yield return Row("SEND TEXT b1", Fatal("usage: SEND TEXT <id> <length>"), "no length: the payload's end is unknown, closes");
        yield return Row("SEND TEXT b1 ", Fatal("usage: SEND TEXT <id> <length>"), "an empty length");
        yield return Row("SEND TEXT b1 -1", Fatal("usage: SEND TEXT <id> <length>"), "a negative length");
        yield return Row("SEND TEXT b1 +5", Fatal("usage: SEND TEXT <id> <length>"), "a signed length");
        yield return Row("SEND TEXT b1 5 x", Fatal("usage: SEND TEXT <id> <length>"), "a word after the length");
        yield return Row("SEND TEXT b1 5 ", Fatal("usage: SEND TEXT <id> <length>"), "a space after the length");
        yield return Row("SEND BINARY b1 0x10", Fatal("usage: SEND BINARY <id> <length>"), "a hex length");
        yield return Row("SEND BINARY  5", Skip(5, "usage: SEND BINARY <id> <length>"), "an empty id: its payload is skipped");
        yield return Row("SEND TEXT a b 7", Skip(7, "usage: SEND TEXT <id> <length>"), "an id with a space: its payload is skipped");
        yield return Row("SEND TEXT 7", Skip(7, "usage: SEND TEXT <id> <length>"), "no id: its payload is skipped");
        yield return Row("SEND TEXT b1 5 6", Skip(6, "usage: SEND TEXT <id> <length>"), "a word too many: the last word is the length");
        yield return Row("sEnD tExT " + LongId + "i 3", Skip(3, "usage: SEND TEXT <id> <length>"), "an id of 129 characters, any case");

        yield return Row("BROADCAST MESSAGE hi all", new ControlCommand(CommandKind.BroadcastMessage, MessageStart: 18), "BROADCAST MESSAGE");
        yield return Row("BROADCAST MESSAGE ", new ControlCommand(CommandKind.BroadcastMessage, MessageStart: 18), "an empty broadcast");
        yield return Row("BROADCAST MESSAGE", ControlCommand.Invalid("usage: BROADCAST MESSAGE <message>"), "no space after MESSAGE");
        yield return Row("BROADCAST MESSAGE " + new string('m', 1001), ControlCommand.Invalid("message too large"), "a broadcast over --max-message");
        yield return Row("BROADCAST TEXT 12", new ControlCommand(CommandKind.BroadcastText, Length: 12, HasPayload: true), "BROADCAST TEXT");
        yield return Row("Broadcast Binary 3", new ControlCommand(CommandKind.BroadcastBinary, Length: 3, HasPayload: true), "BROADCAST BINARY");
        yield return Row("BROADCAST TEXT 1001", Fatal("payload too large"), "a broadcast length over --max-message");
        yield return Row("BROADCAST TEXT", Fatal("usage: BROADCAST TEXT <length>"), "no length");
        yield return Row("BROADCAST BINARY b1 3", Skip(3, "usage: BROADCAST BINARY <length>"), "an id where none belongs: its payload is skipped");
        yield return Row("BROADCAST", ControlCommand.Invalid(ControlCommandParser.BroadcastUsage), "BROADCAST alone");
        yield return Row("BROADCAST ALL x", ControlCommand.Invalid(ControlCommandParser.BroadcastUsage), "an unknown BROADCAST form");

        yield return Row("PUBLISH MESSAGE news hi all", new ControlCommand(CommandKind.PublishMessage, Channel: "news", MessageStart: 21), "PUBLISH MESSAGE");
        yield return Row("publish message A-z_0=9@,.; ", new ControlCommand(CommandKind.PublishMessage, Channel: "A-z_0=9@,.;", MessageStart: 28), "the whole channel alphabet, an empty message");
        yield return Row("PUBLISH MESSAGE " + new string('c', 200) + " x", new ControlCommand(CommandKind.PublishMessage, Channel: new string('c', 200), MessageStart: 217), "a channel of 200 characters");
        yield return Row("PUBLISH MESSAGE " + new string('c', 201) + " x", ControlCommand.Invalid(ControlUsage.PublishMessage), "a channel of 201 characters");
        yield return Row("PUBLISH MESSAGE room#7 x", ControlCommand.Invalid(ControlUsage.PublishMessage), "a channel with '#'");
        yield return Row("PUBLISH MESSAGE news", ControlCommand.Invalid(ControlUsage.PublishMessage), "no message");
        yield return Row("PUBLISH TEXT news 5", new ControlCommand(CommandKind.PublishText, Channel: "news", Length: 5, HasPayload: true), "PUBLISH TEXT");
        yield return Row("PUBLISH BINARY news 0", new ControlCommand(CommandKind.PublishBinary, Channel: "news", Length: 0, HasPayload: true), "PUBLISH BINARY");
        yield return Row("PUBLISH TEXT news/x 5", Skip(5, ControlUsage.PublishText), "a bad channel: the payload is skipped");
        yield return Row("PUBLISH TEXT news", Fatal(ControlUsage.PublishText), "no length: closes");
        yield return Row("PUBLISH BINARY news 1001", Fatal("payload too large"), "PUBLISH over --max-message");
        yield return Row("PUBLISH news x", ControlCommand.Invalid(ControlUsage.Publish), "an unknown PUBLISH form");
        yield return Row("SUBSCRIBE u42 news", new ControlCommand(CommandKind.Subscribe, "u42", "news"), "SUBSCRIBE");
        yield return Row("unsubscribe u42 news", new ControlCommand(CommandKind.Unsubscribe, "u42", "news"), "UNSUBSCRIBE");
        yield return Row("SUBSCRIBE u42", ControlCommand.Invalid(ControlUsage.Subscribe), "SUBSCRIBE without a channel");
        yield return Row("SUBSCRIBE u42 news x", ControlCommand.Invalid(ControlUsage.Subscribe), "SUBSCRIBE with a word more");
        yield return Row("SUBSCRIBE ué news", ControlCommand.Invalid(ControlUsage.Subscribe), "SUBSCRIBE with a bad id");
        yield return Row("UNSUBSCRIBE u42 néws", ControlCommand.Invalid(ControlUsage.Unsubscribe), "UNSUBSCRIBE with a bad channel");
        yield return Row("CHANNELS u42", new ControlCommand(CommandKind.Channels, "u42"), "CHANNELS");
        yield return Row("CHANNELS", ControlCommand.Invalid(ControlUsage.Channels), "CHANNELS without an id");
        yield return Row("CHANNELS u42 news", ControlCommand.Invalid(ControlUsage.Channels), "CHANNELS with a word more");

        yield return Row("CLOSE b1", new ControlCommand(CommandKind.Close, "b1"), "CLOSE with code 1000 by default");
        yield return Row("CLOSE b1 4001", new ControlCommand(CommandKind.Close, "b1", CloseCode: 4001), "CLOSE with a code");
        yield return Row("close b1 1000 bye now", new ControlCommand(CommandKind.Close, "b1", Reason: "bye now"), "CLOSE with a reason of several words");
        yield return Row("CLOSE b1 3000 " + Reason123, new ControlCommand(CommandKind.Close, "b1", CloseCode: 3000, Reason: Reason123), "a reason of 123 bytes");
        yield return Row("CLOSE b1 4999 \u00e9t\u00e9", new ControlCommand(CommandKind.Close, "b1", CloseCode: 4999, Reason: "\u00e9t\u00e9"), "a UTF-8 reason");
        yield return Row("CLOSE b1 1000 " + Reason123 + "r", ControlCommand.Invalid(ControlCommandParser.CloseUsage), "a reason of 124 bytes");
        yield return Row("CLOSE", ControlCommand.Invalid(ControlCommandParser.CloseUsage), "no id");
        yield return Row("CLOSE b1 abc", ControlCommand.Invalid(ControlCommandParser.CloseUsage), "a code that is not a number");
        yield return Row("CLOSE b1 ", ControlCommand.Invalid(ControlCommandParser.CloseUsage), "an empty code");
        yield return Row("CLOSE b1 999", ControlCommand.Invalid("invalid close code"), "999 is below the range");
        yield return Row("CLOSE b1 1004", ControlCommand.Invalid("invalid close code"), "1004 is reserved");
        yield return Row("CLOSE b1 1005", ControlCommand.Invalid("invalid close code"), "1005 never goes on the wire");
        yield return Row("CLOSE b1 1006", ControlCommand.Invalid("invalid close code"), "1006 never goes on the wire");
        yield return Row("CLOSE b1 1015", ControlCommand.Invalid("invalid close code"), "1015 never goes on the wire");
        yield return Row("CLOSE b1 2999", ControlCommand.Invalid("invalid close code"), "2999 is unassigned");
        yield return Row("CLOSE b1 5000", ControlCommand.Invalid("invalid close code"), "5000 is above the range");
        yield return Row("CLOSE b1 99999999999999999999999", ControlCommand.Invalid("invalid close code"), "a code past 64 bits");

        yield return Row("STATS", new ControlCommand(CommandKind.Stats), "STATS");
        yield return Row("STATS now", ControlCommand.Invalid("usage: STATS"), "STATS with an argument");
        yield return Row("help", new ControlCommand(CommandKind.Help), "HELP");
        yield return Row("HELP me", ControlCommand.Invalid("usage: HELP"), "HELP with an argument");
        yield return Row("QUIT", new ControlCommand(CommandKind.Quit), "QUIT");
        yield return Row("QUIT now", ControlCommand.Invalid("usage: QUIT"), "QUIT with an argument");

        yield return Row("PING", ControlCommand.Invalid("unknown command: PING"), "an unknown verb is named");
        yield return Row("sendmessage b1 x", ControlCommand.Invalid("unknown command: sendmessage"), "the verb is named as written");
        yield return Row(" SEND MESSAGE b1 x", ControlCommand.Invalid("unknown command: "), "a leading space makes an empty verb");
        yield return Row("\u00fcber x", ControlCommand.Invalid("unknown command: \u00fcber"), "a UTF-8 verb");
    }

    /// <summary>A length-prefixed line that cannot be skipped: ERR, then the connection closes.</summary>
    private static ControlCommand Fatal(string error) => new(CommandKind.Fatal, Error: error);

    /// <summary>A refused length-prefixed line whose payload is skipped before its ERR.</summary>
    private static ControlCommand Skip(long length, string error) => ControlCommand.Invalid(error) with { Length = length, HasPayload = true };

    // The expected command is passed as object: the test class is public, ControlCommand internal.
    [TestCaseSource(nameof(Rows))]
    public void Line_parses_to_its_command(string line, object expected) =>
        (ControlCommandParser.Parse(Encoding.UTF8.GetBytes(line), MaxMessage) with { Verb = "" }).Should().Be((ControlCommand)expected);

    [TestCase(new byte[] { (byte)'S', (byte)'T', 0xFF })]                                     // 0xFF never appears in UTF-8
    [TestCase(new byte[] { (byte)'S', (byte)'E', (byte)'N', (byte)'D', (byte)' ', 0xC3 })]      // a sequence cut short
    [TestCase(new byte[] { (byte)'H', (byte)'E', (byte)'L', (byte)'P', (byte)' ', 0xC0, 0xAF })] // an overlong '/'
    [TestCase(new byte[] { (byte)'X', (byte)' ', 0xED, 0xA0, 0x80 })]                           // a UTF-16 surrogate
    public void A_line_that_is_not_UTF8_is_refused_whatever_its_command(byte[] line) =>
        (ControlCommandParser.Parse(line, MaxMessage) with { Verb = "" }).Should().Be(ControlCommand.Invalid("message is not valid UTF-8"));

    [TestCase("SEND MESSAGE", "send")]
    [TestCase("send text x 1 2", "send")]
    [TestCase("Publish BINARY a b", "publish")]
    [TestCase("CLOSE x 99", "close")]
    [TestCase("HELP me", "help")]
    [TestCase("LISTS", "")]
    [TestCase("NONSENSE", "")]
    [TestCase("SENDMESSAGE x y", "")]
    public void A_refused_line_keeps_the_command_it_named_for_the_metrics(string line, string verb) =>
        ControlCommandParser.Parse(Encoding.UTF8.GetBytes(line), MaxMessage).Verb.Should().Be(verb);

    [Test]
    public void A_line_too_long_keeps_the_command_of_its_head_and_a_valid_one_has_no_verb()
    {
        ControlCommandParser.ParseTooLong("PUBLISH TEXT room "u8, " 10"u8, MaxMessage).Verb.Should().Be("publish");
        ControlCommandParser.ParseTooLong("xyz "u8, "abc"u8, MaxMessage).Verb.Should().Be("");
        ControlCommandParser.Parse("STATS"u8, MaxMessage).Verb.Should().Be("", "only refused lines need it: a valid one has its kind");
    }

    [Test]
    public void A_length_prefixed_line_that_is_not_UTF8_still_has_its_payload_skipped()
    {
        byte[] line = [.. "SEND TEXT b"u8, 0xFF, .. " 12"u8];

        (ControlCommandParser.Parse(line, MaxMessage) with { Verb = "" }).Should().Be(Skip(12, "message is not valid UTF-8"));
    }

    [Test]
    public void The_message_of_SEND_MESSAGE_is_the_rest_of_the_line_byte_for_byte()
    {
        byte[] line = Encoding.UTF8.GetBytes("SEND MESSAGE b1  {\"message\":\"caf\u00e9 \u2713\"} \r");

        ControlCommand command = ControlCommandParser.Parse(line, MaxMessage);

        Encoding.UTF8.GetString(line.AsSpan(command.MessageStart)).Should().Be(" {\"message\":\"caf\u00e9 \u2713\"} \r");
    }

    [TestCase("SEND TEXT b1 1", true)]
    [TestCase("SEND BINARY b1 1", true)]
    [TestCase("BROADCAST TEXT 1", true)]
    [TestCase("BROADCAST BINARY 1", true)]
    [TestCase("SEND MESSAGE b1 1", false)]
    [TestCase("SEND TEXT b1 2000", false)] // too large: no payload is read, the connection closes
    [TestCase("SEND TEXT a b 1", true)]    // refused, and its payload is skipped
    public void Only_the_length_prefixed_forms_take_a_payload(string line, bool hasPayload) =>
        ControlCommandParser.Parse(Encoding.UTF8.GetBytes(line), MaxMessage).HasPayload.Should().Be(hasPayload);

    [Test]
    public void Help_has_one_line_per_command()
    {
        string[] verbs = ControlCommandParser.Help.Select(line => string.Join(' ', line.Split(' ').Take(2))).ToArray();

        verbs.Should().StartWith("LIST WEBSOCKETS");
        foreach (string form in new[] { "SEND MESSAGE", "SEND TEXT", "SEND BINARY", "PUBLISH MESSAGE", "PUBLISH TEXT", "PUBLISH BINARY",
                     "BROADCAST MESSAGE", "BROADCAST TEXT", "BROADCAST BINARY", "LIST CHANNELS", "SUBSCRIBE <id>", "UNSUBSCRIBE <id>", "CHANNELS <id>" })
            verbs.Should().Contain(form);
        ControlCommandParser.Help.Select(line => line.Split(' ')[0]).Should().Contain(["CLOSE", "STATS", "HELP", "QUIT"]);
        ControlCommandParser.Help.Should().OnlyContain(line => !line.Contains('\n') && !line.StartsWith("OK") && !line.StartsWith("ERR"));
    }

    private static TestCaseData Row(string line, ControlCommand expected, string why) =>
        new TestCaseData(line, expected).SetArgDisplayNames(why);
}
