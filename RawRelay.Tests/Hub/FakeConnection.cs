using RawRelay.Hub;

namespace RawRelay.Tests.Hub;

/// <summary>A connection for hub tests: records what it is handed and answers as told. Thread-safe enough for one test.</summary>
internal sealed class FakeConnection(string id, long sequence, DeliveryResult answer = DeliveryResult.Queued) : IRelayConnection
{
    private HubSlots _slots = HubSlots.Unlisted;
    private int _delivered;

    public string Id { get; } = id;

    public long Sequence { get; } = sequence;

    public string RemoteAddress => "127.0.0.1:1";

    public string[] OwnChannels { get; init; } = [];

    public bool IsClosing { get; set; }

    public ref HubSlots Slots => ref _slots;

    public DeliveryResult Answer { get; set; } = answer;

    public int Delivered => Volatile.Read(ref _delivered);

    public DeliveryResult Deliver(Message message)
    {
        Interlocked.Increment(ref _delivered);
        return Answer;
    }

    public void Close(int code, string reason) => IsClosing = true;
}
