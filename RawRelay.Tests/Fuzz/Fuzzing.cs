using System.Globalization;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Fuzz;

/// <summary>
/// The seeded fuzz loop shared by the fuzzers: case i of a run uses seed <c>RAWRELAY_FUZZ_SEED + i</c>
/// (one <see cref="Random"/> per case, so a failing case replays from its seed alone), plus every seed
/// of <c>regression-seeds.txt</c> for that fuzzer. A failure names its seeds. Also the mutations and
/// random splits the fuzzers share. Thread-safe (static).
/// </summary>
internal static class Fuzzing
{
    private static readonly byte[] Interesting = [0x00, 0x01, 0x0A, 0x0D, 0x20, 0x3A, 0x7E, 0x7F, 0x80, 0xC0, 0xED, 0xF4, 0xFF, 125, 126, 127];

    /// <summary>Seeds of cases that once failed (file in this folder: "&lt;fuzzer&gt; &lt;seed&gt;  # what it found").</summary>
    public static IReadOnlyList<int> RegressionSeeds(string fuzzer) =>
        File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Fuzz", "regression-seeds.txt"))
            .Select(line => line.Split('#')[0].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(words => words.Length == 2 && words[0] == fuzzer)
            .Select(words => int.Parse(words[1], CultureInfo.InvariantCulture))
            .ToList();

    /// <summary>The regression seeds of <paramref name="fuzzer"/>, then <paramref name="cases"/> fresh ones.</summary>
    public static IEnumerable<int> Seeds(string fuzzer, int cases) =>
        RegressionSeeds(fuzzer).Concat(Enumerable.Range(0, cases).Select(i => unchecked(LoadSize.FuzzSeed + i)));

    /// <summary>
    /// Runs <paramref name="check"/> for every seed, off the test thread and within
    /// <paramref name="timeout"/> (a hang fails the test instead of stalling the suite); fails with the
    /// seeds of every case that threw.
    /// </summary>
    public static async Task RunAsync(string fuzzer, IEnumerable<int> seeds, Func<int, Task> check, TimeSpan timeout)
    {
        var failures = new List<string>();
        int cases = 0;
        await Task.Run(async () =>
        {
            foreach (int seed in seeds)
            {
                cases++;
                try
                {
                    await check(seed);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    failures.Add($"{fuzzer} {seed}  # {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
                    if (failures.Count >= 10)
                        break;
                }
            }
        }).WithTimeout(timeout);

        TestContext.Out.WriteLine($"{fuzzer}: {cases} cases from seed {LoadSize.FuzzSeed}, {failures.Count} failed");
        if (failures.Count > 0)
            Assert.Fail($"failing cases (add them to Fuzz/regression-seeds.txt):\n{string.Join("\n", failures)}");
    }

    /// <summary>One to four random edits: flipped bits, interesting bytes, insertions, deletions, repeats, a cut.</summary>
    public static byte[] Mutate(Random random, byte[] input)
    {
        var bytes = new List<byte>(input);
        int edits = random.Next(1, 5);
        for (int e = 0; e < edits; e++)
        {
            int at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0 when bytes.Count > 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when bytes.Count > 0:
                    bytes[at] = Interesting[random.Next(Interesting.Length)];
                    break;
                case 2:
                    bytes.InsertRange(at, RandomBytes(random, random.Next(1, 9)));
                    break;
                case 3 when bytes.Count > 0:
                    bytes.RemoveRange(at, Math.Min(bytes.Count - at, random.Next(1, 9)));
                    break;
                case 4 when bytes.Count > 0:
                    int length = Math.Min(bytes.Count - at, random.Next(1, 33));
                    bytes.InsertRange(at, bytes.GetRange(at, length));
                    break;
                default:
                    if (bytes.Count > 0)
                        bytes.RemoveRange(at, bytes.Count - at);
                    break;
            }
        }

        return bytes.ToArray();
    }

    public static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Cuts <paramref name="length"/> bytes into random pieces (often single bytes, sometimes all at once).</summary>
    public static List<int> Splits(Random random, int length)
    {
        var pieces = new List<int>();
        int mode = random.Next(3);
        for (int left = length; left > 0;)
        {
            int piece = mode switch { 0 => 1, 1 => random.Next(1, 17), _ => random.Next(1, left + 1) };
            piece = Math.Min(piece, left);
            pieces.Add(piece);
            left -= piece;
        }

        return pieces;
    }
}
