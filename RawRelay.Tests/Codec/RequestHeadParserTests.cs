using System.IO.Pipelines;
using System.Text;
using RawRelay.Http;
using RawRelay.Transport;

namespace RawRelay.Tests.Codec;

/// <summary>The request line, header fields, and the head as a whole with its 8 KiB limit (RFC 9112 §2-5).</summary>
public sealed class RequestHeadParserTests
{
    [TestCase("GET /websocket?id=a HTTP/1.1", "GET", "/websocket", "id=a", "HTTP/1.1")]
    [TestCase("GET / HTTP/1.0", "GET", "/", "", "HTTP/1.0")]
    [TestCase("POST /websocket HTTP/1.1", "POST", "/websocket", "", "HTTP/1.1")]
    [TestCase("get /x?a=1&b=%20 HTTP/2.0", "get", "/x", "a=1&b=%20", "HTTP/2.0")]      // methods are case-sensitive: kept as sent
    public void A_request_line_is_split_into_method_path_query_and_version(
        string line, string method, string path, string query, string version)
    {
        RequestHead? head = RequestHeadParser.ParseRequestLine(Encoding.ASCII.GetBytes(line));
        head.Should().NotBeNull();
        (head!.Method, head.Path, head.Query, head.Version).Should().Be((method, path, query, version));
    }

    [TestCase("")]                                    // empty
    [TestCase("GET")]                                 // method only
    [TestCase("GET /websocket")]                      // no version
    [TestCase("GET  /websocket HTTP/1.1")]            // two spaces
    [TestCase("GET /web socket HTTP/1.1")]            // space in the target
    [TestCase("GET websocket HTTP/1.1")]              // target not starting with '/'
    [TestCase("GET http://h/websocket HTTP/1.1")]     // absolute form is not served
    [TestCase("G(T /websocket HTTP/1.1")]             // method not a token
    [TestCase("GET /websocket HTTP/1.11")]            // version too long
    [TestCase("GET /websocket HTTP/a.1")]             // version not digits
    [TestCase("GET /websocket http/1.1")]             // HTTP-name is case-sensitive
    [TestCase("GET /websocket HTTP/1.1 ")]            // trailing space
    public void A_malformed_request_line_is_refused(string line) =>
        RequestHeadParser.ParseRequestLine(Encoding.ASCII.GetBytes(line)).Should().BeNull();

    [TestCase("Host: example", "Host", "example")]                      // ordinary
    [TestCase("host:example", "host", "example")]                       // no space, lower case name kept
    [TestCase("X-Empty:", "X-Empty", "")]                               // empty value
    [TestCase("Connection: \t keep-alive, Upgrade \t", "Connection", "keep-alive, Upgrade")] // whitespace trimmed
    [TestCase("X: a:b", "X", "a:b")]                                    // colon in the value
    public void A_header_field_is_split_into_name_and_trimmed_value(string line, string name, string value)
    {
        var head = new RequestHead("GET", "/", "HTTP/1.1");
        RequestHeadParser.ParseHeaderLine(Encoding.ASCII.GetBytes(line), head).Should().BeTrue();
        head.Headers.Should().ContainSingle().Which.Should().Be(new KeyValuePair<string, string>(name, value));
    }

    [TestCase("no colon")]                            // no colon
    [TestCase(": value")]                             // empty name
    [TestCase("Host : x")]                            // space before the colon (RFC 9112 §5.1)
    [TestCase(" Host: x")]                            // obs-fold continuation line (RFC 9112 §5.2)
    [TestCase("Ho\"st: x")]                           // name not a token
    [TestCase("X: a\u0001b")]                         // control character in the value
    [TestCase("X: a\u007Fb")]                         // DEL in the value
    public void A_malformed_header_field_is_refused(string line) =>
        RequestHeadParser.ParseHeaderLine(Encoding.Latin1.GetBytes(line), new RequestHead("GET", "/", "HTTP/1.1")).Should().BeFalse();

    [Test]
    public async Task A_whole_head_is_read_up_to_its_empty_line_and_the_rest_stays_buffered()
    {
        (RequestHeadResult result, byte[] rest) = await ReadAsync("\r\nGET /websocket?id=a HTTP/1.1\r\nHost: h\nX: y\r\n\r\n\x81\x80");
        result.Status.Should().Be(0);
        result.Head!.Headers.Select(h => h.Key).Should().Equal("Host", "X");
        rest.Should().Equal(0x81, 0x80);
    }

    [TestCase("GET / HTTP/1.1\r\nHost: h\r\n", 400)]                           // the stream ends before the empty line
    [TestCase("GET /\r\n\r\n", 400)]                                           // malformed request line
    [TestCase("GET / HTTP/1.1\r\nbad\r\n\r\n", 400)]                           // malformed field
    public async Task A_broken_head_is_refused(string raw, int status) =>
        (await ReadAsync(raw)).Result.Status.Should().Be(status);

    [Test]
    public async Task A_head_of_exactly_8_KiB_is_read_and_one_byte_more_is_431()
    {
        const string start = "GET /websocket HTTP/1.1\r\n";
        int filler = RequestHeadReader.MaxHeadBytes - start.Length - "X: \r\n".Length - 2;
        string exact = start + "X: " + new string('a', filler) + "\r\n\r\n";
        Encoding.ASCII.GetByteCount(exact).Should().Be(RequestHeadReader.MaxHeadBytes);

        (await ReadAsync(exact)).Result.Status.Should().Be(0);
        (await ReadAsync(exact.Replace("X: ", "X: b"))).Result.Status.Should().Be(431);
    }

    [Test]
    public async Task A_head_with_a_malformed_field_that_is_also_too_large_is_431()
    {
        string raw = "GET /websocket HTTP/1.1\r\nbad field\r\n" + string.Concat(Enumerable.Repeat("X: " + new string('a', 1000) + "\r\n", 9)) + "\r\n";
        (await ReadAsync(raw)).Result.Status.Should().Be(431, "431 comes first in the SPEC's order");
    }

    [Test]
    public async Task More_than_100_header_fields_is_431()
    {
        string raw = "GET / HTTP/1.1\r\n" + string.Concat(Enumerable.Repeat("X: y\r\n", 101)) + "\r\n";
        (await ReadAsync(raw)).Result.Status.Should().Be(431);
    }

    [Test]
    public async Task A_head_arriving_one_byte_at_a_time_is_read_the_same()
    {
        byte[] raw = Encoding.ASCII.GetBytes("GET /websocket?id=a HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n");
        var pipe = new Pipe();
        var reader = new LineReader(pipe.Reader, RequestHeadReader.MaxHeadBytes);
        ValueTask<RequestHeadResult> reading = RequestHeadReader.ReadAsync(reader, CancellationToken.None);
        foreach (byte b in raw)
            await pipe.Writer.WriteAsync(new[] { b });
        RequestHeadResult result = await reading.AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        result.Status.Should().Be(0);
        result.Head!.Target.Should().Be("/websocket?id=a");
        result.Head["upgrade"].Should().Be("websocket");
    }

    private static async Task<(RequestHeadResult Result, byte[] Remaining)> ReadAsync(string raw)
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(Encoding.Latin1.GetBytes(raw));
        await pipe.Writer.CompleteAsync();
        var reader = new LineReader(pipe.Reader, RequestHeadReader.MaxHeadBytes);
        RequestHeadResult result = await RequestHeadReader.ReadAsync(reader, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        return (result, System.Buffers.BuffersExtensions.ToArray(reader.Buffered));
    }
}
