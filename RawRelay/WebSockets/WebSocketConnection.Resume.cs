using RawRelay.Hub;

namespace RawRelay.WebSockets;

/// <summary>
/// This connection's side of a resume (SPEC, Nothing lost between pages): the positions a rawrelay.v1 client
/// gave in <c>since</c>, which each stream it joins while registering replays from, and the frames and
/// notices those streams queue for it. The positions are dropped once the connection runs.
/// </summary>
internal sealed partial class WebSocketConnection
{
    public bool HasResume => Volatile.Read(ref _extras)?.Since is not null;

    public string[] ResumeStreams => Volatile.Read(ref _extras)?.Since is { } since ? Array.ConvertAll(since, static p => p.Stream) : [];

    public StreamPosition? ResumeFrom(Hub.Stream stream)
    {
        foreach (ResumePoint point in Volatile.Read(ref _extras)?.Since ?? [])
        {
            if (stream.IsNamed(point.Stream))
                return point.Position;
        }

        return null;
    }

    public void Replay(byte[] frame)
    {
        lock (this)
        {
            if (_closeQueued || _cutOff || IsDisposed)
                return;
            QueueLocked(frame, default);
            Uncounted += frame.Length;
        }
    }

    public void Notice(byte[] text) => EnqueueOwn(Opcode.Text, text);

    /// <summary>The connection runs: it is on its streams, and the positions are of no more use.</summary>
    private void ForgetResume()
    {
        if (Volatile.Read(ref _extras) is not { } extras)
            return;
        lock (this)
        {
            extras.Since = null;
            extras.OwnChannels = null;
            if (extras.IsEmpty)
                _extras = null;                 // a channel= or since= connection then runs as light as any other
        }
    }
}

/// <summary>A stream and the position a client has seen on it (one <c>since</c> of a rawrelay.v1 upgrade).</summary>
internal readonly record struct ResumePoint(string Stream, StreamPosition Position);
