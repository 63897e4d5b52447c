using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace RawRelay.Bench;

/// <summary>
/// The relay the bench measures: one it starts itself (this same executable, on a free loopback port and
/// a temporary control socket, ended by its PID when the bench is done), or one already running at
/// <c>--target-port</c>/<c>--target-control</c>. Reads the relay's memory from <c>/proc/PID/status</c>.
/// </summary>
internal sealed class RelayUnderTest : IDisposable
{
    private readonly Process? _process;

    private RelayUnderTest(int port, string controlPath, int? pid, Process? process)
    {
        Port = port;
        ControlPath = controlPath;
        Pid = pid;
        _process = process;
    }

    public int Port { get; }

    public string ControlPath { get; }

    /// <summary>The relay's process id, when known.</summary>
    public int? Pid { get; }

    public bool StartedByBench => _process is not null;

    /// <summary>A relay that is already running.</summary>
    public static RelayUnderTest Existing(int port, string controlPath, int? pid) => new(port, controlPath, pid, null);

    /// <summary>Starts this executable as a relay with <paramref name="extraArguments"/> added.</summary>
    public static RelayUnderTest Start(IReadOnlyList<string> extraArguments)
    {
        int port = FreePort();
        string control = Path.Combine(Path.GetTempPath(), $"rawrelay-bench-{Environment.ProcessId}.sock");
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "rawrelay.dll"));   // run as `dotnet rawrelay.dll`
        foreach (string argument in (string[])["--bind", "127.0.0.1", "--port", port.ToString(), "--control", control, "--log-level", "warn"])
            start.ArgumentList.Add(argument);
        foreach (string argument in extraArguments)
            start.ArgumentList.Add(argument);
        Process process = Process.Start(start) ?? throw new InvalidOperationException("cannot start the relay");
        process.OutputDataReceived += (_, e) => Forward(e.Data);
        process.ErrorDataReceived += (_, e) => Forward(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new RelayUnderTest(port, control, process.Id, process);
    }

    /// <summary>Waits until both the TCP port and the control socket accept connections.</summary>
    public async Task<bool> WaitUntilReadyAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_process is { HasExited: true })
                return false;
            if (await CanConnectAsync(new IPEndPoint(IPAddress.Loopback, Port)).ConfigureAwait(false)
                && await CanConnectAsync(new UnixDomainSocketEndPoint(ControlPath)).ConfigureAwait(false))
                return true;
            await Task.Delay(TimeSpan.FromMilliseconds(100)).ConfigureAwait(false);
        }

        return false;
    }

    /// <summary>Resident memory (VmRSS) in bytes, or null when the PID is unknown.</summary>
    public long? ResidentBytes() => ReadStatus("VmRSS:");

    /// <summary>Peak resident memory (VmHWM) in bytes, or null when the PID is unknown.</summary>
    public long? PeakResidentBytes() => ReadStatus("VmHWM:");

    /// <summary>
    /// CPU time the relay's threads have used so far, in seconds (the first field of each
    /// /proc/PID/task/TID/schedstat, nanoseconds on a CPU), or null when the PID is unknown: what a phase cost
    /// the relay, whatever share of the cores the load generator took. A thread that ends during a phase takes
    /// its time with it (the relay's threads live on).
    /// </summary>
    public double? CpuSeconds()
    {
        if (Pid is not { } pid)
            return null;
        try
        {
            long nanoseconds = 0;
            foreach (string task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    string line = File.ReadAllText(Path.Combine(task, "schedstat"));
                    nanoseconds += long.Parse(line.AsSpan(0, line.IndexOf(' ')), System.Globalization.CultureInfo.InvariantCulture);
                }
                catch (IOException)
                {
                    // That thread ended while we read.
                }
            }

            return nanoseconds / 1e9;
        }
        catch (IOException)
        {
            return null;                        // the process is gone
        }
    }

    private long? ReadStatus(string field)
    {
        if (Pid is not { } pid)
            return null;
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                    return long.Parse(line[field.Length..].Trim().Split(' ')[0]) * 1024;
            }
        }
        catch (IOException)
        {
            // The process is gone.
        }

        return null;
    }

    private static async Task<bool> CanConnectAsync(EndPoint endPoint)
    {
        using var socket = endPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endPoint).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static void Forward(string? line)
    {
        if (line is not null)
            Console.Error.WriteLine("relay: " + line);
    }

    /// <summary>Ends a relay the bench started (SIGTERM, then kill after 10 s); leaves others alone.</summary>
    public void Dispose()
    {
        if (_process is null)
            return;
        if (!_process.HasExited)
        {
            Posix.Terminate(_process.Id);
            if (!_process.WaitForExit(TimeSpan.FromSeconds(10)))
                _process.Kill();
        }

        _process.Dispose();
    }
}
