using System.Buffers;
using System.IO.Pipelines;

namespace RawRelay.Transport;

/// <summary>
/// One result of <see cref="LineReader"/>. For a line over the limit, <see cref="Head"/> and
/// <see cref="Tail"/> hold its first and last bytes (at most <see cref="LineReader.EdgeBytes"/> each), when
/// the reader keeps them.
/// </summary>
internal readonly record struct LineRead(LineStatus Status, ReadOnlySequence<byte> Line, byte[]? Head = null, byte[]? Tail = null)
{
    /// <summary>The stream ended (after any last line, which is handed over first).</summary>
    public bool IsEnd => Status == LineStatus.NeedMoreData;
}

/// <summary>
/// Reads LF-terminated lines, and counted runs of bytes between them, from a <see cref="PipeReader"/>.
/// Shared by the HTTP request head on the TCP listener and by the control socket; it knows nothing of
/// either. A line over the limit is reported once and skipped up to its LF: as soon as it is over (for the
/// request head, which is refused at once), or, when the reader keeps a line's edges, once its LF has come,
/// with its first and last bytes (the control socket judges a refused length-prefixed line by them). A last
/// line without LF at the end of the stream is handed over. What it returns is valid until the next call.
/// Not thread-safe: one reader per connection.
/// </summary>
internal sealed class LineReader
{
    /// <summary>How many bytes of the start and of the end of an over-long line are kept.</summary>
    public const int EdgeBytes = 32;

    private readonly PipeReader _input;
    private readonly int _maxLineBytes;
    private readonly bool _keepEdges;
    private byte[]? _head;                  // the start of the over-long line being skipped
    private byte[]? _tail;                  // the last bytes of it seen so far
    private int _tailLength;
    private ReadOnlySequence<byte> _buffer;
    private bool _holdingBuffer;
    private bool _completed;
    private bool _skipping;
    private long _knownWithoutLf;           // bytes at the front of _buffer already searched for a LF

    public LineReader(PipeReader input, int maxLineBytes, bool keepEdges = false)
    {
        _input = input;
        _maxLineBytes = maxLineBytes;
        _keepEdges = keepEdges;
    }

    /// <summary>True once the stream has ended: nothing more will arrive than what is buffered.</summary>
    public bool IsCompleted => _completed;

    /// <summary>Bytes read from the stream and not yet handed over.</summary>
    public ReadOnlySequence<byte> Buffered => _holdingBuffer ? _buffer : ReadOnlySequence<byte>.Empty;

    /// <summary>True when the next <paramref name="count"/> bytes are already buffered (reading them will not wait).</summary>
    public bool IsBuffered(long count) => _holdingBuffer && _buffer.Length >= count;

    /// <summary>
    /// Takes the next line if it is already buffered, without waiting. False means the caller would have
    /// to wait for the peer: a good moment to flush what a batch of lines produced.
    /// </summary>
    public bool TryReadLine(out LineRead read)
    {
        if (_holdingBuffer)
        {
            if (_skipping)
            {
                bool found = _keepEdges ? SkipKeepingTail() : LineSplitter.TrySkipPastLf(ref _buffer);
                if (!found)
                    return NeedMore(out read);
                _skipping = false;
                if (_keepEdges)
                {
                    read = new LineRead(LineStatus.TooLong, default, _head, TailBytes());
                    _head = _tail = null;
                    return true;
                }
            }

            LineStatus status = LineSplitter.TryTake(ref _buffer, _maxLineBytes, out ReadOnlySequence<byte> line, ref _knownWithoutLf);
            if (status == LineStatus.TooLongUnterminated && _keepEdges)
            {
                _skipping = true;                    // reported once its LF has come, with its edges
                _head = Edge(line, fromEnd: false);
                _tail = new byte[EdgeBytes];
                _tailLength = 0;
                KeepTail(line);
                return TryReadLine(out read);
            }

            if (status != LineStatus.NeedMoreData)
            {
                _skipping = status == LineStatus.TooLongUnterminated;
                read = status == LineStatus.Line
                    ? new LineRead(LineStatus.Line, line)
                    : new LineRead(LineStatus.TooLong, default, Edge(line, fromEnd: false), Edge(line, fromEnd: true));
                return true;
            }

            if (_completed && !_buffer.IsEmpty)
            {
                // The stream ended in the middle of a line: it is the last line.
                line = _buffer;
                _buffer = _buffer.Slice(_buffer.End);
                _knownWithoutLf = 0;
                read = new LineRead(line.Length > _maxLineBytes ? LineStatus.TooLong : LineStatus.Line, line);
                return true;
            }
        }

        return NeedMore(out read);
    }

    /// <summary>The next line, waiting for it if needed; <see cref="LineRead.IsEnd"/> at the end of the stream.</summary>
    public async ValueTask<LineRead> ReadLineAsync(CancellationToken ct)
    {
        while (true)
        {
            if (TryReadLine(out LineRead read))
                return read;
            if (_completed)
                return read;
            await FillAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>Takes the next <paramref name="count"/> bytes verbatim if they are buffered, without waiting.</summary>
    public bool TryReadExactly(long count, out ReadOnlySequence<byte> bytes)
    {
        if (!_holdingBuffer || _buffer.Length < count)
        {
            bytes = default;
            return false;
        }

        bytes = _buffer.Slice(0, count);
        _buffer = _buffer.Slice(count);
        _knownWithoutLf = 0;
        return true;
    }

    /// <summary>
    /// Takes the next <paramref name="count"/> bytes verbatim, waiting for them if needed; null when the
    /// stream ends first (what was there is dropped).
    /// </summary>
    public async ValueTask<ReadOnlySequence<byte>?> ReadExactlyAsync(long count, CancellationToken ct)
    {
        while (true)
        {
            if (TryReadExactly(count, out ReadOnlySequence<byte> bytes))
                return bytes;

            if (_completed)
            {
                _buffer = _buffer.Slice(_buffer.End);
                return null;
            }

            await FillAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>Drops what is buffered, unread (a WATCH connection's input).</summary>
    public void DropBuffered()
    {
        if (_holdingBuffer)
            _buffer = _buffer.Slice(_buffer.End);
        _skipping = false;
        _knownWithoutLf = 0;
    }

    /// <summary>Hands every buffered byte back to the pipe and completes it.</summary>
    public void Complete()
    {
        if (_holdingBuffer)
        {
            _input.AdvanceTo(_buffer.End);
            _holdingBuffer = false;
        }

        _input.Complete();
    }

    /// <summary>Drops bytes up to and including the next LF, keeping the last bytes before it; false when there is none yet.</summary>
    private bool SkipKeepingTail()
    {
        SequencePosition? lf = _buffer.PositionOf((byte)'\n');
        ReadOnlySequence<byte> dropped = lf is null ? _buffer : _buffer.Slice(0, lf.Value);
        KeepTail(dropped);
        _buffer = lf is null ? _buffer.Slice(_buffer.End) : _buffer.Slice(_buffer.GetPosition(1, lf.Value));
        return lf is not null;
    }

    private void KeepTail(in ReadOnlySequence<byte> bytes)
    {
        byte[] last = Edge(bytes, fromEnd: true);
        int keep = Math.Min(EdgeBytes - last.Length, _tailLength);
        _tail.AsSpan(_tailLength - keep, keep).CopyTo(_tail);   // what stays of the earlier bytes
        last.CopyTo(_tail.AsSpan(keep));
        _tailLength = keep + last.Length;
    }

    /// <summary>The kept tail without a CR just before the LF.</summary>
    private byte[] TailBytes()
    {
        int length = _tailLength > 0 && _tail![_tailLength - 1] == (byte)'\r' ? _tailLength - 1 : _tailLength;
        return _tail![..length];
    }

    /// <summary>At most <see cref="EdgeBytes"/> bytes from the start or the end of <paramref name="bytes"/>.</summary>
    private static byte[] Edge(in ReadOnlySequence<byte> bytes, bool fromEnd)
    {
        long length = Math.Min(EdgeBytes, bytes.Length);
        return (fromEnd ? bytes.Slice(bytes.Length - length) : bytes.Slice(0, length)).ToArray();
    }

    private bool NeedMore(out LineRead read)
    {
        read = new LineRead(LineStatus.NeedMoreData, default);
        return false;
    }

    /// <summary>
    /// Waits for more bytes from the stream (whatever was taken is handed back first). For callers that
    /// want to act before each wait; <see cref="ReadLineAsync"/> does it for the others.
    /// </summary>
    public async ValueTask FillAsync(CancellationToken ct)
    {
        if (_holdingBuffer)
        {
            // Consumed what was handed over; examined everything, so the next read waits for new bytes.
            _input.AdvanceTo(_buffer.Start, _buffer.End);
            _holdingBuffer = false;
        }

        ReadResult result = await _input.ReadAsync(ct).ConfigureAwait(false);
        _buffer = result.Buffer;
        _holdingBuffer = true;
        _completed = result.IsCompleted || result.IsCanceled;
    }
}
