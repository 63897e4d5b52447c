namespace RawRelay.Control;

/// <summary>
/// The commands a cluster runs for the whole cluster (<c>--redis</c>): they wait for Redis, so the control
/// connection awaits each before it runs the next (replies stay in order). Null on a single node, whose
/// commands run synchronously as they always did. Implementations are thread-safe.
/// </summary>
internal interface IClusterCommands
{
    /// <summary>True when the cluster runs this kind of command.</summary>
    bool Runs(CommandKind kind);

    /// <summary>
    /// Runs the command and writes its data lines and status line to <paramref name="replies"/>.
    /// <paramref name="body"/> is the message (the rest of the line for MESSAGE forms, the payload for TEXT
    /// and BINARY ones, checked already); it is valid only until the first await, so it is copied at once.
    /// </summary>
    Task RunAsync(ControlCommand command, ReadOnlyMemory<byte> body, ControlReplies replies, CancellationToken ct);

    /// <summary>
    /// SEND, PUBLISH or BROADCAST without waiting for the commands before it (Redis runs them in the order
    /// they were sent): the count, or -1 when the cluster is unavailable. <paramref name="body"/> is copied
    /// before this returns.
    /// </summary>
    Task<long> PublishAsync(ControlCommand command, ReadOnlyMemory<byte> body, CancellationToken ct);
}
