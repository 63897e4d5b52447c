using System.Buffers;
using System.Text;
using RawRelay.Tests.Infrastructure;
using RawRelay.Transport;

namespace RawRelay.Tests.Codec;

/// <summary>Taking LF-terminated lines off a buffer, whatever segments the buffer is made of; no sockets.</summary>
public sealed class LineSplitterTests
{
    [TestCase("ab\nc\n", 10, "Line:ab|Line:c", "")]                 // two lines
    [TestCase("ab\r\nc\r\n", 10, "Line:ab|Line:c", "")]             // CRLF: the CR is dropped
    [TestCase("\n\r\nx\n", 10, "Line:|Line:|Line:x", "")]            // empty lines, with and without CR
    [TestCase("a\rb\n", 10, "Line:a\rb", "")]                        // a CR elsewhere stays
    [TestCase("a\r\r\n", 10, "Line:a\r", "")]                        // only the one CR before LF goes
    [TestCase("abc\nrest", 10, "Line:abc", "rest")]                  // an unterminated rest is left for later
    [TestCase("abc\n", 3, "Line:abc", "")]                           // exactly the limit
    [TestCase("abc\r\n", 3, "Line:abc", "")]                         // the limit does not count the CR
    [TestCase("abcd\nxy\n", 3, "TooLong|Line:xy", "")]               // over the limit: dropped up to its LF
    [TestCase("abcd\r\nxy", 3, "TooLong", "xy")]                     // over the limit with CRLF
    [TestCase("abcd", 3, "", "abcd")]                                // may still be "abc\r\n": wait
    [TestCase("abcde", 3, "TooLongUnterminated", "")]               // cannot fit whatever comes: all dropped
    public void Lines_are_taken_alike_from_every_split_of_the_input(string input, int max, string expected, string rest)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(input);
        for (int at = 0; at <= bytes.Length; at++)
        {
            ReadOnlySequence<byte> buffer = SegmentedSequence.SplitAt(bytes, at);
            TakeAll(ref buffer, max).Should().Be(expected, $"split at {at}");
            Encoding.UTF8.GetString(buffer.ToArray()).Should().Be(rest, $"split at {at}");
        }

        ReadOnlySequence<byte> byteByByte = SegmentedSequence.Create(bytes.Select(b => new[] { b }).ToArray());
        TakeAll(ref byteByByte, max).Should().Be(expected, "one segment per byte");
    }

    [Test]
    public void Need_more_data_takes_nothing()
    {
        var buffer = new ReadOnlySequence<byte>("no LF yet"u8.ToArray());

        LineSplitter.TryTake(ref buffer, 100, out _).Should().Be(LineStatus.NeedMoreData);

        buffer.Length.Should().Be(9);
    }

    [Test]
    public void A_long_line_arriving_in_pieces_is_searched_for_its_LF_once()
    {
        // The bytes already searched are not searched again: a LF planted in them is not seen, which
        // shows that the search starts after them (a 1 MiB line in 16 KiB reads was once scanned 64 times).
        byte[] bytes = Encoding.ASCII.GetBytes("abcxdefghi");
        var buffer = new ReadOnlySequence<byte>(bytes, 0, 6);
        long known = 0;
        LineSplitter.TryTake(ref buffer, 100, out _, ref known).Should().Be(LineStatus.NeedMoreData);
        known.Should().Be(6);

        bytes[3] = (byte)'\n';                  // as if it had been there: it is not looked at again
        buffer = new ReadOnlySequence<byte>(bytes, 0, 9);
        LineSplitter.TryTake(ref buffer, 100, out _, ref known).Should().Be(LineStatus.NeedMoreData);
        known.Should().Be(9);

        bytes[9] = (byte)'\n';                  // the LF of the line arrives
        buffer = new ReadOnlySequence<byte>(bytes);
        LineSplitter.TryTake(ref buffer, 100, out ReadOnlySequence<byte> line, ref known).Should().Be(LineStatus.Line);
        Encoding.ASCII.GetString(line.ToArray()).Should().Be("abc\ndefgh");
        known.Should().Be(0);
    }

    [TestCase("tail of a long line\nnext", true, "next")]
    [TestCase("\n", true, "")]
    [TestCase("no LF at all", false, "")]
    public void Skipping_drops_up_to_and_including_the_next_LF(string input, bool found, string rest)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(input);
        for (int at = 0; at <= bytes.Length; at++)
        {
            ReadOnlySequence<byte> buffer = SegmentedSequence.SplitAt(bytes, at);
            LineSplitter.TrySkipPastLf(ref buffer).Should().Be(found);
            Encoding.UTF8.GetString(buffer.ToArray()).Should().Be(rest);
        }
    }

    /// <summary>Takes every line it can: "Status:text|..." (text only for lines).</summary>
    private static string TakeAll(ref ReadOnlySequence<byte> buffer, int max)
    {
        var taken = new List<string>();
        while (true)
        {
            LineStatus status = LineSplitter.TryTake(ref buffer, max, out ReadOnlySequence<byte> line);
            if (status == LineStatus.NeedMoreData)
                return string.Join('|', taken);
            taken.Add(status == LineStatus.Line ? "Line:" + Encoding.UTF8.GetString(line.ToArray()) : status.ToString());
        }
    }
}
