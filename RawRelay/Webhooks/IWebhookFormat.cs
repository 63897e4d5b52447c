using System.Text;
using RawRelay.Hub;

namespace RawRelay.Webhooks;

/// <summary>
/// What a webhook's POSTs look like: the body of a batch and the headers that sign it. RawRelay's own
/// (<see cref="RawRelayWebhookFormat"/>) or Pusher's (in RawRelay.Pusher); the delivery (batches, order,
/// retries, bounds) is <see cref="WebhookSender"/>'s either way. Implementations are thread-safe.
/// </summary>
internal interface IWebhookFormat
{
    /// <summary>How the log names this webhook (<c>webhook</c>, <c>pusher webhook</c>).</summary>
    string Label { get; }

    byte[] Body(IReadOnlyList<RelayEvent> batch);

    /// <summary>The headers that sign <paramref name="body"/>.</summary>
    IEnumerable<KeyValuePair<string, string>> Signature(byte[] body);
}

/// <summary>The SPEC's webhook: <c>{"events":[...]}</c> signed with <c>X-RawRelay-Signature</c>. Thread-safe.</summary>
internal sealed class RawRelayWebhookFormat(string secret) : IWebhookFormat
{
    private readonly byte[] _key = Encoding.UTF8.GetBytes(secret);

    public string Label => "webhook";

    public byte[] Body(IReadOnlyList<RelayEvent> batch) => WebhookBody.Write(batch);

    public IEnumerable<KeyValuePair<string, string>> Signature(byte[] body) =>
        [new(WebhookSignature.Header, WebhookSignature.Sign(_key, body))];
}
