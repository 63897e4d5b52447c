using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace RawRelay.Tests.Infrastructure;

/// <summary>
/// The built relay (<c>rawrelay.dll</c> from the test output directory) run as a child process on
/// 127.0.0.1, port 0 and a unique control socket, for what only a real process shows: signals, exit
/// status, its own memory. Standard output and error are captured. Dispose kills it (by its PID) if it
/// is still running. Not thread-safe, except <see cref="Output"/>.
/// </summary>
internal sealed partial class RelayProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource<int> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private RelayProcess(Process process, string controlPath)
    {
        _process = process;
        ControlPath = controlPath;
    }

    public int Pid => _process.Id;

    public string ControlPath { get; }

    /// <summary>The TCP port the relay bound, read from its "listening on" line.</summary>
    public int Port { get; private set; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Everything the relay wrote so far: standard output, then standard error.</summary>
    public string Output
    {
        get
        {
            lock (_stdout)
                return _stdout + (_stderr.Length == 0 ? "" : "\n[stderr]\n" + _stderr);
        }
    }

    /// <summary>The relay's resident set size now, from /proc/PID/status (VmRSS).</summary>
    public long ResidentBytes => ReadStatusKilobytes("VmRSS") * 1024;

    /// <summary>
    /// Starts <c>dotnet rawrelay.dll --bind 127.0.0.1 --port 0 --control /tmp/rr-GUID.sock</c> with
    /// <paramref name="args"/> after them, and waits for its "listening on" line.
    /// </summary>
    public static async Task<RelayProcess> StartAsync(IEnumerable<string> args, CancellationToken ct)
    {
        string controlPath = RelayFixture.TempSocketPath();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "rawrelay.dll"));
        foreach (string arg in (string[])["--bind", "127.0.0.1", "--port", "0", "--control", controlPath, .. args])
            start.ArgumentList.Add(arg);
        foreach (string name in start.Environment.Keys.Where(k => k.StartsWith("RAWRELAY_", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(name);     // the fuzz and load settings of the tests are not relay options

        var process = new Process { StartInfo = start };
        var relay = new RelayProcess(process, controlPath);
        process.OutputDataReceived += (_, e) => relay.OnLine(relay._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => relay.OnLine(relay._stderr, e.Data);
        process.Exited += (_, _) => relay._listening.TrySetException(
            new InvalidOperationException("relay exited before listening:\n" + relay.Output));
        process.EnableRaisingEvents = true;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            relay.Port = await relay._listening.Task.WaitAsync(ct).WithTimeout(TimeSpan.FromSeconds(30));
        }
        catch
        {
            await relay.DisposeAsync();
            throw;
        }

        return relay;
    }

    public ControlClient OpenControl() => ControlClient.Connect(ControlPath);

    /// <summary>Sends SIGTERM with <c>kill -TERM PID</c>, as a service manager would.</summary>
    public void Terminate()
    {
        using Process kill = Process.Start("kill", ["-TERM", Pid.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>Waits for the process to exit; its exit status, or a timeout naming the caller's line.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken ct)
    {
        await _process.WaitForExitAsync(ct).WithTimeout(timeout);
        _process.WaitForExit();                 // also waits for the end of the redirected output
        return _process.ExitCode;
    }

    /// <summary>Polls VmRSS while <paramref name="work"/> runs; returns the highest value seen, in bytes.</summary>
    public async Task<long> PeakResidentBytesDuringAsync(Task work)
    {
        long peak = ResidentBytes;
        while (!work.IsCompleted)
        {
            await Task.WhenAny(work, Task.Delay(TimeSpan.FromMilliseconds(20)));
            peak = Math.Max(peak, ResidentBytes);
        }

        await work;
        return peak;
    }

    private long ReadStatusKilobytes(string field)
    {
        foreach (string line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }

        throw new InvalidOperationException($"no {field} in /proc/{Pid}/status");
    }

    private void OnLine(StringBuilder target, string? line)
    {
        if (line is null)
            return;
        lock (_stdout)
            target.AppendLine(line);
        if (ListeningLine().Match(line) is { Success: true } match)
            _listening.TrySetResult(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@" listening on \S+:(\d+) path ")]
    private static partial Regex ListeningLine();

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();                // this process only, by its PID
                await _process.WaitForExitAsync().WithTimeout(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // It never started.
        }
        finally
        {
            _process.Dispose();
            File.Delete(ControlPath);
        }
    }
}
