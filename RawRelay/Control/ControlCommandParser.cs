using System.Text;
using RawRelay.WebSockets;

namespace RawRelay.Control;

/// <summary>
/// Parses one control line (without its LF) into a <see cref="ControlCommand"/>: names case-insensitive,
/// arguments separated by single spaces, a message the rest of the line byte for byte. Pure;
/// thread-safe (static).
/// </summary>
internal static class ControlCommandParser
{
    public const int MaxReasonBytes = 123;

    public const string ListUsage = "usage: LIST WEBSOCKETS";
    public const string SendMessageUsage = "usage: SEND MESSAGE <id> <message>";
    public const string SendUsage = "usage: SEND MESSAGE <id> <message> | SEND TEXT <id> <length> | SEND BINARY <id> <length>";
    public const string BroadcastUsage = "usage: BROADCAST MESSAGE <message> | BROADCAST TEXT <length> | BROADCAST BINARY <length>";
    public const string CloseUsage = "usage: CLOSE <id> [<code> [<reason of at most 123 bytes>]]";
    public const string SendTextUsage = "usage: SEND TEXT <id> <length>";
    public const string SendBinaryUsage = "usage: SEND BINARY <id> <length>";
    public const string BroadcastTextUsage = "usage: BROADCAST TEXT <length>";
    public const string BroadcastBinaryUsage = "usage: BROADCAST BINARY <length>";

    /// <summary>A length is 1 to 19 digits (SPEC); any longer word cannot be one.</summary>
    private const int MaxLengthDigits = 19;

    /// <summary>One line per command, for HELP.</summary>
    public static readonly string[] Help =
    [
        "LIST WEBSOCKETS                  list connections: <id> <host>:<port>, oldest first",
        "SEND MESSAGE <id> <message>      send the rest of the line as a text message to every connection of <id>",
        "SEND TEXT <id> <length>          send the next <length> bytes as a text message",
        "SEND BINARY <id> <length>        send the next <length> bytes as a binary message",
        "BROADCAST MESSAGE <message>      send the rest of the line to every connection",
        "BROADCAST TEXT <length>          send the next <length> bytes as text to every connection",
        "BROADCAST BINARY <length>        send the next <length> bytes as binary to every connection",
        "CLOSE <id> [<code> [<reason>]]   close every connection of <id> (code 1000 by default)",
        "STATS                            counters: <name> <integer>",
        "HELP                             this list",
        "QUIT                             close this control connection",
    ];

    /// <summary>
    /// Parses one line. A line that names a length-prefixed command is judged by its last word first
    /// (SPEC): when that is a length that can be skipped, the result says how many payload bytes follow,
    /// valid or not, so that a refused command never lets its payload be read as commands.
    /// </summary>
    public static ControlCommand Parse(ReadOnlySpan<byte> line, long maxMessage)
    {
        if (line.IsEmpty)
            return new ControlCommand(CommandKind.Empty);
        if (LengthPrefixedUsage(line) is { } usage)
            return ParseLengthPrefixed(line, maxMessage, usage);
        return ParseLine(line, maxMessage);
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
        bool text = Is(kind, "TEXT"u8);
        if (!text && !Is(kind, "BINARY"u8))
            return null;
        if (Is(verb, "SEND"u8))
            return text ? SendTextUsage : SendBinaryUsage;
        if (Is(verb, "BROADCAST"u8))
            return text ? BroadcastTextUsage : BroadcastBinaryUsage;
        return null;
    }

    private static ControlCommand ParseLengthPrefixed(ReadOnlySpan<byte> line, long maxMessage, string usage)
    {
        ReadOnlySpan<byte> last = line[(line.LastIndexOf((byte)' ') + 1)..];
        if (last.Length is 0 or > MaxLengthDigits || last.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0)
            return new ControlCommand(CommandKind.Fatal, Error: usage);         // the payload's end is unknown
        ulong length = 0;
        foreach (byte digit in last)
            length = length * 10 + (ulong)(digit - '0');                      // 19 digits fit in a ulong
        if (length > (ulong)maxMessage)
            return new ControlCommand(CommandKind.Fatal, Error: "payload too large");

        ControlCommand command = ParseLine(line, maxMessage);
        return command.Kind == CommandKind.Invalid
            ? command with { Length = (long)length, HasPayload = true }       // skipped, then ERR
            : command;
    }

    private static ControlCommand ParseLine(ReadOnlySpan<byte> line, long maxMessage)
    {
        if (!Utf8Validator.IsValid(line))
            return ControlCommand.Invalid("message is not valid UTF-8");

        var words = new WordReader(line);
        ReadOnlySpan<byte> verb = words.Next();
        if (Is(verb, "LIST"u8))
            return words.Next() is var what && Is(what, "WEBSOCKETS"u8) && words.AtEnd
                ? new ControlCommand(CommandKind.List) : ControlCommand.Invalid(ListUsage);
        if (Is(verb, "SEND"u8))
            return ParseSend(ref words, maxMessage);
        if (Is(verb, "BROADCAST"u8))
            return ParseBroadcast(ref words, maxMessage);
        if (Is(verb, "CLOSE"u8))
            return ParseClose(ref words);
        if (Is(verb, "STATS"u8))
            return words.AtEnd ? new ControlCommand(CommandKind.Stats) : ControlCommand.Invalid("usage: STATS");
        if (Is(verb, "HELP"u8))
            return words.AtEnd ? new ControlCommand(CommandKind.Help) : ControlCommand.Invalid("usage: HELP");
        if (Is(verb, "QUIT"u8))
            return words.AtEnd ? new ControlCommand(CommandKind.Quit) : ControlCommand.Invalid("usage: QUIT");
        return ControlCommand.Invalid("unknown command: " + Encoding.UTF8.GetString(verb));
    }

    private static ControlCommand ParseSend(ref WordReader words, long maxMessage)
    {
        ReadOnlySpan<byte> kind = words.Next();
        if (Is(kind, "MESSAGE"u8))
        {
            ReadOnlySpan<byte> id = words.Next();
            if (!ConnectionIds.IsValid(id) || !words.HasRest)
                return ControlCommand.Invalid(SendMessageUsage);
            return MessageCommand(CommandKind.SendMessage, Encoding.ASCII.GetString(id), ref words, maxMessage);
        }

        bool text = Is(kind, "TEXT"u8);
        if (!text && !Is(kind, "BINARY"u8))
            return ControlCommand.Invalid(SendUsage);
        ReadOnlySpan<byte> target = words.Next();
        string usage = text ? SendTextUsage : SendBinaryUsage;
        if (!ConnectionIds.IsValid(target))
            return ControlCommand.Invalid(usage);
        return LengthCommand(text ? CommandKind.SendText : CommandKind.SendBinary,
            Encoding.ASCII.GetString(target), ref words, maxMessage, usage);
    }

    private static ControlCommand ParseBroadcast(ref WordReader words, long maxMessage)
    {
        ReadOnlySpan<byte> kind = words.Next();
        if (Is(kind, "MESSAGE"u8))
        {
            return words.HasRest
                ? MessageCommand(CommandKind.BroadcastMessage, "", ref words, maxMessage)
                : ControlCommand.Invalid("usage: BROADCAST MESSAGE <message>");
        }

        bool text = Is(kind, "TEXT"u8);
        if (!text && !Is(kind, "BINARY"u8))
            return ControlCommand.Invalid(BroadcastUsage);
        return LengthCommand(text ? CommandKind.BroadcastText : CommandKind.BroadcastBinary, "", ref words,
            maxMessage, text ? BroadcastTextUsage : BroadcastBinaryUsage);
    }

    private static ControlCommand ParseClose(ref WordReader words)
    {
        ReadOnlySpan<byte> id = words.Next();
        if (!ConnectionIds.IsValid(id))
            return ControlCommand.Invalid(CloseUsage);
        if (words.AtEnd)
            return new ControlCommand(CommandKind.Close, Encoding.ASCII.GetString(id));

        ReadOnlySpan<byte> codeText = words.Next();
        if (!TryParseNumber(codeText, out long code))
            return ControlCommand.Invalid(CloseUsage);
        if (!CloseCodes.IsValidOnWire((int)Math.Min(code, int.MaxValue)))
            return ControlCommand.Invalid("invalid close code");
        ReadOnlySpan<byte> reason = words.HasRest ? words.Rest() : [];
        if (reason.Length > MaxReasonBytes)
            return ControlCommand.Invalid(CloseUsage);
        return new ControlCommand(CommandKind.Close, Encoding.ASCII.GetString(id), CloseCode: (int)code,
            Reason: Encoding.UTF8.GetString(reason));
    }

    private static ControlCommand MessageCommand(CommandKind kind, string id, ref WordReader words, long maxMessage)
    {
        int start = words.RestStart;
        if (words.Rest().Length > maxMessage)
            return ControlCommand.Invalid("message too large");
        return new ControlCommand(kind, id, MessageStart: start);
    }

    private static ControlCommand LengthCommand(CommandKind kind, string id, ref WordReader words, long maxMessage, string usage)
    {
        ReadOnlySpan<byte> lengthText = words.Next();
        if (!words.AtEnd || !TryParseNumber(lengthText, out long length))
            return ControlCommand.Invalid(usage);
        if (length > maxMessage)
            return new ControlCommand(CommandKind.Fatal, Error: "payload too large");
        return new ControlCommand(kind, id, Length: length, HasPayload: true);
    }

    /// <summary>Decimal digits only; values past 18 digits are clamped so they count as too large.</summary>
    private static bool TryParseNumber(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        if (text.IsEmpty || text.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0)
            return false;
        foreach (byte digit in text)
            value = value > 99_999_999_999_999_999L ? long.MaxValue : value * 10 + (digit - '0');
        return true;
    }

    private static bool Is(ReadOnlySpan<byte> word, ReadOnlySpan<byte> upperName) =>
        word.Length == upperName.Length && Ascii.EqualsIgnoreCase(word, upperName);

    /// <summary>Walks words separated by single spaces; two spaces make an empty word.</summary>
    private ref struct WordReader
    {
        private readonly ReadOnlySpan<byte> _line;
        private int _position;
        private bool _atEnd;

        public WordReader(ReadOnlySpan<byte> line) => _line = line;

        /// <summary>True when nothing follows the last word (not even a space).</summary>
        public readonly bool AtEnd => _atEnd;

        /// <summary>True when a space followed the last word, so a rest (possibly empty) exists.</summary>
        public readonly bool HasRest => !_atEnd;

        public readonly int RestStart => _position;

        public ReadOnlySpan<byte> Next()
        {
            if (_atEnd)
                return [];
            ReadOnlySpan<byte> rest = _line[_position..];
            int space = rest.IndexOf((byte)' ');
            if (space < 0)
            {
                _position = _line.Length;
                _atEnd = true;
                return rest;
            }

            _position += space + 1;
            return rest[..space];
        }

        public readonly ReadOnlySpan<byte> Rest() => _line[_position..];
    }
}
