using System.Text;
using System.Text.Unicode;

namespace RawRelay.Tests.Fuzz;

/// <summary>What a control line asks for, in the model's own terms.</summary>
internal enum ModelAction
{
    /// <summary>An empty line: no reply.</summary>
    Nothing,

    /// <summary>Refused: <see cref="LineVerdict.Error"/> is the reply after <c>ERR </c>.</summary>
    Refuse,
    ListWebSockets,
    SendMessage,
    SendText,
    SendBinary,
    BroadcastMessage,
    BroadcastText,
    BroadcastBinary,
    PublishMessage,
    PublishText,
    PublishBinary,
    Subscribe,
    Unsubscribe,
    Channels,
    ListChannels,
    ListChannel,
    Close,
    Disconnect,
    Watch,
    Stats,
    Help,
    Quit,
}

/// <summary>
/// The model's verdict on one line: what it does, the error when refused, whether the connection closes
/// after its reply, and how many payload bytes after the line belong to it (run, or read and thrown away).
/// </summary>
internal sealed record LineVerdict(ModelAction Action, string? Error = null, bool Closes = false, long Payload = 0)
{
    public string Id { get; init; } = "";

    /// <summary>The channel of PUBLISH, SUBSCRIBE, UNSUBSCRIBE and LIST WEBSOCKETS &lt;channel&gt;.</summary>
    public string Channel { get; init; } = "";

    /// <summary>The message of SEND MESSAGE / BROADCAST MESSAGE: the rest of the line, byte for byte.</summary>
    public byte[] Message { get; init; } = [];

    public int CloseCode { get; init; } = 1000;

    public byte[] Reason { get; init; } = [];

    /// <summary>
    /// A line over the length limit whose first two words name a length-prefixed command: the SPEC's rule
    /// on refused payloads covers it too (its payload is skipped, or the connection closed); its ERR is
    /// <c>line too long</c>, which the SPEC leaves to the README.
    /// </summary>
    public bool OverLongLengthPrefixed { get; init; }

    /// <summary>True for the TEXT/BINARY forms that will run once their payload is read.</summary>
    public bool RunsPayload => Action is ModelAction.SendText or ModelAction.SendBinary or ModelAction.BroadcastText or ModelAction.BroadcastBinary
        or ModelAction.PublishText or ModelAction.PublishBinary;

    private bool IsText => Action is ModelAction.SendText or ModelAction.BroadcastText or ModelAction.PublishText;
}

/// <summary>
/// What the model remembers between lines: which ids are subscribed to which channels (SPEC Part 2,
/// "Streams and channels"), for one relay with one connection, the witness, on no channel of its own.
/// Not thread-safe.
/// </summary>
internal sealed class ModelState(string witness, int maxChannels)
{
    private readonly Dictionary<string, SortedSet<string>> _subscriptions = new(StringComparer.Ordinal);

    public string Witness { get; } = witness;

    public bool WitnessOn(string channel) => _subscriptions.TryGetValue(Witness, out var channels) && channels.Contains(channel);

    /// <summary>The status line a verdict's command gets, after which the state is what the command made it.</summary>
    public string Apply(LineVerdict verdict)
    {
        int witnessOn(string channel) => WitnessOn(channel) ? 1 : 0;
        switch (verdict.Action)
        {
            case ModelAction.Subscribe:
                SortedSet<string> channels = Of(verdict.Id);
                if (!channels.Contains(verdict.Channel) && channels.Count >= maxChannels)
                    return "ERR " + ControlProtocolModel.TooManyChannels;
                channels.Add(verdict.Channel);
                return $"OK {(verdict.Id == Witness ? 1 : 0)}";
            case ModelAction.Unsubscribe:
                int left = verdict.Id == Witness ? witnessOn(verdict.Channel) : 0;
                Of(verdict.Id).Remove(verdict.Channel);
                return $"OK {left}";
            case ModelAction.Channels:
                return $"OK {Of(verdict.Id).Count}";
            case ModelAction.ListChannels:
                return $"OK {_subscriptions.Values.SelectMany(c => c).Distinct().Count()}";
            case ModelAction.ListChannel:
                return $"OK {witnessOn(verdict.Channel)}";
            default:
                throw new ArgumentOutOfRangeException(nameof(verdict));
        }
    }

    private SortedSet<string> Of(string id)
    {
        if (!_subscriptions.TryGetValue(id, out SortedSet<string>? channels))
            _subscriptions[id] = channels = new SortedSet<string>(StringComparer.Ordinal);
        return channels;
    }
}

/// <summary>
/// An independent reference of the control protocol, written from SPEC.md ("The control socket") and the
/// README's table of replies, deliberately simple (strings split on spaces, no spans, no state machine), and
/// sharing no code with RawRelay: it is the oracle of the control fuzzers, so that they test the parser
/// against the contract and not against itself. Part 2's channel commands are modelled too; their effect on
/// later lines is <see cref="ModelState"/>'s. Thread-safe (static, pure).
/// </summary>
internal static class ControlProtocolModel
{
    /// <summary>A line may be this much longer than --max-message (so that a message of --max-message fits).</summary>
    public const int LineSlack = 256;

    public const int MaxReasonBytes = 123;
    public const int MaxIdLength = 128;

    // The synopses and reasons are the protocol (README, "The control socket").
    public const string ListUsage = "usage: LIST WEBSOCKETS [<channel>] | LIST CHANNELS";
    public const string PublishUsage = "usage: PUBLISH MESSAGE <channel> <message> | PUBLISH TEXT <channel> <length> | PUBLISH BINARY <channel> <length>";
    public const string PublishMessageUsage = "usage: PUBLISH MESSAGE <channel> <message>";
    public const string PublishTextUsage = "usage: PUBLISH TEXT <channel> <length>";
    public const string PublishBinaryUsage = "usage: PUBLISH BINARY <channel> <length>";
    public const string SubscribeUsage = "usage: SUBSCRIBE <id> <channel>";
    public const string UnsubscribeUsage = "usage: UNSUBSCRIBE <id> <channel>";
    public const string ChannelsUsage = "usage: CHANNELS <id>";
    public const string TooManyChannels = "too many channels";
    public const int MaxChannelLength = 200;
    public const string SendMessageUsage = "usage: SEND MESSAGE <id> <message>";
    public const string SendUsage = "usage: SEND MESSAGE <id> <message> | SEND TEXT <id> <length> | SEND BINARY <id> <length>";
    public const string SendTextUsage = "usage: SEND TEXT <id> <length>";
    public const string SendBinaryUsage = "usage: SEND BINARY <id> <length>";
    public const string BroadcastUsage = "usage: BROADCAST MESSAGE <message> | BROADCAST TEXT <length> | BROADCAST BINARY <length>";
    public const string BroadcastMessageUsage = "usage: BROADCAST MESSAGE <message>";
    public const string BroadcastTextUsage = "usage: BROADCAST TEXT <length>";
    public const string BroadcastBinaryUsage = "usage: BROADCAST BINARY <length>";
    public const string CloseUsage = "usage: CLOSE <id> [<code> [<reason of at most 123 bytes>]]";
    public const string DisconnectUsage = "usage: DISCONNECT <handle> [<code> [<reason of at most 123 bytes>]]";
    public const string WatchUsage = "usage: WATCH";
    public const string StatsUsage = "usage: STATS";
    public const string HelpUsage = "usage: HELP";
    public const string QuitUsage = "usage: QUIT";
    public const string NotUtf8 = "message is not valid UTF-8";
    public const string LineTooLong = "line too long";
    public const string MessageTooLarge = "message too large";
    public const string PayloadTooLarge = "payload too large";
    public const string InvalidCloseCode = "invalid close code";

    /// <summary>
    /// The verdict on <paramref name="sent"/>, the bytes a client wrote before a LF (a CR just before the LF
    /// is dropped first).
    /// </summary>
    public static LineVerdict Judge(byte[] sent, long maxMessage)
    {
        byte[] line = sent.Length > 0 && sent[^1] == '\r' ? sent[..^1] : sent;
        if (line.Length == 0)
            return new LineVerdict(ModelAction.Nothing);

        // Words: split on every single space (two spaces make an empty word). Compared as ASCII.
        string latin = Encoding.Latin1.GetString(line);
        string[] words = latin.Split(' ');
        string first = words[0].ToUpperInvariantAscii();
        string second = words.Length > 1 ? words[1].ToUpperInvariantAscii() : "";

        string? lengthUsage = (first, second) switch
        {
            ("SEND", "TEXT") => SendTextUsage,
            ("SEND", "BINARY") => SendBinaryUsage,
            ("BROADCAST", "TEXT") => BroadcastTextUsage,
            ("BROADCAST", "BINARY") => BroadcastBinaryUsage,
            ("PUBLISH", "TEXT") => PublishTextUsage,
            ("PUBLISH", "BINARY") => PublishBinaryUsage,
            _ => null,
        };
        bool tooLong = line.Length > maxMessage + LineSlack;
        if (lengthUsage is null)
            return tooLong ? Refused(LineTooLong) : JudgeWords(line, words, first, second, maxMessage);

        // Judged by its last word first, so that a refused command never lets its payload run: "whatever
        // else is wrong with the line", its length, too (SPEC). An over-long one gets ERR line too long (README).
        string last = words[^1];
        if (last.Length is < 1 or > 19 || !last.All(c => c is >= '0' and <= '9'))
            return new LineVerdict(ModelAction.Refuse, tooLong ? LineTooLong : lengthUsage, Closes: true) { OverLongLengthPrefixed = tooLong };
        ulong length = ulong.Parse(last, System.Globalization.CultureInfo.InvariantCulture);
        if (length > (ulong)maxMessage)
            return new LineVerdict(ModelAction.Refuse, tooLong ? LineTooLong : PayloadTooLarge, Closes: true) { OverLongLengthPrefixed = tooLong };
        LineVerdict verdict = tooLong ? Refused(LineTooLong) with { OverLongLengthPrefixed = true } : JudgeWords(line, words, first, second, maxMessage);
        return verdict with { Payload = (long)length };
    }

    /// <summary>
    /// The status line the relay answers a verdict with, given its payload (for the length-prefixed forms), for
    /// a relay whose one connection is <see cref="ModelState.Witness"/>; the state then holds what it changed.
    /// </summary>
    public static string? Reply(LineVerdict verdict, byte[] payload, ModelState state) => verdict.Action switch
    {
        ModelAction.Nothing => null,
        ModelAction.Refuse => "ERR " + verdict.Error,
        ModelAction.SendText or ModelAction.BroadcastText or ModelAction.PublishText when !Utf8.IsValid(payload) => "ERR " + NotUtf8,
        ModelAction.SendMessage or ModelAction.SendText or ModelAction.SendBinary or ModelAction.Close => $"OK {(verdict.Id == state.Witness ? 1 : 0)}",
        ModelAction.PublishMessage or ModelAction.PublishText or ModelAction.PublishBinary => $"OK {(state.WitnessOn(verdict.Channel) ? 1 : 0)}",
        ModelAction.BroadcastMessage or ModelAction.BroadcastText or ModelAction.BroadcastBinary or ModelAction.ListWebSockets => "OK 1",
        ModelAction.Subscribe or ModelAction.Unsubscribe or ModelAction.Channels or ModelAction.ListChannels or ModelAction.ListChannel => state.Apply(verdict),
        ModelAction.Disconnect => "OK 0",        // no line names a live connection's handle (its prefix is random)
        ModelAction.Watch => "OK watching",
        ModelAction.Stats or ModelAction.Help => "OK",
        ModelAction.Quit => "OK bye",
        _ => throw new ArgumentOutOfRangeException(nameof(verdict)),
    };

    /// <summary>The message a verdict sends the witness (opcode 1 text, 2 binary) once its payload is read; null when it sends none.</summary>
    public static (int Opcode, byte[] Payload)? Sends(LineVerdict verdict, byte[] payload, ModelState state)
    {
        bool reaches = verdict.Action switch
        {
            ModelAction.SendMessage or ModelAction.SendText or ModelAction.SendBinary => verdict.Id == state.Witness,
            ModelAction.PublishMessage or ModelAction.PublishText or ModelAction.PublishBinary => state.WitnessOn(verdict.Channel),
            ModelAction.BroadcastMessage or ModelAction.BroadcastText or ModelAction.BroadcastBinary => true,
            _ => false,
        };
        if (!reaches)
            return null;
        return verdict.Action switch
        {
            ModelAction.SendMessage or ModelAction.BroadcastMessage or ModelAction.PublishMessage => (1, verdict.Message),
            ModelAction.SendText or ModelAction.BroadcastText or ModelAction.PublishText => Utf8.IsValid(payload) ? (1, payload) : null,
            _ => (2, payload),
        };
    }

    /// <summary>A channel name: 1 to 200 characters of A-Z a-z 0-9 _ - = @ , . ;</summary>
    public static bool IsChannel(string word) =>
        word.Length is >= 1 and <= MaxChannelLength && word.All(c => c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9')
            or '_' or '-' or '=' or '@' or ',' or '.' or ';');

    /// <summary>An id: 1 to 128 printable ASCII characters without spaces.</summary>
    public static bool IsId(string word) => word.Length is >= 1 and <= MaxIdLength && word.All(c => c is >= '!' and <= '~');

    /// <summary>A close code a peer may send: 1000-1003, 1007-1014, 3000-4999.</summary>
    public static bool IsCloseCode(ulong code) => code is (>= 1000 and <= 1003) or (>= 1007 and <= 1014) or (>= 3000 and <= 4999);

    private static LineVerdict JudgeWords(byte[] line, string[] words, string first, string second, long maxMessage)
    {
        if (!Utf8.IsValid(line))
            return new LineVerdict(ModelAction.Refuse, NotUtf8);
        switch (first)
        {
            case "LIST" when words.Length == 2 && second == "WEBSOCKETS":
                return new LineVerdict(ModelAction.ListWebSockets);
            case "LIST" when words.Length == 3 && second == "WEBSOCKETS" && IsChannel(words[2]):
                return new LineVerdict(ModelAction.ListChannel) { Channel = words[2] };
            case "LIST" when words.Length == 2 && second == "CHANNELS":
                return new LineVerdict(ModelAction.ListChannels);
            case "LIST":
                return Refused(ListUsage);
            case "PUBLISH" when second == "MESSAGE":
                if (words.Length < 4 || !IsChannel(words[2]))
                    return Refused(PublishMessageUsage);
                return MessageVerdict(ModelAction.PublishMessage, "", line, "PUBLISH MESSAGE ".Length + words[2].Length + 1, maxMessage)
                    is { Action: ModelAction.PublishMessage } publish ? publish with { Channel = words[2] } : Refused(MessageTooLarge);
            case "PUBLISH" when second is "TEXT" or "BINARY":
                return words.Length == 4 && IsChannel(words[2]) && IsDigits(words[3])
                    ? new LineVerdict(second == "TEXT" ? ModelAction.PublishText : ModelAction.PublishBinary) { Channel = words[2] }
                    : Refused(second == "TEXT" ? PublishTextUsage : PublishBinaryUsage);
            case "PUBLISH":
                return Refused(PublishUsage);
            case "SUBSCRIBE" or "UNSUBSCRIBE":
                return words.Length == 3 && IsId(words[1]) && IsChannel(words[2])
                    ? new LineVerdict(first == "SUBSCRIBE" ? ModelAction.Subscribe : ModelAction.Unsubscribe) { Id = words[1], Channel = words[2] }
                    : Refused(first == "SUBSCRIBE" ? SubscribeUsage : UnsubscribeUsage);
            case "CHANNELS":
                return words.Length == 2 && IsId(words[1]) ? new LineVerdict(ModelAction.Channels) { Id = words[1] } : Refused(ChannelsUsage);
            case "SEND" when second == "MESSAGE":
                if (words.Length < 4 || !IsId(words[2]))
                    return Refused(SendMessageUsage);
                return MessageVerdict(ModelAction.SendMessage, words[2], line, "SEND MESSAGE ".Length + words[2].Length + 1, maxMessage);
            case "SEND" when second is "TEXT" or "BINARY":
                return words.Length == 4 && IsId(words[2]) && IsDigits(words[3])
                    ? new LineVerdict(second == "TEXT" ? ModelAction.SendText : ModelAction.SendBinary) { Id = words[2] }
                    : Refused(second == "TEXT" ? SendTextUsage : SendBinaryUsage);
            case "SEND":
                return Refused(SendUsage);
            case "BROADCAST" when second == "MESSAGE":
                return words.Length < 3 ? Refused(BroadcastMessageUsage)
                    : MessageVerdict(ModelAction.BroadcastMessage, "", line, "BROADCAST MESSAGE ".Length, maxMessage);
            case "BROADCAST" when second is "TEXT" or "BINARY":
                return words.Length == 3 && IsDigits(words[2])
                    ? new LineVerdict(second == "TEXT" ? ModelAction.BroadcastText : ModelAction.BroadcastBinary)
                    : Refused(second == "TEXT" ? BroadcastTextUsage : BroadcastBinaryUsage);
            case "BROADCAST":
                return Refused(BroadcastUsage);
            case "CLOSE":
                return CloseVerdict(line, words, ModelAction.Close, CloseUsage, IsId);
            case "DISCONNECT":
                return CloseVerdict(line, words, ModelAction.Disconnect, DisconnectUsage, IsHandle);
            case "WATCH":
                return words.Length == 1 ? new LineVerdict(ModelAction.Watch) : Refused(WatchUsage);
            case "STATS":
                return words.Length == 1 ? new LineVerdict(ModelAction.Stats) : Refused(StatsUsage);
            case "HELP":
                return words.Length == 1 ? new LineVerdict(ModelAction.Help) : Refused(HelpUsage);
            case "QUIT":
                return words.Length == 1 ? new LineVerdict(ModelAction.Quit, Closes: true) : Refused(QuitUsage);
            default:
                string verb = Encoding.UTF8.GetString(line).Split(' ')[0];
                return Refused("unknown command: " + verb);
        }
    }

    private static LineVerdict MessageVerdict(ModelAction action, string id, byte[] line, int start, long maxMessage)
    {
        byte[] message = line[start..];
        return message.Length > maxMessage ? Refused(MessageTooLarge) : new LineVerdict(action) { Id = id, Message = message };
    }

    /// <summary>CLOSE &lt;id&gt; or DISCONNECT &lt;handle&gt;, each with an optional code and reason.</summary>
    private static LineVerdict CloseVerdict(byte[] line, string[] words, ModelAction action, string usage, Func<string, bool> isTarget)
    {
        if (words.Length < 2 || !isTarget(words[1]))
            return Refused(usage);
        if (words.Length == 2)
            return new LineVerdict(action) { Id = words[1] };
        string code = words[2];
        if (!IsDigits(code))
            return Refused(usage);
        ulong value = code.TrimStart('0').Length > 6 ? ulong.MaxValue : ulong.Parse(code, System.Globalization.CultureInfo.InvariantCulture);
        if (!IsCloseCode(value))
            return Refused(InvalidCloseCode);
        int reasonStart = words[0].Length + 1 + words[1].Length + 1 + code.Length + 1;
        byte[] reason = words.Length > 3 ? line[reasonStart..] : [];
        if (reason.Length > MaxReasonBytes)
            return Refused(usage);
        return new LineVerdict(action) { Id = words[1], CloseCode = (int)value, Reason = reason };
    }

    /// <summary>A handle: 1 to 64 characters of A-Z a-z 0-9 - .</summary>
    public static bool IsHandle(string word) =>
        word.Length is >= 1 and <= 64 && word.All(c => c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '.');

    private static LineVerdict Refused(string error) => new(ModelAction.Refuse, error);

    private static bool IsDigits(string word) => word.Length > 0 && word.All(c => c is >= '0' and <= '9');

    private static string ToUpperInvariantAscii(this string word) =>
        string.Concat(word.Select(c => c is >= 'a' and <= 'z' ? (char)(c - 32) : c));
}
