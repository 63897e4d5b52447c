using System.Text;
using RawRelay.Bench;

namespace RawRelay.Tests.Bench;

/// <summary>
/// The per-client check of the channels scenario, fed by hand: what it accepts, and that every way a
/// delivery can go wrong (missing, twice, out of order, elsewhere, extra) fails the run.
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

    private static byte[] Tag(string prefix, int channel, int seq)
    {
        var payload = new StringBuilder();
        ChannelCommands.AppendPayload(payload, prefix, channel, seq, 64);
        return Encoding.ASCII.GetBytes(payload.ToString());
    }
}
