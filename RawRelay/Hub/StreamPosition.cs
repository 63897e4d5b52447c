using System.Globalization;

namespace RawRelay.Hub;

/// <summary>
/// A position on a stream, <c>&lt;epoch&gt;:&lt;offset&gt;</c> (SPEC): the offset counts the stream's messages
/// from 1 (0: none yet); the epoch (1-32 letters and digits) names one life of those offsets. Immutable.
/// </summary>
internal readonly record struct StreamPosition(string Epoch, long Offset)
{
    public const int MaxEpochLength = 32;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Epoch}:{Offset}");

    /// <summary>Parses <c>&lt;epoch&gt;:&lt;offset&gt;</c>; false when malformed.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out StreamPosition position)
    {
        position = default;
        int colon = text.IndexOf(':');
        if (colon is < 1 or > MaxEpochLength)
            return false;
        ReadOnlySpan<char> epoch = text[..colon], offset = text[(colon + 1)..];
        foreach (char c in epoch)
        {
            if (!char.IsAsciiLetterOrDigit(c))
                return false;
        }

        if (offset.IsEmpty || offset.Length > 19 || offset.ContainsAnyExceptInRange('0', '9')
            || !long.TryParse(offset, NumberStyles.None, CultureInfo.InvariantCulture, out long value))
            return false;
        position = new StreamPosition(epoch.ToString(), value);
        return true;
    }
}

/// <summary>
/// New epochs: a prefix drawn at start (so a relay restart never repeats one) and a serial number, so that a
/// stream keeps only a number and its epoch is written out when needed. Thread-safe.
/// </summary>
internal static class Epochs
{
    private static readonly string Prefix = RandomWords.Alphanumeric(8);
    private static long s_counter;

    /// <summary>The serial of a new life of a stream.</summary>
    public static long NewSerial() => Interlocked.Increment(ref s_counter);

    /// <summary>The epoch of a serial: no stream of this relay, or of an earlier run of it, has another's.</summary>
    public static string Format(long serial) => Prefix + serial.ToString("x", CultureInfo.InvariantCulture);

    /// <summary>Writes <see cref="Format"/>'s epoch as ASCII without making the string; returns its length.</summary>
    public static int Write(long serial, Span<byte> destination)
    {
        int at = System.Text.Encoding.ASCII.GetBytes(Prefix, destination);
        serial.TryFormat(destination[at..], out int digits, "x", CultureInfo.InvariantCulture);
        return at + digits;
    }
}
