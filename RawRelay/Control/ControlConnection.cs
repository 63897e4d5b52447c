using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using RawRelay.Diagnostics;
using RawRelay.Transport;
using RawRelay.WebSockets;

namespace RawRelay.Control;

/// <summary>
/// Serves one connection of the control socket: the I/O and the batching. Commands that arrive together
/// form a batch, run without waiting: the frames they queue wait in this connection's
/// <see cref="SendRound"/>, and they and the replies are written once the batch is done (before waiting
/// for more input), so pipelined commands cost few writes. Parsing is <see cref="ControlCommandParser"/>'s,
/// running a command <see cref="ControlDispatcher"/>'s. Not thread-safe: one task per connection.
/// </summary>
internal sealed class ControlConnection
{
    private const int MaxBufferedReplies = 1024 * 1024;
    private const int MaxBatchInput = 4 * 1024 * 1024;
    private const int LineSlack = 256;

    private static readonly StreamPipeReaderOptions InputOptions = new(bufferSize: 16 * 1024, minimumReadSize: 4 * 1024, leaveOpen: true);

    private readonly Socket _socket;
    private readonly ControlDispatcher _dispatcher;
    private readonly long _maxMessage;
    private readonly long _watchLimit;
    private readonly MemoryBudget _budget;
    private readonly RelayLog _log;
    private readonly ControlReplies _replies = new();
    private readonly SendRound _round = new();
    private ControlCommand? _awaitingPayload;
    private bool _clientStoppedReading;
    private long _batchInput;
    private long _budgetHeld;
    private byte[]? _copy;

    /// <param name="watchLimit">How far behind a WATCH may fall before it is cut off (<c>--send-queue</c>).</param>
    public ControlConnection(Socket socket, ControlDispatcher dispatcher, long maxMessage, long watchLimit, MemoryBudget budget, RelayLog log)
    {
        _socket = socket;
        _dispatcher = dispatcher;
        _maxMessage = maxMessage;
        _watchLimit = watchLimit;
        _budget = budget;
        _log = log;
    }

    /// <summary>What a run over the buffered input stopped at.</summary>
    private enum Stop
    {
        /// <summary>Everything buffered ran; more input is needed.</summary>
        NeedInput,

        /// <summary>The batch is large enough: write it out, then go on with what is buffered.</summary>
        BatchFull,

        /// <summary>The connection is done (QUIT, a fatal error, the end of the stream).</summary>
        End,

        /// <summary>WATCH: once its reply is out, the connection is a stream of events.</summary>
        Watch,

        /// <summary>Cluster commands are under way (<see cref="_running"/>, <see cref="_inFlight"/>): await them, then go on.</summary>
        Cluster,
    }

    private const int MaxInFlight = 1024;

    private readonly Queue<(ControlCommand Command, Task<long> Count)> _inFlight = new();
    private Task? _running;
    private (ControlCommand Command, byte[] Bytes, bool IsPayload)? _held;

    public async Task RunAsync(CancellationToken ct)
    {
        var stream = new EndOnResetStream(_socket);
        PipeReader input = PipeReader.Create(stream, InputOptions);
        var reader = new LineReader(input, (int)Math.Min(int.MaxValue, _maxMessage + LineSlack), keepEdges: true);
        try
        {
            while (true)
            {
                Stop stop;
                using (SendScheduler.Use(_round))
                    stop = RunBuffered(reader, ct);
                if (_inFlight.Count > 0)
                    await AnswerInFlightAsync().ConfigureAwait(false);
                if (stop == Stop.Cluster)
                {
                    if (_running is { } running)
                    {
                        _running = null;
                        await running.ConfigureAwait(false);
                    }

                    continue;
                }

                if (stop == Stop.End)
                    break;
                if (stop == Stop.Watch)
                {
                    await EndBatchAsync(stream, ct).ConfigureAwait(false);
                    await WatchAsync(reader, ct).ConfigureAwait(false);
                    break;
                }

                if (stop == Stop.BatchFull)
                {
                    await EndBatchAsync(stream, ct).ConfigureAwait(false);
                    continue;
                }

                // About to read more. Unless more bytes are already waiting in the socket (then the batch
                // grows, up to MaxBatchInput, so each connection gets one write for many frames), the client
                // may have to be waited for: the batch so far goes out first.
                if (_batchInput >= MaxBatchInput || _socket.Available == 0)
                    await EndBatchAsync(stream, ct).ConfigureAwait(false);
                if (!_budget.TryResize(ref _budgetHeld, reader.Buffered.Length + InputOptions.BufferSize))
                {
                    _replies.Error($"busy: unfinished control input over {_budget.Limit} bytes in all");
                    _log.Warn($"control connection refused: unfinished control input of all connections over {_budget.Limit} bytes");
                    break;
                }

                await reader.FillAsync(ct).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away or the relay is stopping: nothing left to answer.
        }
        finally
        {
            await EndLastBatchAsync(stream).ConfigureAwait(false);
            _budget.TryResize(ref _budgetHeld, 0);
            reader.Complete();
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Runs every command that is buffered whole, without waiting.</summary>
    private Stop RunBuffered(LineReader reader, CancellationToken ct)
    {
        if (_held is { } held)
        {
            _held = null;
            if (RunOne(held.Command, held.Bytes, held.IsPayload, ct) is { } stop)
                return stop;
        }

        while (true)
        {
            if (_awaitingPayload is { } command)
            {
                if (!reader.TryReadExactly(command.Length, out ReadOnlySequence<byte> payload))
                    return reader.IsCompleted ? Stop.End : Stop.NeedInput;   // cut short by the end: not sent
                _awaitingPayload = null;
                _batchInput += command.Length;
                ReadOnlyMemory<byte> body = Contiguous(payload);
                if (Pipeline(command, body, isPayload: true, ct, out bool full))
                {
                    if (full)
                        return Stop.Cluster;
                }
                else if (RunOne(command, body, isPayload: true, ct) is { } stop)
                {
                    return stop;
                }
            }
            else
            {
                if (!reader.TryReadLine(out LineRead read))
                    return reader.IsCompleted ? Stop.End : Stop.NeedInput;
                ReadOnlyMemory<byte> line = default;
                if (read.Status == LineStatus.TooLong)
                {
                    command = ControlCommandParser.ParseTooLong(read.Head, read.Tail, _maxMessage);
                }
                else
                {
                    _batchInput += read.Line.Length + 1;
                    line = Contiguous(read.Line);
                    command = ControlCommandParser.Parse(line.Span, _maxMessage);
                }

                if (command.HasPayload)
                {
                    _awaitingPayload = command;     // run (or skipped, when refused) once its bytes are here
                    continue;
                }

                if (Pipeline(command, line, isPayload: false, ct, out bool full))
                {
                    if (full)
                        return Stop.Cluster;
                }
                else if (RunOne(command, line, isPayload: false, ct) is { } stop)
                {
                    return stop;
                }
            }

            if (_replies.Length > MaxBufferedReplies || _batchInput >= MaxBatchInput)
                return Stop.BatchFull;
        }
    }

    /// <summary>
    /// In a cluster, a SEND, PUBLISH or BROADCAST goes to Redis without waiting for the ones before it
    /// (Redis runs them in the order they were sent): true when it went; false when the command is not one of
    /// those (then <see cref="RunOne"/> runs it). Past <see cref="MaxInFlight"/> (<paramref name="full"/>)
    /// the batch waits for them.
    /// </summary>
    private bool Pipeline(in ControlCommand command, ReadOnlyMemory<byte> bytes, bool isPayload, CancellationToken ct, out bool full)
    {
        Task<long>? started = isPayload ? _dispatcher.StartPayloadInCluster(command, bytes, ct) : _dispatcher.StartInCluster(command, bytes, ct);
        full = false;
        if (started is null)
            return false;
        _inFlight.Enqueue((command, started));
        full = _inFlight.Count >= MaxInFlight;
        return true;
    }

    /// <summary>Runs one command (after the pipelined ones before it have answered); a stop when the batch must end here.</summary>
    private Stop? RunOne(in ControlCommand command, ReadOnlyMemory<byte> bytes, bool isPayload, CancellationToken ct)
    {
        if (_inFlight.Count > 0 && command.Kind != CommandKind.Empty)
        {
            _held = (command, bytes.ToArray(), isPayload);     // its reply comes after theirs
            return Stop.Cluster;
        }

        if (isPayload)
        {
            if ((_running = _dispatcher.RunPayloadInCluster(command, bytes, _replies, ct)) is not null)
                return Stop.Cluster;
            _dispatcher.RunPayload(command, bytes, _replies);
            return null;
        }

        if ((_running = _dispatcher.RunInCluster(command, bytes, _replies, ct)) is not null)
            return Stop.Cluster;
        _dispatcher.Run(command, bytes, _replies);
        // QUIT ends the connection; so does a fatal error, since its payload cannot be skipped safely.
        if (command.Kind is CommandKind.Quit or CommandKind.Fatal)
            return Stop.End;
        if (command.Kind == CommandKind.Watch)
            return Stop.Watch;
        return null;
    }

    /// <summary>Waits for the pipelined commands, oldest first, and writes their status lines in that order.</summary>
    private async Task AnswerInFlightAsync()
    {
        while (_inFlight.TryDequeue(out (ControlCommand Command, Task<long> Count) next))
        {
            long count = await next.Count.ConfigureAwait(false);
            _dispatcher.AnswerPipelined(next.Command, count, _replies);
        }
    }

    /// <summary>
    /// The rest of a WATCH connection's life: events written out as they come, input ignored, until the
    /// client closes, the relay stops, or the watcher falls too far behind.
    /// </summary>
    private async Task WatchAsync(LineReader reader, CancellationToken ct)
    {
        _budget.TryResize(ref _budgetHeld, 0);
        var watcher = new EventWatcher(_socket, _watchLimit);
        _dispatcher.Events.Add(watcher);
        using var done = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task ignoring = IgnoreInputAsync(reader, done.Token);
        try
        {
            await Task.WhenAny(ignoring, watcher.Ended).ConfigureAwait(false);
        }
        finally
        {
            _dispatcher.Events.Remove(watcher);
            watcher.Stop();
            done.Cancel();
        }

        try
        {
            await ignoring.ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away, or the watcher ended first.
        }

        if (await watcher.Ended.ConfigureAwait(false))
            _log.Warn($"watcher cut off: more than {_watchLimit} bytes of events behind");
    }

    /// <summary>Reads and drops what a watcher sends, until it closes.</summary>
    private static async Task IgnoreInputAsync(LineReader reader, CancellationToken ct)
    {
        while (!reader.IsCompleted)
        {
            reader.DropBuffered();
            await reader.FillAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>The bytes as one block: as they are when they are, else copied into a buffer of this connection's.</summary>
    private ReadOnlyMemory<byte> Contiguous(in ReadOnlySequence<byte> bytes)
    {
        if (bytes.IsSingleSegment)
            return bytes.First;
        int length = (int)bytes.Length;
        if (_copy is null || _copy.Length < length)
        {
            if (_copy is not null)
                ArrayPool<byte>.Shared.Return(_copy);
            _copy = ArrayPool<byte>.Shared.Rent(length);
        }

        bytes.CopyTo(_copy);
        return _copy.AsMemory(0, length);
    }

    /// <summary>Sends the frames of the batch so far, then its replies.</summary>
    private async ValueTask EndBatchAsync(NetworkStream stream, CancellationToken ct)
    {
        _round.Flush();
        _batchInput = 0;
        ReleaseCopy();
        await WriteRepliesAsync(stream, ct).ConfigureAwait(false);
    }

    private async ValueTask WriteRepliesAsync(NetworkStream stream, CancellationToken ct)
    {
        if (_replies.Length == 0)
            return;
        try
        {
            if (!_clientStoppedReading)
                await stream.WriteAsync(_replies.Written, ct).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            // A client that wrote its commands and closed at once (fire and forget, as a PHP script may)
            // reads no replies; the rest of what it wrote still runs (SPEC), its replies are dropped.
            _clientStoppedReading = true;
            _log.Debug($"control client left before reading its replies: {e.InnerException?.Message ?? e.Message}");
        }
        finally
        {
            _replies.Clear();
        }
    }

    /// <summary>The last batch of a connection that is ending: its replies get at most a second.</summary>
    private async ValueTask EndLastBatchAsync(NetworkStream stream)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await EndBatchAsync(stream, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // A client that does not read its last replies within a second does not get them.
            _log.Debug($"control client did not take its last replies: {e.GetType().Name}");
        }
    }

    private void ReleaseCopy()
    {
        if (_copy is null || _copy.Length <= 64 * 1024)
            return;
        ArrayPool<byte>.Shared.Return(_copy);
        _copy = null;
    }
}
