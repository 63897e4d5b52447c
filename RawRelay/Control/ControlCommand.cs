namespace RawRelay.Control;

internal enum CommandKind
{
    /// <summary>An empty line: ignored, no reply.</summary>
    Empty,
    List,
    ListChannel,
    ListChannels,
    SendMessage,
    SendText,
    SendBinary,
    PublishMessage,
    PublishText,
    PublishBinary,
    BroadcastMessage,
    BroadcastText,
    BroadcastBinary,
    Subscribe,
    Unsubscribe,
    Channels,
    Position,
    Close,
    Disconnect,
    Watch,
    Stats,
    Help,
    Quit,

    /// <summary>
    /// Answered with <c>ERR</c> and <see cref="ControlCommand.Error"/>; the connection stays usable. A refused
    /// length-prefixed line has its <see cref="ControlCommand.Length"/> bytes of payload skipped first.
    /// </summary>
    Invalid,

    /// <summary>
    /// Answered with <c>ERR</c>, then the connection closes: a length-prefixed line whose payload cannot be
    /// skipped safely (a length that is not a number, or one over <c>--max-message</c>).
    /// </summary>
    Fatal,
}

/// <summary>
/// One parsed control line. For the MESSAGE forms the message is the rest of the line from
/// <see cref="MessageStart"/>, byte for byte; for the length-prefixed forms, valid or refused,
/// <see cref="Length"/> bytes follow the line. <see cref="Id"/> and <see cref="Channel"/> are the
/// command's target, as it has one (DISCONNECT's handle is in <see cref="Id"/>). A refused line keeps the
/// command it named, if any, in <see cref="Verb"/> (lower case, as the metrics label it).
/// </summary>
internal readonly record struct ControlCommand(
    CommandKind Kind,
    string Id = "",
    string Channel = "",
    int MessageStart = 0,
    long Length = 0,
    int CloseCode = 1000,
    string Reason = "",
    string Error = "",
    bool HasPayload = false,
    string Verb = "")
{
    public static ControlCommand Invalid(string error) => new(CommandKind.Invalid, Error: error);
}
