using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace RawRelay.Diagnostics;

internal enum LogLevel
{
    Debug,
    Info,
    Warn,
    Error,
}

/// <summary>How a log line looks (<c>--log-format</c>).</summary>
internal enum LogFormat
{
    /// <summary><c>2026-12-01T12:00:00.000Z INFO open QVZS7CQWAE 127.0.0.1:50312</c></summary>
    Text,

    /// <summary><c>{"time":"2026-12-01T12:00:00.000Z","level":"info","msg":"open QVZS7CQWAE 127.0.0.1:50312","id":"QVZS7CQWAE","peer":"127.0.0.1:50312"}</c></summary>
    Json,
}

/// <summary>
/// A field of a log line that JSON lines carry on their own (<c>id</c>, <c>peer</c>, <c>reason</c>, <c>code</c>...),
/// text or a number. The text format leaves them out: its message says the same.
/// </summary>
internal readonly record struct LogField(string Name, string? Text, double Number = 0)
{
    public static LogField Of(string name, string text) => new(name, text);

    public static LogField Of(string name, double number) => new(name, null, number);
}

/// <summary>
/// One line per event: a UTC timestamp, the level, the message; or, in <see cref="LogFormat.Json"/>, an
/// object with <c>time</c>, <c>level</c>, <c>msg</c> and the event's fields. Callers only queue the line: a thread of
/// the log's own writes it out (and flushes whenever the queue runs dry), so a socket callback never waits
/// for standard output, even when whoever reads it stalls. Past 10,000 waiting lines, further lines are
/// dropped and counted, and a line says how many. An output that fails (a full disk, a closed pipe) loses
/// the lines written since its last flush that worked; they are counted, the log goes on, and the first
/// flush that works again starts with a line saying how many were lost. Thread-safe.
/// </summary>
internal sealed class RelayLog : IDisposable
{
    private const int MaxWaitingLines = 10_000;

    private readonly TextWriter _output;
    private readonly BlockingCollection<string> _lines = new(MaxWaitingLines);
    private readonly Thread _writer;
    private readonly object _gate = new();      // Monitor.Wait/Pulse: Flush waits for the writer
    private long _waiting;
    private long _dropped;
    private long _linesLost;

    // The writer thread's own: lines written since the output's last flush that worked, lines lost and
    // not yet reported, the count the report line in the current batch carries, and why the output failed.
    private long _unflushed;
    private long _lostUnreported;
    private long _reportInBatch;
    private string _failure = "";

    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly LogFormat _format;

    public RelayLog(TextWriter output, LogLevel minimum, LogFormat format = LogFormat.Text)
    {
        _output = output;
        Minimum = minimum;
        _format = format;
        _writer = new Thread(WriteLines) { IsBackground = true, Name = "rawrelay log" };
        _writer.Start();
    }

    public LogLevel Minimum { get; }

    /// <summary>
    /// Lines that never reached the output since the log was made: dropped while 10,000 were waiting, or
    /// lost when writing them failed. Never goes down (for STATS and metrics).
    /// </summary>
    public long LinesLost => Interlocked.Read(ref _linesLost);

    public bool IsEnabled(LogLevel level) => level >= Minimum;

    public void Debug(string message, params ReadOnlySpan<LogField> fields) => Write(LogLevel.Debug, message, fields);

    public void Info(string message, params ReadOnlySpan<LogField> fields) => Write(LogLevel.Info, message, fields);

    public void Warn(string message, params ReadOnlySpan<LogField> fields) => Write(LogLevel.Warn, message, fields);

    /// <summary>An error; the text line appends the exception to the message, a JSON line has it as <c>error</c>.</summary>
    public void Error(string message, Exception? exception = null, params ReadOnlySpan<LogField> fields)
    {
        if (exception is null)
            Write(LogLevel.Error, message, fields);
        else if (_format == LogFormat.Text)
            Write(LogLevel.Error, $"{message}: {exception}");
        else
            Write(LogLevel.Error, message, [.. fields, LogField.Of("error", exception.ToString())]);
    }

    public void Write(LogLevel level, string message, params ReadOnlySpan<LogField> fields)
    {
        if (level < Minimum)
            return;
        string line = Format(level, message, fields);
        Interlocked.Increment(ref _waiting);
        bool queued;
        try
        {
            queued = _lines.TryAdd(line);
        }
        catch (InvalidOperationException)
        {
            queued = false;                     // disposed: the relay has stopped
        }

        if (!queued)
        {
            Interlocked.Decrement(ref _waiting);
            Interlocked.Increment(ref _dropped);
            Interlocked.Increment(ref _linesLost);
        }
    }

    /// <summary>Waits (at most 2 s) until every line queued so far is written out.</summary>
    public void Flush()
    {
        long deadline = Environment.TickCount64 + 2000;
        lock (_gate)
        {
            while (Interlocked.Read(ref _waiting) > 0 && Environment.TickCount64 < deadline && _writer.IsAlive)
                Monitor.Wait(_gate, 50);
        }
    }

    public void Dispose()
    {
        Flush();
        _lines.CompleteAdding();
        _writer.Join(TimeSpan.FromSeconds(2));
    }

    /// <summary>The log's thread: writes lines as they come, flushes whenever none is waiting.</summary>
    private void WriteLines()
    {
        foreach (string line in _lines.GetConsumingEnumerable())
        {
            WriteLine(line);
            if (Interlocked.Decrement(ref _waiting) > 0)
                continue;
            long dropped = Interlocked.Exchange(ref _dropped, 0);
            if (dropped > 0)
                WriteLine(Format(LogLevel.Warn, $"{dropped} log line(s) dropped: standard output was not read fast enough", [LogField.Of("dropped", dropped)]));
            FlushOutput();
            lock (_gate)
                Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Writes one line; the first line after a failure is preceded by the count of lines lost.</summary>
    private void WriteLine(string line)
    {
        try
        {
            if (_lostUnreported > 0 && _reportInBatch == 0)
            {
                _output.WriteLine(Format(LogLevel.Warn,
                    $"{_lostUnreported} log line(s) lost: writing them to standard output failed ({_failure})", [LogField.Of("lost", _lostUnreported)]));
                _reportInBatch = _lostUnreported;
            }

            _output.WriteLine(line);
            _unflushed++;
        }
        catch (Exception e) when (IsOutputFailure(e))
        {
            Lost(_unflushed + 1, e);            // a write that fills the buffer flushes it, and failed
        }
    }

    private void FlushOutput()
    {
        try
        {
            _output.Flush();
            _unflushed = 0;
            _lostUnreported -= _reportInBatch;  // the report went out with the batch
            _reportInBatch = 0;
        }
        catch (Exception e) when (IsOutputFailure(e))
        {
            Lost(_unflushed, e);
        }
    }

    /// <summary>
    /// What a failed write or flush of a buffered writer loses: everything written since the last flush that
    /// worked (StreamWriter empties its buffer before it writes it out), the report line among them.
    /// </summary>
    private void Lost(long lines, Exception e)
    {
        _unflushed = 0;
        _reportInBatch = 0;
        _lostUnreported += lines;
        _failure = e.Message;
        Interlocked.Add(ref _linesLost, lines);
    }

    private static bool IsOutputFailure(Exception e) =>
        e is IOException or ObjectDisposedException or NotSupportedException or UnauthorizedAccessException;

    private string Format(LogLevel level, string message, ReadOnlySpan<LogField> fields)
    {
        string time = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        return _format == LogFormat.Text ? $"{time} {Name(level)} {message}" : JsonLine(time, level, message, fields);
    }

    /// <summary>One JSON object on one line: control characters in the text are escaped, other text kept as it is.</summary>
    private static string JsonLine(string time, LogLevel level, string message, ReadOnlySpan<LogField> fields)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, JsonOptions))
        {
            json.WriteStartObject();
            json.WriteString("time", time);
            json.WriteString("level", Name(level).ToLowerInvariant());
            json.WriteString("msg", message);
            foreach (LogField field in fields)
            {
                if (field.Text is not null)
                    json.WriteString(field.Name, field.Text);
                else
                    json.WriteNumber(field.Name, field.Number);
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static bool TryParseFormat(string text, out LogFormat format)
    {
        bool json = text.Equals("json", StringComparison.OrdinalIgnoreCase);
        format = json ? LogFormat.Json : LogFormat.Text;
        return json || text.Equals("text", StringComparison.OrdinalIgnoreCase);
    }

    public static bool TryParseLevel(string text, out LogLevel level)
    {
        switch (text.ToLowerInvariant())
        {
            case "debug": level = LogLevel.Debug; return true;
            case "info": level = LogLevel.Info; return true;
            case "warn": level = LogLevel.Warn; return true;
            case "error": level = LogLevel.Error; return true;
            default: level = LogLevel.Info; return false;
        }
    }

    private static string Name(LogLevel level) => level switch
    {
        LogLevel.Debug => "DEBUG",
        LogLevel.Info => "INFO",
        LogLevel.Warn => "WARN",
        _ => "ERROR",
    };
}
