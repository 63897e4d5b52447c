using System.Text.Unicode;
using RawRelay.WebSockets;

namespace RawRelay.Tests.Codec;

/// <summary>
/// The incremental UTF-8 validator against .NET's own validator, the named classes of invalid input, and
/// the exact byte at which it gives up: the first byte that no valid continuation could follow.
/// </summary>
public sealed class Utf8ValidatorTests
{
    // Hex strings; failAt is the index of the first byte that makes the input invalid, -1 when the input is a
    // valid prefix (then complete says whether it also ends on a character boundary).
    [TestCase("", -1, true)]                        // empty
    [TestCase("00", -1, true)]                      // U+0000
    [TestCase("7F", -1, true)]                      // U+007F, last 1-byte
    [TestCase("C280", -1, true)]                    // U+0080, first 2-byte
    [TestCase("DFBF", -1, true)]                    // U+07FF, last 2-byte
    [TestCase("E0A080", -1, true)]                  // U+0800, first 3-byte
    [TestCase("ED9FBF", -1, true)]                  // U+D7FF, just below the surrogates
    [TestCase("EE8080", -1, true)]                  // U+E000, just above the surrogates
    [TestCase("EFBFBD", -1, true)]                  // U+FFFD replacement character
    [TestCase("EFBFBF", -1, true)]                  // U+FFFF, last 3-byte (a noncharacter, still valid)
    [TestCase("F0908080", -1, true)]                // U+10000, first 4-byte
    [TestCase("F48FBFBF", -1, true)]                // U+10FFFF, the last code point
    [TestCase("CEBAE1BDB9CF83CEBCCEB5", -1, true)]  // "κόσμε"
    [TestCase("C2", -1, false)]                     // truncated 2-byte
    [TestCase("E282", -1, false)]                   // truncated 3-byte
    [TestCase("F09F98", -1, false)]                 // truncated 4-byte
    [TestCase("80", 0, false)]                      // lone continuation byte
    [TestCase("BF", 0, false)]                      // lone continuation byte
    [TestCase("41C241", 2, false)]                  // 2-byte start followed by ASCII
    [TestCase("E28241", 2, false)]                  // 3-byte start cut short by ASCII
    [TestCase("C080", 0, false)]                    // overlong U+0000 (C0 never valid)
    [TestCase("C1BF", 0, false)]                    // overlong U+007F (C1 never valid)
    [TestCase("E08080", 1, false)]                  // overlong 3-byte U+0000
    [TestCase("E09FBF", 1, false)]                  // overlong 3-byte U+07FF
    [TestCase("F0808080", 1, false)]                // overlong 4-byte U+0000
    [TestCase("F08FBFBF", 1, false)]                // overlong 4-byte U+FFFF
    [TestCase("EDA080", 1, false)]                  // U+D800, first high surrogate
    [TestCase("EDBFBF", 1, false)]                  // U+DFFF, last low surrogate
    [TestCase("EDA080EDB080", 1, false)]            // surrogate pair encoded as CESU-8
    [TestCase("F4908080", 1, false)]                // U+110000, past U+10FFFF
    [TestCase("F5808080", 0, false)]                // F5 can only start past U+10FFFF
    [TestCase("F7BFBFBF", 0, false)]                // U+1FFFFF
    [TestCase("F888808080", 0, false)]              // 5-byte form
    [TestCase("FC8480808080", 0, false)]            // 6-byte form
    [TestCase("FE", 0, false)]                      // FE never valid
    [TestCase("FF", 0, false)]                      // FF never valid
    [TestCase("CEBAE1BDB9CF83CEBCCEB5F4908080656469746564", 12, false)] // Autobahn 6.4.1: valid text, then U+110000
    public void A_named_input_is_judged_and_fails_at_its_earliest_byte(string hex, int failAt, bool complete)
    {
        byte[] bytes = Convert.FromHexString(hex);
        FailIndex(bytes).Should().Be(failAt);
        Utf8Validator.IsValid(bytes).Should().Be(failAt < 0 && complete);
        if (failAt < 0)
        {
            var validator = new Utf8Validator();
            validator.Append(bytes).Should().BeTrue();
            validator.IsComplete.Should().Be(complete);
        }

        // Split in two at every position, the verdict is the same.
        for (int at = 0; at <= bytes.Length; at++)
        {
            var split = new Utf8Validator();
            bool ok = split.Append(bytes.AsSpan(0, at)) && split.Append(bytes.AsSpan(at));
            (ok && split.IsComplete).Should().Be(failAt < 0 && complete, $"split at {at}");
            ok.Should().Be(failAt < 0, $"split at {at}");
        }
    }

    [Test]
    public void Random_byte_strings_are_judged_as_dotnet_judges_them_and_fail_at_the_earliest_byte()
    {
        var random = new Random(6455);
        for (int n = 0; n < 5000; n++)
        {
            byte[] bytes = RandomMostlyUtf8(random);
            bool expected = Utf8.IsValid(bytes);
            Utf8Validator.IsValid(bytes).Should().Be(expected, Convert.ToHexString(bytes));

            // Earliest failure: everything before the failing byte can still be completed, the byte itself cannot.
            int failAt = FailIndex(bytes);
            if (failAt < 0)
            {
                CanComplete(bytes).Should().BeTrue(Convert.ToHexString(bytes));
                continue;
            }

            CanComplete(bytes[..failAt]).Should().BeTrue($"{Convert.ToHexString(bytes)} failed too early at {failAt}");
            CanComplete(bytes[..(failAt + 1)]).Should().BeFalse($"{Convert.ToHexString(bytes)} failed too late at {failAt}");
        }
    }

    [Test]
    public void Long_ascii_runs_around_invalid_bytes_are_judged_at_every_offset()
    {
        // The validator skips ASCII with a vectorised search: put the bad byte at every offset of a long run.
        for (int at = 0; at < 100; at++)
        {
            byte[] bytes = Enumerable.Repeat((byte)'a', 100).ToArray();
            bytes[at] = 0xC0;
            FailIndex(bytes).Should().Be(at);
            bytes[at] = 0xC3;                         // a 2-byte start followed by ASCII fails on the next byte
            FailIndex(bytes).Should().Be(at == 99 ? -1 : at + 1);
        }
    }

    /// <summary>Bytes fed one at a time: the index of the first byte Append refuses, or -1.</summary>
    private static int FailIndex(byte[] bytes)
    {
        var validator = new Utf8Validator();
        for (int i = 0; i < bytes.Length; i++)
        {
            if (!validator.Append(bytes.AsSpan(i, 1)))
                return i;
        }

        return -1;
    }

    private static readonly byte[] ContinuationEdges = [0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF];

    /// <summary>
    /// Whether some continuation of at most three bytes makes the input valid UTF-8, by .NET's validator.
    /// The edges of the continuation ranges suffice: every lead byte's allowed second-byte range starts or
    /// ends on one of them.
    /// </summary>
    private static bool CanComplete(byte[] prefix)
    {
        if (Utf8.IsValid(prefix))
            return true;
        foreach (byte a in ContinuationEdges)
        {
            if (Utf8.IsValid([.. prefix, a]))
                return true;
            foreach (byte b in ContinuationEdges)
            {
                if (Utf8.IsValid([.. prefix, a, b]))
                    return true;
                foreach (byte c in ContinuationEdges)
                {
                    if (Utf8.IsValid([.. prefix, a, b, c]))
                        return true;
                }
            }
        }

        return false;
    }

    /// <summary>Valid characters of every length with a few random bytes mixed in, so that both verdicts are common.</summary>
    private static byte[] RandomMostlyUtf8(Random random)
    {
        var bytes = new List<byte>();
        int parts = random.Next(0, 8);
        for (int p = 0; p < parts; p++)
        {
            switch (random.Next(6))
            {
                case 0:
                    bytes.Add((byte)random.Next(0, 0x80));
                    break;
                case 1:
                    bytes.Add((byte)random.Next(0x80, 0x100));             // any non-ASCII byte
                    break;
                case 2:
                    bytes.Add((byte)random.Next(0xC0, 0x100));
                    bytes.Add((byte)random.Next(0x80, 0xC0));             // lead + one continuation
                    break;
                default:
                    int codePoint = random.Next(0, 0x110000);
                    if (codePoint is >= 0xD800 and <= 0xDFFF)
                        codePoint = 0xFFFD;
                    bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(char.ConvertFromUtf32(codePoint)));
                    break;
            }
        }

        if (bytes.Count > 0 && random.Next(4) == 0)
            bytes.RemoveAt(bytes.Count - 1);                               // often cut a character short
        return bytes.ToArray();
    }
}
