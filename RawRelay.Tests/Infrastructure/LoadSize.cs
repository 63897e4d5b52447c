using System.Globalization;

namespace RawRelay.Tests.Infrastructure;

/// <summary>
/// Sizes of the load and fuzz tests. CI runs them at sizes that prove the point on two cores within the
/// suite's time; <c>RAWRELAY_LOAD_SCALE=N</c> multiplies every load size (messages, clients) for a larger
/// run, and <c>RAWRELAY_FUZZ_CASES</c> / <c>RAWRELAY_FUZZ_SEED</c> set the fuzzers' case count and base
/// seed. Thread-safe (static, read-only).
/// </summary>
internal static class LoadSize
{
    /// <summary>Connections one test may open in this process (each loopback pair costs two descriptors in process).</summary>
    public const int MaxConnections = 8000;

    public static int Scale { get; } = Read("RAWRELAY_LOAD_SCALE", 1);

    /// <summary>Random cases per fuzzer (socket variants run a tenth of them).</summary>
    public static int FuzzCases { get; } = Read("RAWRELAY_FUZZ_CASES", 3000);

    /// <summary>The first seed of a fuzz run; case i uses seed + i.</summary>
    public static int FuzzSeed { get; } = Read("RAWRELAY_FUZZ_SEED", 20240601);

    /// <summary><paramref name="ciSize"/> times the scale, at most <paramref name="max"/>.</summary>
    public static int Scaled(int ciSize, int max = int.MaxValue) => (int)Math.Min((long)ciSize * Scale, max);

    private static int Read(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value > 0
            ? value
            : fallback;
}
