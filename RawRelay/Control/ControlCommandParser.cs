using System.Text;
using RawRelay.WebSockets;

namespace RawRelay.Control;

/// <summary>
/// Parses one control line (without its LF) into a <see cref="ControlCommand"/>: names case-insensitive,
/// arguments separated by single spaces, a message the rest of the line byte for byte. The forms that
/// address a target (an id, a channel, everyone) are <see cref="TargetedCommandParser"/>'s. Pure;
/// thread-safe (static).
/// </summary>
internal static class ControlCommandParser
{
    public const int MaxReasonBytes = 123;

    public const string ListUsage = ControlUsage.List;
    public const string SendMessageUsage = ControlUsage.SendMessage;
    public const string SendUsage = ControlUsage.Send;
    public const string BroadcastUsage = ControlUsage.Broadcast;
    public const string CloseUsage = ControlUsage.Close;

    /// <summary>A length is 1 to 19 digits (SPEC); any longer word cannot be one.</summary>
    public const int MaxLengthDigits = 19;

    /// <summary>One line per command, for HELP.</summary>
    public static string[] Help => ControlUsage.HelpLines;

    /// <summary>
    /// Parses one line. A line that names a length-prefixed command is judged by its last word first
    /// (SPEC): when that is a length that can be skipped, the result says how many payload bytes follow,
    /// valid or not, so that a refused command never lets its payload be read as commands.
    /// </summary>
    public static ControlCommand Parse(ReadOnlySpan<byte> line, long maxMessage)
    {
        if (line.IsEmpty)
            return new ControlCommand(CommandKind.Empty);
        ControlCommand command = ParseLine(line, maxMessage);
        if (command.Kind is not (CommandKind.Invalid or CommandKind.Fatal))
            return command;
        // A valid length-prefixed line has its length as its last word already; any other result of a line
        // that names a length-prefixed command is judged by that last word.
        if (LengthPrefixedUsage(line) is { } usage)
            command = JudgeRefusedLengthPrefixed(line, command, maxMessage, usage);
        return command with { Verb = VerbOf(line) };
    }

    /// <summary>The commands a line can name, by their first word, as <see cref="ControlCommand.Verb"/> gives them.</summary>
    public static readonly string[] Verbs =
    [
        "list", "send", "publish", "broadcast", "subscribe", "unsubscribe", "channels", "position", "close",
        "disconnect", "watch", "stats", "help", "quit",
    ];

    /// <summary>The command the first word of a line names (ASCII case-insensitive), or "" when it names none.</summary>
    private static string VerbOf(ReadOnlySpan<byte> line)
    {
        ReadOnlySpan<byte> first = new WordReader(line).Next();
        foreach (string verb in Verbs)
        {
            if (System.Text.Ascii.EqualsIgnoreCase(first, verb))
                return verb;
        }

        return "";
    }

    /// <summary>
    /// Judges a line over the limit (<c>ERR line too long</c>) by its first and last bytes: when its first two
    /// words name a length-prefixed command, its payload is skipped like any refused one's, or, when its last
    /// word is no length that can be skipped, the connection is closed after the reply (SPEC: a refused
    /// command never lets its payload be read as commands).
    /// </summary>
    public static ControlCommand ParseTooLong(ReadOnlySpan<byte> head, ReadOnlySpan<byte> tail, long maxMessage)
    {
        var tooLong = ControlCommand.Invalid("line too long") with { Verb = VerbOf(head) };
        if (LengthPrefixedUsage(head) is null)
            return tooLong;
        int space = tail.LastIndexOf((byte)' ');
        ReadOnlySpan<byte> last = space < 0 ? tail : tail[(space + 1)..];
        if (space < 0 || TryParseLength(last) is not { } length || length > (ulong)maxMessage)
            return new ControlCommand(CommandKind.Fatal, Error: tooLong.Error, Verb: tooLong.Verb);
        return tooLong with { Length = (long)length, HasPayload = true };
    }

    /// <summary>1 to 19 ASCII digits as a number (19 digits fit in a ulong); null for any other word.</summary>
    private static ulong? TryParseLength(ReadOnlySpan<byte> word)
    {
        if (word.Length is 0 or > MaxLengthDigits || word.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0)
            return null;
        ulong length = 0;
        foreach (byte digit in word)
            length = length * 10 + (ulong)(digit - '0');
        return length;
    }

    /// <summary>
    /// The synopsis of the length-prefixed command that the first two words name (ASCII case-insensitive,
    /// whatever the rest of the line holds), or null when they name none.
    /// </summary>
    private static string? LengthPrefixedUsage(ReadOnlySpan<byte> line)
    {
        var words = new WordReader(line);
        ReadOnlySpan<byte> verb = words.Next();
        ReadOnlySpan<byte> kind = words.Next();
        bool text = WordReader.Is(kind, "TEXT"u8);
        if (!text && !WordReader.Is(kind, "BINARY"u8))
            return null;
        if (WordReader.Is(verb, "SEND"u8))
            return text ? ControlUsage.SendText : ControlUsage.SendBinary;
        if (WordReader.Is(verb, "PUBLISH"u8))
            return text ? ControlUsage.PublishText : ControlUsage.PublishBinary;
        if (WordReader.Is(verb, "BROADCAST"u8))
            return text ? ControlUsage.BroadcastText : ControlUsage.BroadcastBinary;
        return null;
    }

    /// <summary>
    /// A refused line whose first two words name a length-prefixed command: its last word decides whether its
    /// payload is skipped (1 to 19 digits of value at most --max-message) or the connection closed.
    /// </summary>
    private static ControlCommand JudgeRefusedLengthPrefixed(ReadOnlySpan<byte> line, in ControlCommand refused, long maxMessage, string usage)
    {
        if (TryParseLength(line[(line.LastIndexOf((byte)' ') + 1)..]) is not { } length)
            return new ControlCommand(CommandKind.Fatal, Error: usage);         // the payload's end is unknown
        if (length > (ulong)maxMessage)
            return new ControlCommand(CommandKind.Fatal, Error: "payload too large");
        return refused.Kind == CommandKind.Invalid
            ? refused with { Length = (long)length, HasPayload = true }       // skipped, then ERR
            : refused;
    }

    private static ControlCommand ParseLine(ReadOnlySpan<byte> line, long maxMessage)
    {
        if (!Utf8Validator.IsValid(line))
            return ControlCommand.Invalid("message is not valid UTF-8");

        var words = new WordReader(line);
        ReadOnlySpan<byte> verb = words.Next();
        if (WordReader.Is(verb, "SEND"u8))
            return TargetedCommandParser.ParseSend(ref words, maxMessage);
        if (WordReader.Is(verb, "PUBLISH"u8))
            return TargetedCommandParser.ParsePublish(ref words, maxMessage);
        if (WordReader.Is(verb, "BROADCAST"u8))
            return TargetedCommandParser.ParseBroadcast(ref words, maxMessage);
        if (WordReader.Is(verb, "LIST"u8))
            return ParseList(ref words);
        if (WordReader.Is(verb, "SUBSCRIBE"u8))
            return IdAndChannel(CommandKind.Subscribe, ref words, ControlUsage.Subscribe);
        if (WordReader.Is(verb, "UNSUBSCRIBE"u8))
            return IdAndChannel(CommandKind.Unsubscribe, ref words, ControlUsage.Unsubscribe);
        if (WordReader.Is(verb, "CHANNELS"u8))
        {
            ReadOnlySpan<byte> id = words.Next();
            return ConnectionIds.IsValid(id) && words.AtEnd
                ? new ControlCommand(CommandKind.Channels, Encoding.ASCII.GetString(id))
                : ControlCommand.Invalid(ControlUsage.Channels);
        }

        if (WordReader.Is(verb, "POSITION"u8))
        {
            ReadOnlySpan<byte> stream = words.Next();
            return IsStream(stream) && words.AtEnd
                ? new ControlCommand(CommandKind.Position, Channel: Encoding.ASCII.GetString(stream))
                : ControlCommand.Invalid(ControlUsage.Position);
        }

        if (WordReader.Is(verb, "CLOSE"u8))
            return ParseClose(ref words, CommandKind.Close, ControlUsage.Close, ConnectionIds.IsValid);
        if (WordReader.Is(verb, "DISCONNECT"u8))
            return ParseClose(ref words, CommandKind.Disconnect, ControlUsage.Disconnect, Hub.Handles.IsValid);
        if (WordReader.Is(verb, "WATCH"u8))
            return words.AtEnd ? new ControlCommand(CommandKind.Watch) : ControlCommand.Invalid(ControlUsage.Watch);
        if (WordReader.Is(verb, "STATS"u8))
            return words.AtEnd ? new ControlCommand(CommandKind.Stats) : ControlCommand.Invalid(ControlUsage.Stats);
        if (WordReader.Is(verb, "HELP"u8))
            return words.AtEnd ? new ControlCommand(CommandKind.Help) : ControlCommand.Invalid(ControlUsage.Help);
        if (WordReader.Is(verb, "QUIT"u8))
            return words.AtEnd ? new ControlCommand(CommandKind.Quit) : ControlCommand.Invalid(ControlUsage.Quit);
        return ControlCommand.Invalid("unknown command: " + Encoding.UTF8.GetString(verb));
    }

    /// <summary><c>LIST WEBSOCKETS</c>, <c>LIST WEBSOCKETS &lt;channel&gt;</c>, <c>LIST CHANNELS</c>.</summary>
    private static ControlCommand ParseList(ref WordReader words)
    {
        ReadOnlySpan<byte> what = words.Next();
        if (WordReader.Is(what, "CHANNELS"u8))
            return words.AtEnd ? new ControlCommand(CommandKind.ListChannels) : ControlCommand.Invalid(ControlUsage.List);
        if (!WordReader.Is(what, "WEBSOCKETS"u8))
            return ControlCommand.Invalid(ControlUsage.List);
        if (words.AtEnd)
            return new ControlCommand(CommandKind.List);
        ReadOnlySpan<byte> channel = words.Next();
        return ChannelNames.IsValid(channel) && words.AtEnd
            ? new ControlCommand(CommandKind.ListChannel, Channel: Encoding.ASCII.GetString(channel))
            : ControlCommand.Invalid(ControlUsage.List);
    }

    /// <summary>A stream: <c>*</c>, <c>#</c> and an id, or a channel.</summary>
    private static bool IsStream(ReadOnlySpan<byte> stream) =>
        stream is [(byte)'*'] || (stream is [(byte)'#', ..] ? ConnectionIds.IsValid(stream[1..]) : ChannelNames.IsValid(stream));

    private static ControlCommand IdAndChannel(CommandKind kind, ref WordReader words, string usage)
    {
        ReadOnlySpan<byte> id = words.Next();
        ReadOnlySpan<byte> channel = words.Next();
        return ConnectionIds.IsValid(id) && ChannelNames.IsValid(channel) && words.AtEnd
            ? new ControlCommand(kind, Encoding.ASCII.GetString(id), Encoding.ASCII.GetString(channel))
            : ControlCommand.Invalid(usage);
    }

    private delegate bool TargetRule(ReadOnlySpan<byte> word);

    /// <summary><c>CLOSE &lt;id&gt;</c> and <c>DISCONNECT &lt;handle&gt;</c>, each with an optional code and reason.</summary>
    private static ControlCommand ParseClose(ref WordReader words, CommandKind kind, string usage, TargetRule isTarget)
    {
        ReadOnlySpan<byte> target = words.Next();
        if (!isTarget(target))
            return ControlCommand.Invalid(usage);
        if (words.AtEnd)
            return new ControlCommand(kind, Encoding.ASCII.GetString(target));

        ReadOnlySpan<byte> codeText = words.Next();
        if (!TryParseNumber(codeText, out long code))
            return ControlCommand.Invalid(usage);
        if (!CloseCodes.IsValidOnWire((int)Math.Min(code, int.MaxValue)))
            return ControlCommand.Invalid("invalid close code");
        ReadOnlySpan<byte> reason = words.HasRest ? words.Rest() : [];
        if (reason.Length > MaxReasonBytes)
            return ControlCommand.Invalid(usage);
        return new ControlCommand(kind, Encoding.ASCII.GetString(target), CloseCode: (int)code,
            Reason: Encoding.UTF8.GetString(reason));
    }

    /// <summary>Decimal digits only; values past 18 digits are clamped so they count as too large.</summary>
    public static bool TryParseNumber(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        if (text.IsEmpty || text.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0)
            return false;
        foreach (byte digit in text)
            value = value > 99_999_999_999_999_999L ? long.MaxValue : value * 10 + (digit - '0');
        return true;
    }
}
