using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using RawRelay.Tests.Infrastructure;
using RawRelay.Transport;

namespace RawRelay.Tests.Codec;

/// <summary>
/// Lines and counted payloads read from a stream that delivers its bytes in given pieces (one piece per
/// read, as a socket may), split at every position; no sockets.
/// </summary>
public sealed class LineReaderTests
{
    [TestCase("LIST WEBSOCKETS\nHELP\n", 100, "LIST WEBSOCKETS|HELP")]
    [TestCase("SEND MESSAGE a x\r\nHELP\r\n", 100, "SEND MESSAGE a x|HELP")]      // CRLF, split between CR and LF too
    [TestCase("\n\nHELP\n", 100, "|\u00a0|HELP")]                              // empty lines are handed over (the caller ignores them)
    [TestCase("HELP\nlast line", 100, "HELP|last line")]                     // a last line without LF at end of stream
    [TestCase("0123456789abcdef\nok\n", 4, "TOO LONG|ok")]                   // over the limit: reported once, skipped to its LF
    [TestCase("0123456789\r\n0123\r\n", 4, "TOO LONG|0123")]                 // over the limit with CRLF; the next fits exactly
    [TestCase("okay\n0123456789", 4, "okay|TOO LONG")]                       // an over-limit last line without LF
    [TestCase("a\n0123456789\n0123456789\nb", 4, "a|TOO LONG|TOO LONG|b")] // two long lines, each reported once
    public async Task Lines_are_the_same_however_the_bytes_arrive(string input, int max, string expected)
    {
        expected = expected.Replace("\u00a0", "");
        byte[] bytes = Encoding.UTF8.GetBytes(input);
        for (int at = 0; at <= bytes.Length; at++)
            (await ReadAllLinesAsync(max, bytes[..at], bytes[at..])).Should().Be(expected, $"split at {at}");
        (await ReadAllLinesAsync(max, bytes.Select(b => new[] { b }).ToArray())).Should().Be(expected, "one byte per read");
    }

    [Test]
    public async Task A_counted_payload_is_taken_verbatim_between_lines_wherever_the_input_is_split()
    {
        byte[] bytes = Encoding.UTF8.GetBytes("SEND TEXT a 7\nab\r\n\ncdHELP\n");
        for (int at = 0; at <= bytes.Length; at++)
        {
            LineReader reader = Reader(100, bytes[..at], bytes[at..]);
            (await LineTextAsync(reader)).Should().Be("SEND TEXT a 7");
            var payload = await reader.ReadExactlyAsync(7, CancellationToken.None);
            Encoding.UTF8.GetString(payload!.Value.ToArray()).Should().Be("ab\r\n\ncd", $"split at {at}");
            (await LineTextAsync(reader)).Should().Be("HELP");
            (await reader.ReadLineAsync(CancellationToken.None)).IsEnd.Should().BeTrue();
        }
    }

    [Test]
    public async Task A_counted_payload_cut_short_by_the_end_of_the_stream_is_null()
    {
        LineReader reader = Reader(100, "SEND BINARY a 10\n"u8.ToArray(), "12345"u8.ToArray());
        (await LineTextAsync(reader)).Should().Be("SEND BINARY a 10");

        (await reader.ReadExactlyAsync(10, CancellationToken.None)).Should().BeNull();
        (await reader.ReadLineAsync(CancellationToken.None)).IsEnd.Should().BeTrue();
    }

    [Test]
    public async Task A_line_already_buffered_is_taken_without_waiting_and_none_is_promised_when_none_is_there()
    {
        LineReader reader = Reader(100, "A\nB\nC"u8.ToArray(), "\n"u8.ToArray());
        (await LineTextAsync(reader)).Should().Be("A");

        reader.TryReadLine(out LineRead b).Should().BeTrue();
        Encoding.UTF8.GetString(b.Line.ToArray()).Should().Be("B");
        reader.TryReadLine(out _).Should().BeFalse("C has no LF yet and the stream has not ended");
        (await LineTextAsync(reader)).Should().Be("C");
    }

    private static async Task<string> ReadAllLinesAsync(int max, params byte[][] pieces)
    {
        LineReader reader = Reader(max, pieces);
        var lines = new List<string>();
        while (true)
        {
            LineRead read = await reader.ReadLineAsync(CancellationToken.None).WithTimeout();
            if (read.IsEnd)
                return string.Join('|', lines);
            lines.Add(read.Status == LineStatus.TooLong ? "TOO LONG" : Encoding.UTF8.GetString(read.Line.ToArray()));
        }
    }

    private static async Task<string> LineTextAsync(LineReader reader)
    {
        LineRead read = await reader.ReadLineAsync(CancellationToken.None).WithTimeout();
        read.Status.Should().Be(LineStatus.Line);
        return Encoding.UTF8.GetString(read.Line.ToArray());
    }

    private static LineReader Reader(int max, params byte[][] pieces) =>
        new(PipeReader.Create(new PieceStream(pieces), new StreamPipeReaderOptions(bufferSize: 4096)), max);

    /// <summary>A stream whose every read returns the next piece (or what fits of it), then end of stream.</summary>
    private sealed class PieceStream(byte[][] pieces) : Stream
    {
        private int _piece;
        private int _offset;

        public override int Read(byte[] buffer, int offset, int count)
        {
            while (_piece < pieces.Length && _offset == pieces[_piece].Length)
            {
                _piece++;
                _offset = 0;
            }

            if (_piece == pieces.Length)
                return 0;
            int n = Math.Min(count, pieces[_piece].Length - _offset);
            Array.Copy(pieces[_piece], _offset, buffer, offset, n);
            _offset += n;
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
