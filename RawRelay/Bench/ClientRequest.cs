namespace RawRelay.Bench;

/// <summary>
/// How the clients of one pool upgrade: what follows <c>id=c&lt;i&gt;</c> in the query (connect-time
/// channels, <c>since=</c>), and whether they offer <c>rawrelay.v1</c> (and so require the 101 to select
/// it). Immutable; the query function is called once per client, from the connecting workers.
/// </summary>
internal sealed record ClientRequest(Func<int, string> QueryAfterId, bool OfferV1)
{
    public const string V1Protocol = "rawrelay.v1";

    /// <summary>Part 1 clients: <c>?id=c&lt;i&gt;</c> and nothing else.</summary>
    public static readonly ClientRequest Plain = new(_ => "", false);

    /// <summary>Client i on channel <c>&lt;prefix&gt;&lt;i mod channels&gt;</c> from its first frame.</summary>
    public static ClientRequest OnChannel(string prefix, int channels, bool offerV1 = false) =>
        new(i => $"&channel={prefix}{i % channels}", offerV1);
}
