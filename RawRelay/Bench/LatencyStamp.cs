using System.Diagnostics;

namespace RawRelay.Bench;

/// <summary>
/// The time stamp a latency message carries in its first 20 bytes: a monotonic clock reading as 20
/// decimal digits, as in the shared harness. Pure; thread-safe (static).
/// </summary>
internal static class LatencyStamp
{
    public const int Length = 20;

    /// <summary>Writes <paramref name="timestamp"/> (a <see cref="Stopwatch"/> timestamp) as 20 digits.</summary>
    public static void Write(Span<byte> destination, long timestamp)
    {
        for (int i = Length - 1; i >= 0; i--)
        {
            destination[i] = (byte)('0' + timestamp % 10);
            timestamp /= 10;
        }
    }

    public static bool TryRead(ReadOnlySpan<byte> source, out long timestamp)
    {
        timestamp = 0;
        if (source.Length < Length)
            return false;
        foreach (byte digit in source[..Length])
        {
            if (digit is < (byte)'0' or > (byte)'9')
                return false;
            timestamp = timestamp * 10 + (digit - '0');
        }

        return true;
    }

    public static long ToNanoseconds(long ticks) => (long)(ticks * (1e9 / Stopwatch.Frequency));
}
