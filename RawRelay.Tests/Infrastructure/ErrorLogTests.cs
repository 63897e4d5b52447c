using System.Text.RegularExpressions;

namespace RawRelay.Tests.Infrastructure;

/// <summary>The check that fails a test when its relay logged an ERROR it did not expect.</summary>
[TestFixture]
public sealed class ErrorLogTests
{
    [Test]
    public void Unexpected_error_lines_are_reported_once_and_expected_ones_not_at_all()
    {
        string text = "";
        ErrorLog log = ErrorLog.Watch(() => text, "the relay under test");
        try
        {
            text = "2026-01-01T00:00:00.000Z INFO listening\n2026-01-01T00:00:00.001Z WARN slow client x\n";
            log.TakeFailure().Should().BeNull("INFO and WARN are not errors");

            text += "2026-01-01T00:00:01.000Z ERROR connection b1 127.0.0.1:5 failed: System.Exception: boom\n   at X.Y()\n";
            log.TakeFailure().Should().Contain("1 unexpected ERROR").And.Contain("ERROR connection b1 127.0.0.1:5 failed")
                .And.NotContain("at X.Y", "the line with the level names the error");
            log.TakeFailure().Should().BeNull("a line is reported once");

            log.Expect(new Regex("handshake failed unexpectedly"));
            text += "2026-01-01T00:00:02.000Z ERROR handshake failed unexpectedly: E\n2026-01-01T00:00:03.000Z ERROR half a li";
            log.TakeFailure().Should().BeNull("the expected line matches and the unfinished one is not looked at yet");
            text += "ne\n";
            log.TakeFailure().Should().Contain("ERROR half a line");
            text += "message with ERROR in it\n2026-01-01T00:00:04.000Z INFO closed b1 reason=ERROR\n";
            log.TakeFailure().Should().BeNull("only the level field counts");
        }
        finally
        {
            log.Close();
        }
    }
}
