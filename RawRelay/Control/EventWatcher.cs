using System.Buffers;
using RawRelay.Diagnostics;
using RawRelay.Hub;

namespace RawRelay.Control;

/// <summary>
/// A control connection after WATCH: the relay's events, as <see cref="WatchLines"/>, written to it as they
/// happen. Producers (any thread, some under a stream's lock) only append to a buffer and wake the writer,
/// so a watcher never slows the relay; one that falls more than its limit (<c>--send-queue</c>) behind is cut
/// off. A line into an empty buffer always goes, so that one message of <c>--max-message</c> does not cut off
/// a watcher that is not behind. Thread-safe: one writer task, any number of producers.
/// </summary>
internal sealed class EventWatcher : IEventConsumer
{
    /// <summary>A buffer larger than this is not kept once written out.</summary>
    private const int KeptBufferBytes = 64 * 1024;

    private readonly Lock _gate = new();
    private readonly long _limit;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _cut = new();
    private ArrayBufferWriter<byte> _pending = new(4096);
    private ArrayBufferWriter<byte> _writing = new(4096);
    private long _inFlight;
    private bool _waiting;
    private bool _cutOff;
    private bool _ended;

    public EventWatcher(long limit)
    {
        _limit = limit;
    }

    /// <summary>True once it fell too far behind: it takes no more events and its connection is to close.</summary>
    public bool IsCutOff
    {
        get
        {
            lock (_gate)
                return _cutOff;
        }
    }

    public void OnEvent(RelayEvent relayEvent)
    {
        bool wake;
        lock (_gate)
        {
            if (_cutOff || _ended)
                return;
            int before = _pending.WrittenCount;
            long behind = before + _inFlight;
            WatchLines.Write(relayEvent, _pending);
            if (behind > 0 && behind + (_pending.WrittenCount - before) > _limit)
            {
                _cutOff = true;             // its line is not written out: the connection closes
                // Stops a write the client does not take; cancelling runs callbacks, so not here, where the
                // producer may hold a stream's lock.
                ThreadPool.UnsafeQueueUserWorkItem(static cut => cut.Cancel(), _cut, preferLocal: false);
                return;
            }

            wake = _waiting;
            _waiting = false;
        }

        if (wake)
            _wake.Release();
    }

    /// <summary>Writes events out until the connection fails, <paramref name="ct"/> fires, or it is cut off (then true).</summary>
    public async Task<bool> WriteAsync(System.IO.Stream output, CancellationToken stopping)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(stopping, _cut.Token);
        CancellationToken ct = both.Token;
        try
        {
            await WriteUntilStoppedAsync(output, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_cut.IsCancellationRequested)
        {
            // Cut off while a write waited for the client.
        }

        return IsCutOff;
    }

    private async Task WriteUntilStoppedAsync(System.IO.Stream output, CancellationToken ct)
    {
        while (true)
        {
            int length;
            lock (_gate)
            {
                if (_cutOff)
                    return;
                _inFlight = 0;
                if (_pending.WrittenCount == 0)
                {
                    _waiting = true;
                    length = 0;
                }
                else
                {
                    if (_writing.Capacity > KeptBufferBytes)
                        _writing = new ArrayBufferWriter<byte>(4096);
                    (_pending, _writing) = (_writing, _pending);
                    _pending.ResetWrittenCount();
                    length = _writing.WrittenCount;
                    _inFlight = length;
                }
            }

            if (length == 0)
            {
                await _wake.WaitAsync(ct).ConfigureAwait(false);
                continue;
            }

            await output.WriteAsync(_writing.WrittenMemory, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The connection is gone: it takes no more events.</summary>
    public void End()
    {
        lock (_gate)
            _ended = true;
    }
}
