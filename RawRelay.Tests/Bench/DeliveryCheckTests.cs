using System.Text;
using RawRelay.Bench;

namespace RawRelay.Tests.Bench;

/// <summary>
/// The per-client checks of the channels and storm scenarios, fed by hand: what they accept, and that
/// every way a delivery can go wrong (missing, twice, out of order, elsewhere, extra, !reset) fails the run.
/// </summary>
public sealed class DeliveryCheckTests
{
    private const int Channels = 2;

    [Test]
    public void Channel_check_passes_when_every_client_gets_its_channel_in_order()
    {
        var check = new ChannelCheck(4, [3, 3], stamped: false);
        for (int seq = 0; seq < 3; seq++)
        {
            for (int client = 0; client < 4; client++)
                check.OnMessage(client, Tag("ch", client % Channels, seq), readTimestamp: 10 + seq);
        }

        check.AllSettled.IsCompletedSuccessfully.Should().BeTrue();
        check.Passed.Should().BeTrue(check.Summary());
        check.LastDoneAt.Should().Be(12);
    }

    [TestCase(new[] { 0, 2 }, "clients missing a message", TestName = "Channel check: a message left out")]
    [TestCase(new[] { 0, 0 }, "messages twice or out of order", TestName = "Channel check: a message twice")]
    [TestCase(new[] { 1, 0 }, "clients missing a message", TestName = "Channel check: out of order")]
    public void Channel_check_fails_a_client_whose_sequence_is_broken(int[] sequence, string problem)
    {
        var check = new ChannelCheck(1, [3], stamped: false);
        foreach (int seq in sequence)
            check.OnMessage(0, Tag("ch", 0, seq), 1);

        check.AllSettled.IsCompletedSuccessfully.Should().BeTrue("a broken client is settled at once");
        check.Passed.Should().BeFalse();
        check.Summary().Should().Contain("1 " + problem);
    }

    [Test]
    public void Channel_check_fails_a_message_of_another_channel()
    {
        var check = new ChannelCheck(2, [1, 1], stamped: false);
        check.OnMessage(0, Tag("ch", 1, 0), 1);
        check.Summary().Should().Contain("1 messages of another channel");
        check.Passed.Should().BeFalse();
    }

    [Test]
    public void Channel_check_counts_a_message_after_the_last_as_extra()
    {
        var check = new ChannelCheck(1, [1], stamped: false);
        check.OnMessage(0, Tag("ch", 0, 0), 1);
        check.Passed.Should().BeTrue();
        check.OnMessage(0, Tag("ch", 0, 1), 2);
        check.Extra.Should().Be(1);
        check.Passed.Should().BeFalse();
    }

    [Test]
    public void Channel_check_skips_the_latency_stamp()
    {
        var check = new ChannelCheck(1, [2], stamped: true);
        check.OnMessage(0, Encoding.ASCII.GetBytes("00000000001234567890ch0.0.xx"), 1);
        check.OnMessage(0, Encoding.ASCII.GetBytes("00000000001234567891ch0.1.xx"), 2);
        check.Passed.Should().BeTrue(check.Summary());
    }

    [Test]
    public void Clients_left_out_or_lost_settle_the_check()
    {
        var check = new ChannelCheck(3, [1], stamped: false);
        check.Exclude(0);
        check.Fail(1, "connections closed by the relay");
        check.OnMessage(2, Tag("ch", 0, 0), 1);
        check.AllSettled.IsCompletedSuccessfully.Should().BeTrue();
        check.Summary().Should().StartWith("1 of 2 clients got all their messages").And.Contain("1 connections closed by the relay");
        check.Passed.Should().BeFalse();
    }

    [Test]
    public void Storm_check_passes_live_then_the_missed_offsets_and_resumes_from_the_last()
    {
        var live = new StormCheck(2, Channels, messages: 3);
        for (int seq = 0; seq < 3; seq++)
        {
            live.OnMessage(0, V1("st0", "E1", 5 + seq, seq), 1);
            live.OnMessage(1, V1("st1", "E2", 1 + seq, seq), 1);
        }

        live.Passed.Should().BeTrue(live.Summary());
        live.SinceQuery(0).Should().Be("&channel=st0&since=st0%20E1:7");
        live.SinceQuery(1).Should().Be("&channel=st1&since=st1%20E2:3");

        StormCheck missed = live.NextPhase();
        for (int seq = 3; seq < 6; seq++)
        {
            missed.OnMessage(0, V1("st0", "E1", 5 + seq, seq), 1);
            missed.OnMessage(1, V1("st1", "E2", 1 + seq, seq), 1);
        }

        missed.Passed.Should().BeTrue(missed.Summary());
    }

    [TestCase("st0 E1:9\nst0.4.x", "gaps", TestName = "Storm check: a missed offset left out")]
    [TestCase("st0 E1:7\nst0.2.x", "duplicates", TestName = "Storm check: the last offset again")]
    [TestCase("st0 E9:8\nst0.3.x", "messages of another epoch", TestName = "Storm check: another epoch")]
    [TestCase("st1 E1:8\nst1.3.x", "messages of another stream", TestName = "Storm check: another stream")]
    [TestCase("st0 E1:8\nst0.4.x", "wrong messages at their offset", TestName = "Storm check: the wrong message at the offset")]
    [TestCase("!reset st0 E1:200", "!reset", TestName = "Storm check: a reset")]
    [TestCase("st0.3.x", "bad header lines", TestName = "Storm check: no header line")]
    [TestCase("st0 E1:8\nch0.3.x", "bad payloads", TestName = "Storm check: a payload without its tag")]
    public void Storm_check_fails_a_resume_that_is_not_exactly_the_missed_messages(string message, string problem)
    {
        var live = new StormCheck(1, Channels, messages: 3);
        for (int seq = 0; seq < 3; seq++)
            live.OnMessage(0, V1("st0", "E1", 5 + seq, seq), 1);
        StormCheck missed = live.NextPhase();

        missed.OnMessage(0, Encoding.ASCII.GetBytes(message), 2);

        missed.Passed.Should().BeFalse();
        missed.Summary().Should().Contain("1 " + problem);
    }

    [Test]
    public void Storm_check_fails_a_client_that_never_had_a_position()
    {
        var live = new StormCheck(1, Channels, messages: 1);
        live.Fail(0, "connections failed");
        StormCheck missed = live.NextPhase();
        missed.AllSettled.IsCompletedSuccessfully.Should().BeTrue();
        missed.Summary().Should().Contain("1 clients without a position to resume from");
    }

    [TestCase("st0 E1:8\npayload", "st0", "E1", 8L, "payload")]
    [TestCase("#c7 0aZ:1\n", "#c7", "0aZ", 1L, "")]
    [TestCase("* abcdefghijklmnopqrstuvwxyz012345:1234567890123456789\nx", "*", "abcdefghijklmnopqrstuvwxyz012345", 1234567890123456789L, "x")]
    public void V1_header_line_is_read(string message, string stream, string epoch, long offset, string payload)
    {
        V1HeaderLine.TryParse(Encoding.ASCII.GetBytes(message), out V1HeaderLine header).Should().BeTrue();
        Encoding.ASCII.GetString(header.Stream).Should().Be(stream);
        Encoding.ASCII.GetString(header.Epoch).Should().Be(epoch);
        header.Offset.Should().Be(offset);
        Encoding.ASCII.GetString(header.Payload).Should().Be(payload);
    }

    [TestCase("st0 E1:8")]                                      // no LF
    [TestCase("st0 E1:\nx")]                                    // no offset
    [TestCase("st0 :8\nx")]                                     // no epoch
    [TestCase("st0 E-1:8\nx")]                                  // epoch not letters and digits
    [TestCase("st0 abcdefghijklmnopqrstuvwxyz0123456:8\nx")]    // epoch of 33
    [TestCase("st0 E1:8x\nx")]                                  // offset not digits
    [TestCase("st0\nE1:8\nx")]                                  // LF before the space
    [TestCase(" E1:8\nx")]                                      // no stream
    public void Malformed_v1_header_line_is_refused(string message) =>
        V1HeaderLine.TryParse(Encoding.ASCII.GetBytes(message), out _).Should().BeFalse();

    private static byte[] Tag(string prefix, int channel, int seq)
    {
        var payload = new StringBuilder();
        ChannelCommands.AppendPayload(payload, prefix, channel, seq, 64);
        return Encoding.ASCII.GetBytes(payload.ToString());
    }

    private static byte[] V1(string stream, string epoch, long offset, int seq) =>
        [.. Encoding.ASCII.GetBytes($"{stream} {epoch}:{offset}\n"), .. Tag("st", stream[^1] - '0', seq)];
}
