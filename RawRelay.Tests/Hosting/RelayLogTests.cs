using System.Globalization;
using System.Text;
using System.Text.Json;
using RawRelay.Diagnostics;
using RawRelay.Hosting;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Hosting;

/// <summary>The log never makes a caller wait for standard output, and says what it had to drop.</summary>
[TestFixture]
public sealed class RelayLogTests
{
    [Test]
    public void Lines_have_a_timestamp_and_a_level_and_respect_the_minimum()
    {
        var output = new StringWriter();
        using (var log = new RelayLog(TextWriter.Synchronized(output), LogLevel.Info))
        {
            log.Debug("hidden");
            log.Info("open QVZS7CQWAE 127.0.0.1:50424");
            log.Warn("careful");
            log.Flush();
        }

        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().HaveCount(2);
        lines[0].Should().MatchRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO open QVZS7CQWAE 127\.0\.0\.1:50424$");
        lines[1].Should().EndWith(" WARN careful");
    }

    [Test]
    public void Json_lines_are_objects_with_time_level_msg_and_the_fields()
    {
        var output = new StringWriter();
        using (var log = new RelayLog(TextWriter.Synchronized(output), LogLevel.Debug, LogFormat.Json))
        {
            log.Info("open QVZS7CQWAE 127.0.0.1:50424", LogField.Of("id", "QVZS7CQWAE"), LogField.Of("peer", "127.0.0.1:50424"));
            log.Warn("a \"quoted\"\nline\twith \u0001 and é", LogField.Of("code", 1008), LogField.Of("seconds", 2.5));
            log.Error("it broke", new InvalidOperationException("inner"), LogField.Of("id", "X"));
            log.Debug("plain");
            log.Flush();
        }

        string[] lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        lines.Should().HaveCount(4, "a line break in a message is escaped, never a second line");
        using JsonDocument open = JsonDocument.Parse(lines[0]);
        open.RootElement.EnumerateObject().Select(p => p.Name).Should().Equal("time", "level", "msg", "id", "peer");
        DateTime.ParseExact(open.RootElement.GetProperty("time").GetString()!, "yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal).Should().BeCloseTo(DateTime.UtcNow, TimeSpan.FromMinutes(1));
        open.RootElement.GetProperty("level").GetString().Should().Be("info");
        open.RootElement.GetProperty("msg").GetString().Should().Be("open QVZS7CQWAE 127.0.0.1:50424");
        open.RootElement.GetProperty("peer").GetString().Should().Be("127.0.0.1:50424");
        using JsonDocument warn = JsonDocument.Parse(lines[1]);
        warn.RootElement.GetProperty("level").GetString().Should().Be("warn");
        warn.RootElement.GetProperty("msg").GetString().Should().Be("a \"quoted\"\nline\twith \u0001 and é");
        warn.RootElement.GetProperty("code").GetInt32().Should().Be(1008);
        warn.RootElement.GetProperty("seconds").GetDouble().Should().Be(2.5);
        lines[1].Should().Contain("é", "text beyond ASCII stays readable");
        using JsonDocument error = JsonDocument.Parse(lines[2]);
        error.RootElement.GetProperty("level").GetString().Should().Be("error");
        error.RootElement.GetProperty("msg").GetString().Should().Be("it broke");
        error.RootElement.GetProperty("error").GetString().Should().StartWith("System.InvalidOperationException: inner");
        JsonDocument.Parse(lines[3]).RootElement.GetProperty("level").GetString().Should().Be("debug");
    }

    [Test]
    public void Text_lines_leave_the_fields_to_the_message()
    {
        var output = new StringWriter();
        using (var log = new RelayLog(TextWriter.Synchronized(output), LogLevel.Info))
        {
            log.Info("closed X 127.0.0.1:1 reason=client", LogField.Of("id", "X"));
            log.Flush();
        }

        output.ToString().Should().MatchRegex(@"^\S+Z INFO closed X 127\.0\.0\.1:1 reason=client\r?\n$");
    }

    [Test, CancelAfter(20_000)]
    public async Task A_stalled_output_never_blocks_the_caller_and_dropped_lines_are_counted(CancellationToken ct)
    {
        var output = new StalledWriter();
        using var log = new RelayLog(output, LogLevel.Info);

        // The writer thread is stuck on the first line; 20,000 more return at once, half of them dropped.
        Task writing = Task.Run(() =>
        {
            for (int i = 0; i < 20_001; i++)
                log.Info($"line {i}");
        }, ct);
        await writing.WaitAsync(TimeSpan.FromSeconds(10), ct);

        output.Release();
        log.Flush();
        string text = output.Text;
        text.Should().Contain("INFO line 0\n").And.Contain("log line(s) dropped");
        text.Split('\n').Count(line => line.Contains(" INFO line ")).Should().BeInRange(10_000, 10_002);
    }

    [Test, CancelAfter(20_000)]
    public async Task A_failing_output_loses_lines_counts_them_and_says_how_many_once_it_works_again(CancellationToken ct)
    {
        var output = new FailingWriter();
        using var log = new RelayLog(output, LogLevel.Info);

        output.Fail = true;                     // a full disk: every flush fails
        for (int i = 0; i < 5; i++)
        {
            log.Info($"lost {i}");
            log.Flush();
        }

        await TaskTimeouts.Eventually(() => Task.FromResult(log.LinesLost == 5));
        output.Text.Should().BeEmpty();
        output.Fail = false;                    // space again
        log.Info("back");
        log.Flush();

        string[] lines = output.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().HaveCount(2, output.Text);
        lines[0].Should().EndWith(" WARN 5 log line(s) lost: writing them to standard output failed (No space left on device)");
        lines[1].Should().EndWith(" INFO back");
        log.LinesLost.Should().Be(5, "the count stays, for STATS");
    }

    [Test]
    public void Lines_dropped_for_a_slow_output_count_as_lost_too()
    {
        var output = new StalledWriter();
        using var log = new RelayLog(output, LogLevel.Info);
        for (int i = 0; i < 10_100; i++)
            log.Info($"line {i}");

        log.LinesLost.Should().BeGreaterThanOrEqualTo(99);
        output.Release();
    }

    /// <summary>Keeps what is written until Flush, which either commits it or, while failing, loses it with ENOSPC's IOException.</summary>
    private sealed class FailingWriter : TextWriter
    {
        private readonly StringBuilder _pending = new();
        private readonly StringBuilder _text = new();

        public override Encoding Encoding => Encoding.UTF8;

        public volatile bool Fail;

        public string Text
        {
            get
            {
                lock (_text)
                    return _text.ToString();
            }
        }

        public override void Write(char value) => _pending.Append(value);

        public override void Flush()
        {
            string pending = _pending.ToString();
            _pending.Clear();
            if (Fail)
                throw new IOException("No space left on device");
            lock (_text)
                _text.Append(pending);
        }
    }

    /// <summary>Blocks its first write until released, as a terminal paused with Ctrl-S would.</summary>
    private sealed class StalledWriter : TextWriter
    {
        private readonly ManualResetEventSlim _released = new();
        private readonly StringBuilder _text = new();

        public override Encoding Encoding => Encoding.UTF8;

        public string Text
        {
            get
            {
                lock (_text)
                    return _text.ToString();
            }
        }

        public void Release() => _released.Set();

        public override void Write(char value)
        {
            _released.Wait();
            lock (_text)
                _text.Append(value);
        }
    }
}
