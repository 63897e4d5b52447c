namespace RawRelay.Control;

/// <summary>
/// Control commands run, by command and result (<c>ok</c> or <c>err</c>), for the metrics. The command is the
/// verb (SEND in all its forms is <c>send</c>, LIST in all of its <c>list</c>), also for a line refused with a
/// usage error; a line that names no command is <c>invalid</c>. So the labels are a fixed set, never anything
/// a client wrote. Thread-safe (interlocked).
/// </summary>
internal sealed class ControlStats
{
    /// <summary>The label of each command, and the kinds that count as it.</summary>
    public static readonly string[] Commands = [.. ControlCommandParser.Verbs, "invalid"];

    private readonly long[] _ok = new long[Commands.Length];
    private readonly long[] _err = new long[Commands.Length];

    /// <summary>Counts one command; empty lines are not commands.</summary>
    public void Ran(in ControlCommand command, bool ok)
    {
        if (command.Kind == CommandKind.Empty)
            return;
        int index = IndexOfVerb(command.Kind is CommandKind.Invalid or CommandKind.Fatal ? command.Verb : VerbOf(command.Kind));
        Interlocked.Increment(ref (ok ? _ok : _err)[index]);
    }

    public long Count(int command, bool ok) => Interlocked.Read(ref (ok ? _ok : _err)[command]);

    /// <summary>A refused line by the command it named; "invalid" when it named none.</summary>
    private static int IndexOfVerb(string verb)
    {
        int index = Array.IndexOf(Commands, verb);
        return index >= 0 ? index : Commands.Length - 1;
    }

    private static string VerbOf(CommandKind kind) => kind switch
    {
        CommandKind.List or CommandKind.ListChannel or CommandKind.ListChannels => "list",
        CommandKind.SendMessage or CommandKind.SendText or CommandKind.SendBinary => "send",
        CommandKind.PublishMessage or CommandKind.PublishText or CommandKind.PublishBinary => "publish",
        CommandKind.BroadcastMessage or CommandKind.BroadcastText or CommandKind.BroadcastBinary => "broadcast",
        CommandKind.Subscribe => "subscribe",
        CommandKind.Unsubscribe => "unsubscribe",
        CommandKind.Channels => "channels",
        CommandKind.Position => "position",
        CommandKind.Close => "close",
        CommandKind.Disconnect => "disconnect",
        CommandKind.Watch => "watch",
        CommandKind.Stats => "stats",
        CommandKind.Help => "help",
        CommandKind.Quit => "quit",
        _ => "",
    };
}
