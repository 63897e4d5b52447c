namespace RawRelay.Control;

/// <summary>The synopsis of every command, as <c>ERR usage: ...</c> gives it, and the lines of HELP. Thread-safe (constants).</summary>
internal static class ControlUsage
{
    public const string List = "usage: LIST WEBSOCKETS [<channel>] | LIST CHANNELS";
    public const string Send = "usage: SEND MESSAGE <id> <message> | SEND TEXT <id> <length> | SEND BINARY <id> <length>";
    public const string SendMessage = "usage: SEND MESSAGE <id> <message>";
    public const string SendText = "usage: SEND TEXT <id> <length>";
    public const string SendBinary = "usage: SEND BINARY <id> <length>";
    public const string Broadcast = "usage: BROADCAST MESSAGE <message> | BROADCAST TEXT <length> | BROADCAST BINARY <length>";
    public const string BroadcastMessage = "usage: BROADCAST MESSAGE <message>";
    public const string BroadcastText = "usage: BROADCAST TEXT <length>";
    public const string BroadcastBinary = "usage: BROADCAST BINARY <length>";
    public const string Publish = "usage: PUBLISH MESSAGE <channel> <message> | PUBLISH TEXT <channel> <length> | PUBLISH BINARY <channel> <length>";
    public const string PublishMessage = "usage: PUBLISH MESSAGE <channel> <message>";
    public const string PublishText = "usage: PUBLISH TEXT <channel> <length>";
    public const string PublishBinary = "usage: PUBLISH BINARY <channel> <length>";
    public const string Subscribe = "usage: SUBSCRIBE <id> <channel>";
    public const string Unsubscribe = "usage: UNSUBSCRIBE <id> <channel>";
    public const string Channels = "usage: CHANNELS <id>";
    public const string Position = "usage: POSITION <stream>";
    public const string Close = "usage: CLOSE <id> [<code> [<reason of at most 123 bytes>]]";
    public const string Disconnect = "usage: DISCONNECT <handle> [<code> [<reason of at most 123 bytes>]]";
    public const string Watch = "usage: WATCH";
    public const string Stats = "usage: STATS";
    public const string Help = "usage: HELP";
    public const string Quit = "usage: QUIT";

    /// <summary>One line per command, for HELP.</summary>
    public static readonly string[] HelpLines =
    [
        "LIST WEBSOCKETS                  list connections: <id> <host>:<port>, oldest first",
        "LIST WEBSOCKETS <channel>        list the connections on a channel, as LIST WEBSOCKETS",
        "LIST CHANNELS                    list channels: channel <name> <connections>, in byte order",
        "SEND MESSAGE <id> <message>      send the rest of the line as a text message to every connection of <id>",
        "SEND TEXT <id> <length>          send the next <length> bytes as a text message",
        "SEND BINARY <id> <length>        send the next <length> bytes as a binary message",
        "PUBLISH MESSAGE <channel> <msg>  send the rest of the line to every connection on <channel>",
        "PUBLISH TEXT <channel> <length>  send the next <length> bytes as text to every connection on <channel>",
        "PUBLISH BINARY <channel> <len>   send the next <length> bytes as binary to every connection on <channel>",
        "BROADCAST MESSAGE <message>      send the rest of the line to every connection",
        "BROADCAST TEXT <length>          send the next <length> bytes as text to every connection",
        "BROADCAST BINARY <length>        send the next <length> bytes as binary to every connection",
        "SUBSCRIBE <id> <channel>         put <id> on <channel>: its connections now and later",
        "UNSUBSCRIBE <id> <channel>       take <id> and its connections off <channel>",
        "CHANNELS <id>                    list the channels of <id>: channel <name>",
        "POSITION <stream>                the position of the last message of <stream> (<channel>, #<id> or *)",
        "CLOSE <id> [<code> [<reason>]]   close every connection of <id> (code 1000 by default)",
        "DISCONNECT <handle> [<code> ...] close the one connection with <handle> (WATCH shows handles), as CLOSE does",
        "WATCH                            from now on, one line per event: OPEN, CLOSE, MESSAGE, OFFLINE, OCCUPIED, VACATED",
        "STATS                            counters: <name> <integer>",
        "HELP                             this list",
        "QUIT                             close this control connection",
    ];
}
