using System.Text;

namespace RawRelay.Control;

/// <summary>
/// The forms that send a message to a target: <c>SEND</c> (an id), <c>PUBLISH</c> (a channel) and
/// <c>BROADCAST</c> (everyone), each as <c>MESSAGE</c> (the rest of the line) or <c>TEXT</c>/<c>BINARY</c>
/// (a length, the payload after the line). Pure; thread-safe (static).
/// </summary>
internal static class TargetedCommandParser
{
    public static ControlCommand ParseSend(ref WordReader words, long maxMessage) =>
        ParseTargeted(ref words, maxMessage, static id => ConnectionIds.IsValid(id), Send);

    public static ControlCommand ParsePublish(ref WordReader words, long maxMessage) =>
        ParseTargeted(ref words, maxMessage, static channel => ChannelNames.IsValid(channel), Publish);

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

    /// <summary>The kinds and synopses of one targeted verb.</summary>
    private sealed record Verb(CommandKind Message, CommandKind Text, CommandKind Binary, string Usage, string MessageUsage,
        string TextUsage, string BinaryUsage, Func<ControlCommand, string, ControlCommand> Target);

    private static readonly Verb Send = new(CommandKind.SendMessage, CommandKind.SendText, CommandKind.SendBinary,
        ControlUsage.Send, ControlUsage.SendMessage, ControlUsage.SendText, ControlUsage.SendBinary,
        static (command, id) => command with { Id = id });

    private static readonly Verb Publish = new(CommandKind.PublishMessage, CommandKind.PublishText, CommandKind.PublishBinary,
        ControlUsage.Publish, ControlUsage.PublishMessage, ControlUsage.PublishText, ControlUsage.PublishBinary,
        static (command, channel) => command with { Channel = channel });

    private delegate bool TargetRule(ReadOnlySpan<byte> target);

    private static ControlCommand ParseTargeted(ref WordReader words, long maxMessage, TargetRule isValid, Verb verb)
    {
        ReadOnlySpan<byte> kind = words.Next();
        bool message = WordReader.Is(kind, "MESSAGE"u8), text = WordReader.Is(kind, "TEXT"u8);
        if (!message && !text && !WordReader.Is(kind, "BINARY"u8))
            return ControlCommand.Invalid(verb.Usage);
        ReadOnlySpan<byte> target = words.Next();
        string usage = message ? verb.MessageUsage : text ? verb.TextUsage : verb.BinaryUsage;
        if (!isValid(target) || (message && !words.HasRest))
            return ControlCommand.Invalid(usage);
        ControlCommand command = verb.Target(new ControlCommand(message ? verb.Message : text ? verb.Text : verb.Binary),
            Encoding.ASCII.GetString(target));
        return message ? MessageCommand(command, ref words, maxMessage) : LengthCommand(command, ref words, maxMessage, usage);
    }

    private static ControlCommand MessageCommand(ControlCommand command, ref WordReader words, long maxMessage)
    {
        int start = words.RestStart;
        if (words.Rest().Length > maxMessage)
            return ControlCommand.Invalid("message too large");
        return command with { MessageStart = start };
    }

    private static ControlCommand LengthCommand(ControlCommand command, ref WordReader words, long maxMessage, string usage)
    {
        ReadOnlySpan<byte> lengthText = words.Next();
        if (!words.AtEnd || !ControlCommandParser.TryParseNumber(lengthText, out long length))
            return ControlCommand.Invalid(usage);
        if (length > maxMessage)
            return new ControlCommand(CommandKind.Fatal, Error: "payload too large");
        return command with { Length = length, HasPayload = true };
    }
}
