using System.Buffers;
using System.Globalization;
using System.Text;

namespace RawRelay.Control;

/// <summary>
/// The reply lines of one control connection that wait to be written: data lines and status lines, in
/// order. After a large reply (a LIST of many connections) the buffer is given back, so an idle connection
/// holds only a small one. Not thread-safe: one per control connection.
/// </summary>
internal sealed class ControlReplies
{
    private const int InitialSize = 4096;
    private const int KeptSize = 64 * 1024;
    private ArrayBufferWriter<byte> _buffer = new(InitialSize);

    public int Length => _buffer.WrittenCount;

    /// <summary>Bytes the buffer holds now, written or not.</summary>
    public int Capacity => _buffer.Capacity;

    public ReadOnlyMemory<byte> Written => _buffer.WrittenMemory;

    public void Line(string text)
    {
        Append(text);
        Append("\n");
    }

    public void Ok(long count)
    {
        Span<byte> line = _buffer.GetSpan(24);
        "OK "u8.CopyTo(line);
        count.TryFormat(line[3..], out int digits, default, CultureInfo.InvariantCulture);
        line[3 + digits] = (byte)'\n';
        _buffer.Advance(4 + digits);
    }

    /// <summary>ERR lines written so far (to tell whether a command failed).</summary>
    public long Errors { get; private set; }

    public void Error(string reason)
    {
        Errors++;
        Line("ERR " + reason);
    }

    public void Append(string text)
    {
        int length = Encoding.UTF8.GetByteCount(text);
        Encoding.UTF8.GetBytes(text, _buffer.GetSpan(length));
        _buffer.Advance(length);
    }

    /// <summary>Appends the replies another buffer holds (a command that ran on a buffer of its own).</summary>
    public void Append(ControlReplies other)
    {
        other.Written.Span.CopyTo(_buffer.GetSpan(other.Length));
        _buffer.Advance(other.Length);
        Errors += other.Errors;
    }

    /// <summary>Forgets what was written out; a buffer grown past 64 KiB is replaced by a small one.</summary>
    public void Clear()
    {
        if (_buffer.Capacity > KeptSize)
            _buffer = new ArrayBufferWriter<byte>(InitialSize);
        else
            _buffer.ResetWrittenCount();
    }
}
