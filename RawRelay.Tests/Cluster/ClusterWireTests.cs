using System.Text;
using RawRelay.Cluster;

namespace RawRelay.Tests.Cluster;

/// <summary>What relays say to each other through Redis, and LIST's cluster lines: pure encoding and parsing.</summary>
[TestFixture]
public sealed class ClusterWireTests
{
    [Test]
    public void A_message_is_its_kind_then_the_payload_as_it_is()
    {
        ClusterWire.Message(false, "hi\n"u8).Should().Equal((byte)'T', (byte)'h', (byte)'i', (byte)'\n');
        ClusterWire.Message(true, [0, 255]).Should().Equal((byte)'B', 0, 255);
        ClusterWire.Message(false, []).Should().Equal((byte)'T');
    }

    [TestCase("123456.7", "{\"event\":\"e\",\"channel\":\"c\",\"data\":\"a\\nb\"}")]   // the envelope may hold a LF of its own
    [TestCase(null, "{}")]
    public void A_message_written_in_a_protocols_dialect_carries_the_socket_it_leaves_out(string? except, string envelope)
    {
        byte[] bytes = ClusterWire.WrittenMessage(except, Encoding.UTF8.GetBytes(envelope));
        Encoding.UTF8.GetString(bytes).Should().Be($"W{except}\n{envelope}");
        ClusterWire.TryParseBody(bytes, 0, out MessageBody body).Should().BeTrue();
        body.Should().Be(new MessageBody(false, except ?? "", 2 + (except?.Length ?? 0)));
        Encoding.UTF8.GetString(bytes.AsSpan(body.PayloadStart)).Should().Be(envelope);

        ClusterWire.TryParsePositioned(Encoding.ASCII.GetBytes("Pr1a 42 ").Concat(bytes).ToArray(), withEpoch: true, out string epoch, out long offset, out MessageBody positioned)
            .Should().BeTrue();
        (epoch, offset, positioned.Except, positioned.PayloadStart).Should().Be(("r1a", 42L, except ?? "", 8 + body.PayloadStart));
    }

    [TestCase("W")]                     // no LF after the socket id
    [TestCase("X{}")]                   // no such kind
    [TestCase("")]
    public void A_body_of_no_known_form_is_refused(string bytes) =>
        ClusterWire.TryParseBody(Encoding.ASCII.GetBytes(bytes), 0, out _).Should().BeFalse();

    [TestCase("close", "n1", 7, "u42 4000 gone for good")]   // a reason keeps its spaces
    [TestCase("list", "web-1:8080", 1, "*")]
    [TestCase("chans", "n2", 99, "")]
    public void A_request_reads_back_as_written(string op, string from, long number, string args)
    {
        var request = new ClusterRequest(op, from, number, args);
        byte[] bytes = ClusterWire.EncodeRequest(request);
        bytes[0].Should().Be(ClusterWire.Request);
        ClusterWire.TryParseRequest(bytes.AsSpan(1), out ClusterRequest read).Should().BeTrue();
        read.Should().Be(request);
    }

    [TestCase("")]
    [TestCase("list")]
    [TestCase("list n1")]
    [TestCase("list n1 x *")]           // the number is not a number
    [TestCase("list n1 -1 *")]
    public void A_malformed_request_is_refused(string line) =>
        ClusterWire.TryParseRequest(Encoding.UTF8.GetBytes(line), out _).Should().BeFalse();

    [Test]
    public void A_request_that_is_not_utf8_is_refused() =>
        ClusterWire.TryParseRequest([(byte)'l', 0xff, (byte)' ', (byte)'n', (byte)' ', (byte)'1'], out _).Should().BeFalse();

    [Test]
    public void A_reply_carries_its_count_and_lines()
    {
        var reply = new ClusterReply(12, "n3", 2, ["u1 127.0.0.1:5000 n3", "u2 [::1]:6000 n3"]);
        ClusterWire.TryParseReply(ClusterWire.EncodeReply(reply), out ClusterReply read).Should().BeTrue();
        read.Number.Should().Be(12);
        read.Node.Should().Be("n3");
        read.Count.Should().Be(2);
        read.Lines.Should().Equal(reply.Lines);

        ClusterWire.TryParseReply(ClusterWire.EncodeReply(new ClusterReply(1, "n1", 0, [])), out read).Should().BeTrue();
        read.Lines.Should().BeEmpty();
        ClusterWire.TryParseReply("1 n1"u8, out _).Should().BeFalse();
        ClusterWire.TryParseReply("x n1 0"u8, out _).Should().BeFalse();
    }

    [TestCase("u42 127.0.0.1:50424 web-1:8080", "u42", "127.0.0.1:50424", "web-1:8080")]
    [TestCase("QVZS7CQWAE [::1]:443 n2", "QVZS7CQWAE", "[::1]:443", "n2")]
    public void A_cluster_list_line_has_the_relay_as_third_field(string line, string id, string peer, string node)
    {
        ClusterWire.ListLine(id, peer, node).Should().Be(line);
        ClusterWire.TryParseListLine(line, out string i, out string p, out string n).Should().BeTrue();
        (i, p, n).Should().Be((id, peer, node));
    }

    [TestCase("u42 127.0.0.1:50424")]       // a single node's line: no relay
    [TestCase("u42 127.0.0.1:1 n1 extra")]
    [TestCase("u42  n1")]
    public void A_line_that_is_not_a_cluster_list_line_is_refused(string line) =>
        ClusterWire.TryParseListLine(line, out _, out _, out _).Should().BeFalse();

    [TestCase("n1", true)]
    [TestCase("web-1.example.org:8080", true)]
    [TestCase("[::1]:8080", true)]
    [TestCase("", false)]
    [TestCase("has space", false)]
    [TestCase("é", false)]
    public void A_node_name_is_one_word_of_a_small_alphabet(string name, bool valid) =>
        ClusterWire.IsNodeName(name).Should().Be(valid);

    [Test]
    public void A_relays_channel_count_line_reads_back()
    {
        ClusterWire.TryParseCount("room-7 12", out string name, out long count).Should().BeTrue();
        (name, count).Should().Be(("room-7", 12L));
        ClusterWire.TryParseCount("room-7", out _, out _).Should().BeFalse();
    }
}
