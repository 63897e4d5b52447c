using System.Buffers;
using System.IO.Pipelines;

namespace RawRelay.Transport;

/// <summary>One result of <see cref="LineReader"/>.</summary>
internal readonly record struct LineRead(LineStatus Status, ReadOnlySequence<byte> Line)
{
    /// <summary>The stream ended (after any last line, which is handed over first).</summary>
    public bool IsEnd => Status == LineStatus.NeedMoreData;
}

/// <summary>
/// Reads LF-terminated lines, and counted runs of bytes between them, from a <see cref="PipeReader"/>.
/// Shared by the HTTP request head on the TCP listener and by the control socket; it knows nothing of
/// either. A line over the limit is reported once and skipped up to its LF; a last line without LF at the
/// end of the stream is handed over. What it returns is valid until the next call. Not thread-safe: one
/// reader per connection.
/// </summary>
internal sealed class LineReader
{
    private readonly PipeReader _input;
    private readonly int _maxLineBytes;
    private ReadOnlySequence<byte> _buffer;
    private bool _holdingBuffer;
    private bool _completed;
    private bool _skipping;
    private long _knownWithoutLf;           // bytes at the front of _buffer already searched for a LF

    public LineReader(PipeReader input, int maxLineBytes)
    {
        _input = input;
        _maxLineBytes = maxLineBytes;
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
                if (!LineSplitter.TrySkipPastLf(ref _buffer))
                    return NeedMore(out read);
                _skipping = false;
            }

            LineStatus status = LineSplitter.TryTake(ref _buffer, _maxLineBytes, out ReadOnlySequence<byte> line, ref _knownWithoutLf);
            if (status != LineStatus.NeedMoreData)
            {
                _skipping = status == LineStatus.TooLongUnterminated;
                read = new LineRead(status == LineStatus.Line ? LineStatus.Line : LineStatus.TooLong, line);
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
