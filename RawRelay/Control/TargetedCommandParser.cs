using System.Text;

namespace RawRelay.Control;

/// <summary>
/// The forms that send a message to a target: <c>SEND</c> (an id), <c>PUBLISH</c> (a channel) and
/// <c>BROADCAST</c> (everyone), each as <c>MESSAGE</c> (the rest of the line) or <c>TEXT</c>/<c>BINARY</c>
/// (a length, the payload after the line). Pure; thread-safe (static).
/// </summary>
internal static class TargetedCommandParser
{
    public static ControlCommand ParseSend(ref WordReader words, long maxMessage) => ParseTargeted(ref words, maxMessage, channel: false);

    public static ControlCommand ParsePublish(ref WordReader words, long maxMessage) => ParseTargeted(ref words, maxMessage, channel: true);

    public static ControlCommand ParseBroadcast(ref WordReader words, long maxMessage)
    {
        ReadOnlySpan<byte> kind = words.Next();
        if (WordReader.Is(kind, "MESSAGE"u8))
        {
            return words.HasRest
                ? MessageCommand(new ControlCommand(CommandKind.BroadcastMessage), ref words, maxMessage)
                : ControlCommand.Invalid(ControlUsage.BroadcastMessage);
        }

        bool text = WordReader.Is(kind, "TEXT"u8);
        if (!text && !WordReader.Is(kind, "BINARY"u8))
            return ControlCommand.Invalid(ControlUsage.Broadcast);
        return LengthCommand(new ControlCommand(text ? CommandKind.BroadcastText : CommandKind.BroadcastBinary), ref words,
            maxMessage, text ? ControlUsage.BroadcastText : ControlUsage.BroadcastBinary);
    }

    // By form: MESSAGE, TEXT, BINARY of SEND, then of PUBLISH.
    private static readonly CommandKind[] Kinds =
    [
        CommandKind.SendMessage, CommandKind.SendText, CommandKind.SendBinary,
        CommandKind.PublishMessage, CommandKind.PublishText, CommandKind.PublishBinary,
    ];

    private static readonly string[] Usages =
    [
        ControlUsage.SendMessage, ControlUsage.SendText, ControlUsage.SendBinary,
        ControlUsage.PublishMessage, ControlUsage.PublishText, ControlUsage.PublishBinary,
    ];

    /// <summary>SEND (to an id) or PUBLISH (to a channel): the same three forms, with the target's rule and synopses.</summary>
    private static ControlCommand ParseTargeted(ref WordReader words, long maxMessage, bool channel)
    {
        ReadOnlySpan<byte> kind = words.Next();
        bool message = WordReader.Is(kind, "MESSAGE"u8), text = !message && WordReader.Is(kind, "TEXT"u8);
        if (!message && !text && !WordReader.Is(kind, "BINARY"u8))
            return ControlCommand.Invalid(channel ? ControlUsage.Publish : ControlUsage.Send);
        ReadOnlySpan<byte> target = words.Next();
        int form = (message ? 0 : text ? 1 : 2) + (channel ? 3 : 0);
        string usage = Usages[form];
        if (!(channel ? ChannelNames.IsValid(target) : ConnectionIds.IsValid(target)) || (message && !words.HasRest))
            return ControlCommand.Invalid(usage);
        string name = Encoding.ASCII.GetString(target);
        var command = channel ? new ControlCommand(Kinds[form], Channel: name) : new ControlCommand(Kinds[form], name);
        return message ? MessageCommand(command, ref words, maxMessage) : LengthCommand(command, ref words, maxMessage, usage);
    }

    private static ControlCommand MessageCommand(in ControlCommand command, ref WordReader words, long maxMessage)
    {
        int start = words.RestStart;
        if (words.Rest().Length > maxMessage)
            return ControlCommand.Invalid("message too large");
        return command with { MessageStart = start };
    }

    private static ControlCommand LengthCommand(in ControlCommand command, ref WordReader words, long maxMessage, string usage)
    {
        ReadOnlySpan<byte> lengthText = words.Next();
        if (!words.AtEnd || lengthText.Length > ControlCommandParser.MaxLengthDigits || !ControlCommandParser.TryParseNumber(lengthText, out long length))
            return ControlCommand.Invalid(usage);             // the parser then judges it by its last word
        if (length > maxMessage)
            return new ControlCommand(CommandKind.Fatal, Error: "payload too large");
        return command with { Length = length, HasPayload = true };
    }
}
