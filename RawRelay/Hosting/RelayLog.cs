using System.Globalization;

namespace RawRelay.Hosting;

internal enum LogLevel
{
    Debug,
    Info,
    Warn,
    Error,
}

/// <summary>
/// One line per event: a UTC timestamp, the level, the message. Lines are buffered and written out at
/// most 100 ms later (and at <see cref="Flush"/>), so a burst of connections costs few system calls.
/// Thread-safe.
/// </summary>
internal sealed class RelayLog : IDisposable
{
    private readonly TextWriter _output;
    private readonly Lock _gate = new();
    private readonly Timer _flushTimer;
    private bool _dirty;

    public RelayLog(TextWriter output, LogLevel minimum)
    {
        _output = output;
        Minimum = minimum;
        _flushTimer = new Timer(_ => Flush(), null, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100));
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
        string line = string.Create(CultureInfo.InvariantCulture,
            $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {Name(level)} {message}");
        lock (_gate)
        {
            _output.WriteLine(line);
            _dirty = true;
        }
    }

    public void Flush()
    {
        lock (_gate)
        {
            if (!_dirty)
                return;
            _output.Flush();
            _dirty = false;
        }
    }

    public void Dispose()
    {
        _flushTimer.Dispose();
        Flush();
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
