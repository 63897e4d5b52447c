using System.Diagnostics;
using RawRelay.Transport;

namespace RawRelay.Metrics;

/// <summary>
/// The standard process metrics (as Prometheus clients name them), read from /proc: resident and virtual
/// memory, CPU seconds, open and maximum file descriptors, start time; and the runtime's collections and
/// heap. Open descriptors are the size Linux 6.2 and later give /proc/self/fd (one stat); before that,
/// listing it costs a stat per descriptor (20 ms with 10,000 connections), so the list is taken at most once
/// every 10 s. Thread-safe.
/// </summary>
internal sealed class ProcessMetrics
{
    private static readonly double StartTime = StartedAt();

    private readonly Lock _gate = new();
    private long _fdsReadAt = -1;
    private int _openFds;

    public void Write(PrometheusText text)
    {
        using var process = Process.GetCurrentProcess();
        text.Gauge("process_resident_memory_bytes", "Resident memory size in bytes.", process.WorkingSet64);
        text.Gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", process.VirtualMemorySize64);
        text.Counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", process.TotalProcessorTime.TotalSeconds);
        text.Gauge("process_open_fds", "Number of open file descriptors.", OpenFds());
        if (MaxFds() is { } max)
            text.Gauge("process_max_fds", "Maximum number of open file descriptors.", max);
        text.Gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", StartTime);
        text.Family("dotnet_gc_collections_total", "counter", "Garbage collections since the process started, by generation.");
        for (int generation = 0; generation <= GC.MaxGeneration; generation++)
            text.Sample("dotnet_gc_collections_total", GC.CollectionCount(generation), ("generation", generation.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        text.Gauge("dotnet_gc_heap_bytes", "Bytes of the managed heap after the last collection.", GC.GetGCMemoryInfo().HeapSizeBytes);
        text.Counter("dotnet_gc_allocated_bytes_total", "Bytes allocated on the managed heap.", GC.GetTotalAllocatedBytes());
        text.Gauge("dotnet_threadpool_threads", "Threads of the runtime's thread pool.", ThreadPool.ThreadCount);
    }

    private static double StartedAt()
    {
        using var process = Process.GetCurrentProcess();
        return new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0;
    }

    private long OpenFds()
    {
        if (UnixFiles.SizeOf("/proc/self/fd") is > 0 and { } counted)
            return counted;
        lock (_gate)
        {
            long now = Environment.TickCount64;
            if (_fdsReadAt >= 0 && now - _fdsReadAt < 10_000)
                return _openFds;
            _fdsReadAt = now;
            try
            {
                _openFds = Directory.EnumerateFileSystemEntries("/proc/self/fd").Count();
            }
            catch (IOException)
            {
                // Not Linux, or /proc is not mounted: the count stays as it was.
            }

            return _openFds;
        }
    }

    /// <summary>The soft limit on open files, from /proc/self/limits.</summary>
    private static long? MaxFds()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/limits"))
            {
                if (!line.StartsWith("Max open files", StringComparison.Ordinal))
                    continue;
                string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.TryParse(words[3], out long soft) ? soft : null;
            }
        }
        catch (IOException)
        {
            // Not Linux, or /proc is not mounted.
        }

        return null;
    }
}
