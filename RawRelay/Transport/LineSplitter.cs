using System.Buffers;

namespace RawRelay.Transport;

/// <summary>What <see cref="LineSplitter.TryTake"/> found at the front of a buffer.</summary>
internal enum LineStatus
{
    /// <summary>A complete line was taken off the buffer.</summary>
    Line,

    /// <summary>A line longer than the limit was taken up to and including its LF (the line is handed over, to be refused).</summary>
    TooLong,

    /// <summary>More bytes than the limit and no LF yet: all was dropped; drop on up to the next LF.</summary>
    TooLongUnterminated,

    /// <summary>No complete line yet; nothing was taken.</summary>
    NeedMoreData,
}

/// <summary>Splits LF-terminated lines off the front of a buffer. Pure and thread-safe (static).</summary>
internal static class LineSplitter
{
    /// <summary>
    /// Takes one line off the front of <paramref name="buffer"/>. The line excludes its LF and a CR just
    /// before it; a line may hold at most <paramref name="maxLineBytes"/> bytes without them.
    /// <paramref name="knownWithoutLf"/> says how many bytes at the front are known to hold no LF (the
    /// search starts after them), and is updated when no line is complete yet, so that a long line arriving
    /// in many reads is scanned once.
    /// </summary>
    public static LineStatus TryTake(ref ReadOnlySequence<byte> buffer, int maxLineBytes, out ReadOnlySequence<byte> line,
        ref long knownWithoutLf)
    {
        line = default;
        long from = Math.Min(knownWithoutLf, buffer.Length);
        SequencePosition? lf = (from == 0 ? buffer : buffer.Slice(from)).PositionOf((byte)'\n');
        if (lf is null)
        {
            // A CR may still be dropped once the LF arrives, so allow for it before giving up.
            if (buffer.Length <= maxLineBytes + 1)
            {
                knownWithoutLf = buffer.Length;
                return LineStatus.NeedMoreData;
            }

            knownWithoutLf = 0;
            line = buffer;                      // dropped: handed over for a look at its start
            buffer = buffer.Slice(buffer.End);
            return LineStatus.TooLongUnterminated;
        }

        knownWithoutLf = 0;
        ReadOnlySequence<byte> raw = buffer.Slice(0, lf.Value);
        buffer = buffer.Slice(buffer.GetPosition(1, lf.Value));
        if (raw.Length > 0 && EndsWithCr(raw))
            raw = raw.Slice(0, raw.Length - 1);
        line = raw;
        return raw.Length > maxLineBytes ? LineStatus.TooLong : LineStatus.Line;
    }

    /// <summary>As <see cref="TryTake(ref ReadOnlySequence{byte}, int, out ReadOnlySequence{byte}, ref long)"/>, searching from the front.</summary>
    public static LineStatus TryTake(ref ReadOnlySequence<byte> buffer, int maxLineBytes, out ReadOnlySequence<byte> line)
    {
        long none = 0;
        return TryTake(ref buffer, maxLineBytes, out line, ref none);
    }

    /// <summary>Drops bytes up to and including the next LF; false (all dropped) when there is none.</summary>
    public static bool TrySkipPastLf(ref ReadOnlySequence<byte> buffer)
    {
        SequencePosition? lf = buffer.PositionOf((byte)'\n');
        if (lf is null)
        {
            buffer = buffer.Slice(buffer.End);
            return false;
        }

        buffer = buffer.Slice(buffer.GetPosition(1, lf.Value));
        return true;
    }

    private static bool EndsWithCr(in ReadOnlySequence<byte> raw)
    {
        if (raw.IsSingleSegment)
            return raw.FirstSpan[^1] == (byte)'\r';
        return raw.Slice(raw.Length - 1).FirstSpan[0] == (byte)'\r';
    }
}
