namespace RawRelay.Control;

internal enum CommandKind
{
    /// <summary>An empty line: ignored, no reply.</summary>
    Empty,
    List,
    SendMessage,
    SendText,
    SendBinary,
    BroadcastMessage,
    BroadcastText,
    BroadcastBinary,
    Close,
    Stats,
    Help,
    Quit,

    /// <summary>Answered with <c>ERR</c> and <see cref="ControlCommand.Error"/>; the connection stays usable.</summary>
    Invalid,

    /// <summary>A length over <c>--max-message</c>: answered with <c>ERR payload too large</c>, then the connection closes.</summary>
    PayloadTooLarge,
}

/// <summary>
/// One parsed control line. For <see cref="CommandKind.SendMessage"/> and
/// <see cref="CommandKind.BroadcastMessage"/> the message is the rest of the line from
/// <see cref="MessageStart"/>, byte for byte; for the length-prefixed forms <see cref="Length"/> bytes
/// follow the line.
/// </summary>
internal readonly record struct ControlCommand(
    CommandKind Kind,
    string Id = "",
    int MessageStart = 0,
    long Length = 0,
    int CloseCode = 1000,
    string Reason = "",
    string Error = "")
{
    public static ControlCommand Invalid(string error) => new(CommandKind.Invalid, Error: error);

    /// <summary>True for the commands whose payload follows the line.</summary>
    public bool HasPayload => Kind is CommandKind.SendText or CommandKind.SendBinary
        or CommandKind.BroadcastText or CommandKind.BroadcastBinary;
}
