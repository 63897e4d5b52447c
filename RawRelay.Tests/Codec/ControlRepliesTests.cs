using System.Text;
using RawRelay.Control;

namespace RawRelay.Tests.Codec;

/// <summary>The reply buffer of a control connection: lines in order, and no large buffer kept after a large reply.</summary>
public sealed class ControlRepliesTests
{
    [Test]
    public void Lines_and_status_lines_come_out_in_order()
    {
        var replies = new ControlReplies();
        replies.Line("a 1.2.3.4:5");
        replies.Ok(12);
        replies.Error("usage: QUIT");

        Encoding.UTF8.GetString(replies.Written.Span).Should().Be("a 1.2.3.4:5\nOK 12\nERR usage: QUIT\n");
    }

    [Test]
    public void After_a_large_reply_is_written_the_buffer_is_small_again()
    {
        var replies = new ControlReplies();
        for (int i = 0; i < 100_000; i++)
            replies.Line($"board-{i} 127.0.0.1:{i % 65536}");     // a LIST of 100,000 connections: about 3 MB
        replies.Length.Should().BeGreaterThan(2_000_000);

        replies.Clear();
        replies.Line("OK");

        replies.Capacity.Should().BeLessThanOrEqualTo(64 * 1024, "an idle control connection keeps no large buffer");
    }
}
