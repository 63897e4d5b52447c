using RawRelay.Hub;

namespace RawRelay.Tests.Hub;

/// <summary>A connection for hub tests: records what it is handed and answers as told. Thread-safe enough for one test.</summary>
internal class FakeConnection(string id, long sequence, DeliveryResult answer = DeliveryResult.Queued) : IRelayConnection
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

    /// <summary>The frames replayed to it and the notices it got, in order.</summary>
    public List<byte[]> Resumed { get; } = [];

    /// <summary>Positions it resumes from, by stream, until it is listed.</summary>
    public Dictionary<string, StreamPosition> Since { get; } = [];

    public bool HasResume => Since.Count > 0;

    public StreamPosition? ResumeFrom(RawRelay.Hub.Stream stream) => Since.TryGetValue(stream.Name, out StreamPosition position) ? position : null;

    public void Replay(byte[] frame) => Resumed.Add(frame);

    public void Notice(byte[] text) => Resumed.Add(text);

    public virtual DeliveryResult Deliver(Message message)
    {
        Interlocked.Increment(ref _delivered);
        return Answer;
    }

    public void Close(int code, string reason) => IsClosing = true;
}
