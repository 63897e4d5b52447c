namespace RawRelay.Hub;

/// <summary>
/// What a cluster needs to hear from the registry about this relay's own connections (<c>--redis</c>); null
/// on a single node, which then pays nothing. Implementations are thread-safe.
/// </summary>
internal interface IClusterMembership
{
    /// <summary>
    /// Before a connection is listed: its id's cluster-wide subscriptions are mirrored here, and (with history)
    /// what Redis keeps of the streams it resumes is made this relay's, so that listing it replays from it.
    /// </summary>
    ValueTask BeforeAddAsync(IRelayConnection connection, CancellationToken ct);

    /// <summary>A connection was listed; it is the cluster's (in every relay's LIST, on its streams) when this completes, before its 101.</summary>
    ValueTask AddedAsync(IRelayConnection connection, CancellationToken ct);

    /// <summary>A listed connection left every stream (or one was not listed after all); <paramref name="channels"/> are those it was on.</summary>
    void Removed(IRelayConnection connection, string[] channels);

    /// <summary>
    /// A listed connection joined or left <paramref name="channel"/> after it was listed (a Pusher subscription):
    /// the cluster's counts and this relay's subscription to the channel follow. Completes when Redis has them
    /// (or could not be reached: the heartbeat restores them then); never faults.
    /// </summary>
    Task ChannelChangedAsync(string channel);

    /// <summary>
    /// A message written in <see cref="Relay.Written"/>'s dialect (a Pusher event) to <paramref name="channel"/> on
    /// every relay, leaving out the connection <paramref name="except"/> names wherever it is: the connections
    /// counted, or -1 when the cluster is unavailable (then it reached none).
    /// </summary>
    Task<long> PublishWrittenAsync(string channel, byte[] payload, string? except);

    /// <summary>Presence channels' users for the whole cluster.</summary>
    IClusterPresence Presence { get; }

    /// <summary>Every channel with a connection on a relay of the cluster, with its connections on all of them.</summary>
    Task<IReadOnlyDictionary<string, long>> ChannelCountsAsync();

    /// <summary>A channel's connections on every relay (as <c>OK &lt;n&gt;</c> counts them).</summary>
    Task<long> ConnectionsAsync(string channel);
}
