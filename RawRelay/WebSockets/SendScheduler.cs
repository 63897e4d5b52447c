using System.Buffers;
using System.Diagnostics;

namespace RawRelay.WebSockets;

/// <summary>
/// Decides when connections' writers run, so that whoever queues frames never writes itself. Frames queued
/// while a <see cref="SendRound"/> is in use on the thread make their connections part of that round, and
/// each is drained once when the round is flushed: one write for everything queued for it. A caller that
/// queues for many connections at once (one read of a client's frames, a ping round) takes a
/// <see cref="Cork"/>, a round of its thread's own flushed when the outermost cork is released; a control
/// connection keeps a round of its own across the commands of a batch and flushes it before it waits for
/// its client. Outside any round a drain goes to the thread pool, so a caller that holds a stream's lock
/// never writes under it. Teardown asked for during a fan-out (a client cut off as slow, a socket that
/// failed) runs the same way, after the round's drains, when no stream's lock is held. A round is in use
/// only between awaits. Thread-safe: the current round is per thread.
/// </summary>
internal static class SendScheduler
{
    [ThreadStatic]
    private static SendRound? t_current;

    [ThreadStatic]
    private static SendRound? t_own;

    [ThreadStatic]
    private static int t_corks;

    /// <summary>Corks this thread until the scope is disposed; corks nest, the outermost flushes.</summary>
    public static CorkScope Cork()
    {
        SendRound own = t_own ??= new SendRound();
        SendRound? outer = t_current;
        t_current = own;
        t_corks++;
        return new CorkScope(outer);
    }

    /// <summary>Makes <paramref name="round"/> this thread's round until the scope is disposed; nothing is flushed then.</summary>
    public static UseScope Use(SendRound round)
    {
        SendRound? outer = t_current;
        t_current = round;
        return new UseScope(outer);
    }

    /// <summary>The connection has frames and nobody drains it: drain it with the current round, or soon.</summary>
    public static void Schedule(WebSocketConnection connection)
    {
        if (t_current is { } round)
            round.Drains.Add(connection);
        else
            ThreadPool.UnsafeQueueUserWorkItem(static c => c.Drain(), connection, preferLocal: true);
    }

    /// <summary>Another writer (a WATCH connection) has bytes and nobody writes them: with the current round, or soon.</summary>
    public static void Schedule(IDrainable writer)
    {
        if (t_current is { } round)
            round.Others.Add(writer);
        else
            ThreadPool.UnsafeQueueUserWorkItem(static w => w.Drain(), writer, preferLocal: true);
    }

    /// <summary>Runs <see cref="WebSocketConnection.RunDeferred"/> with the current round's flush, or soon.</summary>
    public static void Defer(WebSocketConnection connection)
    {
        if (t_current is { } round)
            round.Deferred.Add(connection);
        else
            ThreadPool.UnsafeQueueUserWorkItem(static c => c.RunDeferred(), connection, preferLocal: true);
    }

    /// <summary>A cork: restores the round it replaced, and flushes its thread's round when it was the outermost.</summary>
    public readonly struct CorkScope(SendRound? outer) : IDisposable
    {
        public void Dispose()
        {
            Debug.Assert(t_corks > 0 && ReferenceEquals(t_current, t_own), "a cork is released on its thread, innermost first");
            if (--t_corks == 0)
                t_own!.Flush();                 // still current: what the flush schedules joins it
            t_current = outer;
        }
    }

    /// <summary>The scope of <see cref="Use"/>: restores the round it replaced.</summary>
    public readonly struct UseScope(SendRound? outer) : IDisposable
    {
        public void Dispose() => t_current = outer;
    }
}

/// <summary>
/// A writer other than a WebSocket connection's that the rounds drain the same way: once per round, on the
/// thread that flushes it, never under a stream's lock.
/// </summary>
internal interface IDrainable
{
    /// <summary>Writes what is waiting without blocking; what the socket does not take at once is finished asynchronously.</summary>
    void Drain();
}

/// <summary>
/// Connections that got frames (and teardowns that were asked for) while this round was in use, to be
/// drained together by <see cref="Flush"/>. A large round is shared with a pool thread, never waited for.
/// Not thread-safe: used by one thread at a time (a control connection's, or a thread's own cork).
/// </summary>
internal sealed class SendRound
{
    /// <summary>Below this many connections one thread drains them all.</summary>
    private const int ShareMinimum = 256;

    internal readonly List<WebSocketConnection> Drains = [];
    internal readonly List<WebSocketConnection> Deferred = [];
    internal readonly List<IDrainable> Others = [];

    public bool IsEmpty => Drains.Count == 0 && Deferred.Count == 0 && Others.Count == 0;

    /// <summary>Drains every connection of the round, then runs the teardowns; what they schedule joins in.</summary>
    public void Flush()
    {
        using SendScheduler.UseScope scope = SendScheduler.Use(this);
        while (!IsEmpty)
        {
            DrainAll();
            Drains.Clear();
            for (int i = 0; i < Others.Count; i++)
                Others[i].Drain();
            Others.Clear();
            for (int i = 0; i < Deferred.Count; i++)
                Deferred[i].RunDeferred();
            Deferred.Clear();
        }
    }

    private void DrainAll()
    {
        int count = Drains.Count;
        if (count >= ShareMinimum && Environment.ProcessorCount > 1)
        {
            // The second half goes to a pool thread (independent writes) while this thread drains the first.
            int half = count / 2;
            WebSocketConnection[] shared = ArrayPool<WebSocketConnection>.Shared.Rent(count - half);
            Drains.CopyTo(half, shared, 0, count - half);
            ThreadPool.UnsafeQueueUserWorkItem(new SharedDrain(shared, count - half), preferLocal: false);
            count = half;
        }

        for (int i = 0; i < count; i++)
            Drains[i].Drain();
    }

    private sealed class SharedDrain(WebSocketConnection[] connections, int count) : IThreadPoolWorkItem
    {
        public void Execute()
        {
            try
            {
                for (int i = 0; i < count; i++)
                    connections[i].Drain();
            }
            finally
            {
                Array.Clear(connections, 0, count);
                ArrayPool<WebSocketConnection>.Shared.Return(connections);
            }
        }
    }
}
