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
/// dropped and counted, and a line says how many. Thread-safe.
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

    public RelayLog(TextWriter output, LogLevel minimum)
    {
        _output = output;
        Minimum = minimum;
        _writer = new Thread(WriteLines) { IsBackground = true, Name = "rawrelay log" };
        _writer.Start();
    }

    public LogLevel Minimum { get; }

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
            _output.WriteLine(line);
            if (Interlocked.Decrement(ref _waiting) > 0)
                continue;
            long dropped = Interlocked.Exchange(ref _dropped, 0);
            if (dropped > 0)
                _output.WriteLine(Format(LogLevel.Warn, $"{dropped} log line(s) dropped: standard output was not read fast enough"));
            _output.Flush();
            lock (_gate)
                Monitor.PulseAll(_gate);
        }
    }

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
