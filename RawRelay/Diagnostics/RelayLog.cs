using System.Collections.Concurrent;
using System.Globalization;

namespace RawRelay.Diagnostics;

internal enum LogLevel
{
    Debug,
    Info,
    Warn,
    Error,
}

/// <summary>
/// One line per event: a UTC timestamp, the level, the message. Callers only queue the line: a thread of
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

    public RelayLog(TextWriter output, LogLevel minimum)
    {
        _output = output;
        Minimum = minimum;
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

    public void Debug(string message) => Write(LogLevel.Debug, message);

    public void Info(string message) => Write(LogLevel.Info, message);

    public void Warn(string message) => Write(LogLevel.Warn, message);

    public void Error(string message, Exception? exception = null) =>
        Write(LogLevel.Error, exception is null ? message : $"{message}: {exception}");

    public void Write(LogLevel level, string message)
    {
        if (level < Minimum)
            return;
        string line = Format(level, message);
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
                WriteLine(Format(LogLevel.Warn, $"{dropped} log line(s) dropped: standard output was not read fast enough"));
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
                    $"{_lostUnreported} log line(s) lost: writing them to standard output failed ({_failure})"));
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

    private static string Format(LogLevel level, string message) => string.Create(CultureInfo.InvariantCulture,
        $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {Name(level)} {message}");

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
